import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { assertIssuer, discover, discoveryUrls, processMetadataResponse } from './discovery.js';
import { ConfigurationError, DiscoveryError, InsecureEndpointError, NetworkError } from '../errors.js';

const issuer = 'https://as.example';
const ok = (body: unknown) => ({ status: 200, headers: {}, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('discoveryUrls', () => {
  it('inserts the RFC 8414 well-known segment before the issuer path, and appends the OpenID one', () => {
    expect(discoveryUrls('https://as.example/tenant/one').map(String)).toEqual([
      'https://as.example/.well-known/oauth-authorization-server/tenant/one',
      'https://as.example/tenant/one/.well-known/openid-configuration',
    ]);
    expect(discoveryUrls('https://as.example').map(String)).toEqual([
      'https://as.example/.well-known/oauth-authorization-server',
      'https://as.example/.well-known/openid-configuration',
    ]);
    expect(discoveryUrls('http://127.0.0.1:4000/').map(String)).toEqual([
      'http://127.0.0.1:4000/.well-known/oauth-authorization-server',
      'http://127.0.0.1:4000/.well-known/openid-configuration',
    ]);
  });
});

describe('assertIssuer', () => {
  it('refuses http off loopback, queries, fragments and non-URLs', () => {
    expect(() => assertIssuer('http://as.example')).toThrow(InsecureEndpointError);
    expect(() => assertIssuer('https://as.example?x=1')).toThrow(ConfigurationError);
    expect(() => assertIssuer('https://as.example#x')).toThrow(ConfigurationError);
    expect(() => assertIssuer('as.example')).toThrow(ConfigurationError);
    expect(assertIssuer('http://localhost:4000')).toBe('http://localhost:4000');
  });
});

describe('processMetadataResponse', () => {
  const valid = { issuer, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, dpop_signing_alg_values_supported: ['ES256'] };

  it('returns valid metadata', () => {
    expect(processMetadataResponse(issuer, ok(valid))).toEqual(valid);
  });

  it('requires the issuer to match exactly (no normalization)', () => {
    expect(() => processMetadataResponse(issuer, ok({ ...valid, issuer: `${issuer}/` }))).toThrow(DiscoveryError);
    expect(() => processMetadataResponse(issuer, ok({ ...valid, issuer: 'https://AS.example' }))).toThrow(/not the configured issuer/);
    expect(() => processMetadataResponse(issuer, ok({ ...valid, issuer: undefined }))).toThrow(DiscoveryError);
  });

  it('refuses any endpoint on http off loopback', () => {
    expect(() => processMetadataResponse(issuer, ok({ ...valid, token_endpoint: 'http://as.example/token' }))).toThrow(InsecureEndpointError);
    expect(() => processMetadataResponse(issuer, ok({ ...valid, revocation_endpoint: 'http://as.example/revoke' }))).toThrow(InsecureEndpointError);
    expect(() => processMetadataResponse(issuer, ok({ ...valid, jwks_uri: 'http://as.example/jwks' }))).toThrow(InsecureEndpointError);
    expect(() => processMetadataResponse(issuer, ok({ ...valid, mtls_endpoint_aliases: { token_endpoint: 'http://mtls.example/t' } }))).toThrow(
      InsecureEndpointError,
    );
    expect(processMetadataResponse(issuer, ok({ ...valid, revocation_endpoint: 'http://127.0.0.1:9/revoke' })).revocation_endpoint).toBe(
      'http://127.0.0.1:9/revoke',
    );
  });

  it.each([
    ['a non-200 status', { status: 500, headers: {}, body: '{}' }],
    ['invalid JSON', ok('{"issuer":')],
    ['a JSON array', ok('[]')],
    ['no token_endpoint', ok({ issuer })],
    ['a relative endpoint', ok({ ...valid, token_endpoint: '/token' })],
    ['a non-string endpoint', ok({ ...valid, revocation_endpoint: 42 })],
    ['a malformed algorithm list', ok({ ...valid, dpop_signing_alg_values_supported: 'ES256' })],
  ])('refuses %s with a DiscoveryError', (_, response) => {
    expect(() => processMetadataResponse(issuer, response)).toThrow(DiscoveryError);
  });
});

describe('discover', () => {
  let agent: MockAgent;
  afterEach(() => agent.close());

  it('falls back to OpenID discovery when RFC 8414 has no document', async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    const pool = agent.get(issuer);
    pool.intercept({ path: '/tenant/.well-known/openid-configuration' }).reply(200, { issuer: `${issuer}/tenant`, token_endpoint: `${issuer}/tenant/token` });
    pool.intercept({ path: '/.well-known/oauth-authorization-server/tenant' }).reply(404, 'not found');
    const metadata = await discover(`${issuer}/tenant`, { dispatcher: agent });
    expect(metadata.token_endpoint).toBe(`${issuer}/tenant/token`);
  });

  it('does not fall back when the RFC 8414 document names another issuer', async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    const pool = agent.get(issuer);
    pool.intercept({ path: '/.well-known/oauth-authorization-server' }).reply(200, { issuer: 'https://evil.example', token_endpoint: `${issuer}/token` });
    await expect(discover(issuer, { dispatcher: agent })).rejects.toThrow(DiscoveryError);
  });

  it('reports both locations when neither has a document', async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    const pool = agent.get(issuer);
    pool.intercept({ path: '/.well-known/oauth-authorization-server' }).reply(404, '');
    pool.intercept({ path: '/.well-known/openid-configuration' }).reply(404, '');
    await expect(discover(issuer, { dispatcher: agent })).rejects.toThrow(/oauth-authorization-server \(HTTP 404\).*openid-configuration \(HTTP 404\)/);
  });

  it('gives a NetworkError when the server is down', async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    agent.get(issuer).intercept({ path: '/.well-known/oauth-authorization-server' }).replyWithError(refused).times(2);
    await expect(discover(issuer, { dispatcher: agent, retries: 1, backoff: { baseMs: 1 } })).rejects.toBeInstanceOf(NetworkError);
  });
});
