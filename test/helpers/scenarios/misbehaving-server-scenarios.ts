/**
 * Scenarios against a real local HTTP server playing a misbehaving authorization server: down,
 * 5xx, 429, slow, a wrong issuer, insecure endpoints, a Bearer downgrade, malformed answers.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createAgent,
  createNodeSigner,
  InsecureEndpointError,
  NetworkError,
  OAuthError,
  TimeoutError,
  type AgentOptions,
} from '@countersign/core';
import { DiscoveryError, ResponseError, TokenTypeDowngradeError } from '@countersign/core/errors';
import { rememberKey } from '../dev-agent.js';
import { caught, rememberSecret } from '../error-collector.js';
import { json, metadataFor, startMisbehavingServer, type MisbehavingServer, type Route } from '../misbehaving-server.js';

const secretToken = 'eyJhbGciOiJFUzI1NiJ9.c2VjcmV0LXRva2VuLXZhbHVl.c2lnbmF0dXJlLXZhbHVl';
rememberSecret(secretToken);

function newKey() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  rememberKey(privateKey);
  return createNodeSigner(privateKey);
}

const goodToken: Route = (_, response) => json(response, 200, { access_token: secretToken, token_type: 'DPoP', expires_in: 300 });

export function misbehavingServerScenarios(): void {
  describe('against a misbehaving authorization server', () => {
    let server: MisbehavingServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    async function agentFor(routes: Record<string, Route>, options: Partial<AgentOptions> = {}, metadata: Record<string, unknown> = {}) {
      server = await startMisbehavingServer((url) => ({
        '/.well-known/oauth-authorization-server': (_, response) => json(response, 200, metadataFor(url, metadata)),
        ...routes,
      }));
      const agent = await createAgent({ issuer: server.url, clientId: 'misbehaved', key: newKey(), retries: 2, timeoutMs: 2_000, ...options });
      return { agent, server };
    }

    it('AS down: discovery fails with a NetworkError after the retries', async () => {
      const down = await startMisbehavingServer(() => ({}));
      await down.close();
      const started = performance.now();
      const error = await caught(createAgent({ issuer: down.url, clientId: 'x', key: newKey(), retries: 2 }));
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as NetworkError).message).toContain('ECONNREFUSED');
      expect(performance.now() - started).toBeLessThan(5_000);
    });

    it('AS down after discovery: the token request fails with a NetworkError, retried', async () => {
      const { agent, server } = await agentFor({ '/token': (request) => request.socket.destroy() });
      expect(await caught(agent.getToken({ scope: 'a' }))).toBeInstanceOf(NetworkError);
      expect(server.hits.get('/token')).toBe(3);
    });

    it('5xx: retried with backoff until it succeeds', async () => {
      const { agent, server } = await agentFor({
        '/token': (request, response, body, hit) => (hit < 3 ? json(response, hit === 1 ? 500 : 502, 'upstream broke') : goodToken(request, response, body, hit)),
      });
      await expect(agent.getToken({ scope: 'a' })).resolves.toMatchObject({ tokenType: 'DPoP' });
      expect(server.hits.get('/token')).toBe(3);
    });

    it('5xx: the last status is reported once retries are exhausted', async () => {
      const { agent, server } = await agentFor({ '/token': (_, response) => json(response, 503, { error: 'temporarily_unavailable' }) });
      const error = (await caught(agent.getToken())) as OAuthError;
      expect(error).toBeInstanceOf(OAuthError);
      expect(error).toMatchObject({ status: 503, error: 'temporarily_unavailable' });
      expect(server.hits.get('/token')).toBe(3);
    });

    it('429: waits what Retry-After asks, then succeeds', async () => {
      const { agent, server } = await agentFor({
        '/token': (request, response, body, hit) =>
          hit === 1 ? json(response, 429, { error: 'too_many_requests' }, { 'retry-after': '1' }) : goodToken(request, response, body, hit),
      });
      const started = performance.now();
      await agent.getToken();
      expect(performance.now() - started).toBeGreaterThanOrEqual(950);
      expect(server.hits.get('/token')).toBe(2);
    });

    it('slow: each attempt times out, then a TimeoutError', async () => {
      const { agent, server } = await agentFor({ '/token': () => undefined }, { timeoutMs: 200, retries: 1 });
      const started = performance.now();
      expect(await caught(agent.getToken())).toBeInstanceOf(TimeoutError);
      expect(server.hits.get('/token')).toBe(2);
      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it('slow: the caller’s AbortSignal stops the wait at once', async () => {
      const { agent } = await agentFor({ '/token': () => undefined });
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('caller gave up')), 50);
      const error = await caught(agent.getToken({ signal: controller.signal }));
      expect(error.message).toBe('caller gave up');
    });

    it('a wrong issuer in the metadata is refused', async () => {
      server = await startMisbehavingServer(() => ({
        '/.well-known/oauth-authorization-server': (_, response) => json(response, 200, metadataFor('https://evil.example')),
      }));
      const error = await caught(createAgent({ issuer: server.url, clientId: 'x', key: newKey() }));
      expect(error).toBeInstanceOf(DiscoveryError);
      expect(error.message).toContain('https://evil.example');
    });

    it('falls back to OpenID discovery and still checks the issuer', async () => {
      server = await startMisbehavingServer((url) => ({
        '/.well-known/openid-configuration': (_, response) => json(response, 200, metadataFor(`${url}/`)),
      }));
      expect(await caught(createAgent({ issuer: server.url, clientId: 'x', key: newKey() }))).toBeInstanceOf(DiscoveryError);
      expect(server.hits.get('/.well-known/oauth-authorization-server')).toBe(1);
      expect(server.hits.get('/.well-known/openid-configuration')).toBe(1);
    });

    it('http off loopback is refused: issuer, endpoints, and resource requests', async () => {
      expect(await caught(createAgent({ issuer: 'http://as.example', clientId: 'x', key: newKey() }))).toBeInstanceOf(InsecureEndpointError);
      server = await startMisbehavingServer((url) => ({
        '/.well-known/oauth-authorization-server': (_, response) => json(response, 200, metadataFor(url, { token_endpoint: 'http://as.example/token' })),
      }));
      const endpointError = await caught(createAgent({ issuer: server.url, clientId: 'x', key: newKey() }));
      expect(endpointError).toBeInstanceOf(InsecureEndpointError);
      expect((endpointError as InsecureEndpointError).url).toBe('http://as.example/token');
      await server.close();

      const { agent, server: healthy } = await agentFor({ '/token': goodToken });
      expect(await caught(agent.fetch('http://api.example/accounts', { scope: 'a' }))).toBeInstanceOf(InsecureEndpointError);
      expect(await caught(agent.fetch('http://127.0.0.1.nip.io/accounts'))).toBeInstanceOf(InsecureEndpointError);
      expect(healthy.hits.get('/token')).toBeUndefined();
    });

    it('a Bearer token is refused (downgrade)', async () => {
      const { agent } = await agentFor({ '/token': (_, response) => json(response, 200, { access_token: secretToken, token_type: 'Bearer', expires_in: 300 }) });
      const error = await caught(agent.getToken());
      expect(error).toBeInstanceOf(TokenTypeDowngradeError);
      expect(error.message).not.toContain(secretToken);
    });

    it.each([
      ['truncated JSON', `{"access_token":"${secretToken}","token_type":"DPoP"`],
      ['HTML', `<html>${secretToken}</html>`],
      ['a string expires_in', JSON.stringify({ access_token: secretToken, token_type: 'DPoP', expires_in: '300' })],
      ['a negative expires_in', JSON.stringify({ access_token: secretToken, token_type: 'DPoP', expires_in: -5 })],
      ['authorization_details that are not objects', JSON.stringify({ access_token: secretToken, token_type: 'DPoP', expires_in: 5, authorization_details: ['x'] })],
    ])('a malformed token response (%s) gives a ResponseError', async (_, body) => {
      const { agent } = await agentFor({ '/token': (__, response) => json(response, 200, body) });
      const error = await caught(agent.getToken());
      expect(error).toBeInstanceOf(ResponseError);
      expect((error as ResponseError).status).toBe(200);
    });

    it('an error response that is not an OAuth error gives a ResponseError with its status', async () => {
      const { agent } = await agentFor({ '/token': (_, response) => json(response, 400, '<h1>Bad Request</h1>') });
      expect(await caught(agent.getToken())).toMatchObject({ code: 'ERR_RESPONSE', status: 400 });
    });

    it('malformed metadata gives a DiscoveryError', async () => {
      server = await startMisbehavingServer(() => ({
        '/.well-known/oauth-authorization-server': (_, response) => json(response, 200, '{"issuer": '),
      }));
      expect(await caught(createAgent({ issuer: server.url, clientId: 'x', key: newKey() }))).toBeInstanceOf(DiscoveryError);
    });

    it('an oversized response is refused without being read whole', async () => {
      const { agent } = await agentFor({ '/token': (_, response) => json(response, 200, 'x'.repeat(2_000_000)) });
      expect(await caught(agent.getToken())).toBeInstanceOf(ResponseError);
    });
  });
}
