import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN_LIFETIME_SECONDS } from './process-responses.js';
import {
  AgentRevokedError,
  NetworkError,
  OAuthError,
  ResponseError,
  TimeoutError,
  TokenTypeDowngradeError,
} from '../errors.js';
import {
  createClientFor,
  createMockAuthorizationServer,
  headerOf,
  issuer,
  payloadOf,
  tokenBody,
  type MockAuthorizationServer,
} from './mock-authorization-server.fixture.js';

let server: MockAuthorizationServer;
afterEach(async () => {
  await server?.close();
});

describe('tokenRequest', () => {
  it('sends client_credentials with resource, scope, a client assertion and a DPoP proof', async () => {
    server = createMockAuthorizationServer();
    server.enqueue('/token', { status: 200, body: tokenBody });
    const { client, dpop, key } = createClientFor(server);
    const response = await client.tokenRequest('client_credentials', { scope: 'accounts:read', resource: 'https://api.example' });
    expect(response).toMatchObject({ access_token: 'at-secret-123', token_type: 'DPoP', expires_in: 300 });
    const [sent] = server.requests;
    expect(sent!.form.get('grant_type')).toBe('client_credentials');
    expect(sent!.form.get('resource')).toBe('https://api.example');
    expect(sent!.form.get('scope')).toBe('accounts:read');
    expect(sent!.form.get('client_id')).toBe('agent-1');
    expect(sent!.form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const assertion = sent!.form.get('client_assertion')!;
    expect(headerOf(assertion)).toMatchObject({ typ: 'client-authentication+jwt', kid: key.kid, alg: 'ES256' });
    expect(payloadOf(assertion)).toMatchObject({ iss: 'agent-1', sub: 'agent-1', aud: issuer });
    const proof = sent!.headers.dpop!;
    expect(headerOf(proof)).toMatchObject({ typ: 'dpop+jwt', jwk: dpop.publicJwk });
    expect(payloadOf(proof)).toMatchObject({ htm: 'POST', htu: `${issuer}/token` });
    expect(payloadOf(proof).ath).toBeUndefined();
  });

  it('uses the token endpoint as audience when asked', async () => {
    server = createMockAuthorizationServer();
    server.enqueue('/token', { status: 200, body: tokenBody });
    const { client } = createClientFor(server, { assertionAudience: 'token_endpoint' });
    await client.tokenRequest('client_credentials', {});
    expect(payloadOf(server.requests[0]!.form.get('client_assertion')!).aud).toBe(`${issuer}/token`);
  });

  it('retries use_dpop_nonce exactly once, with the nonce and a new assertion and proof', async () => {
    server = createMockAuthorizationServer();
    server.enqueue(
      '/token',
      { status: 400, body: { error: 'use_dpop_nonce', error_description: 'nonce is required in the DPoP proof' }, headers: { 'DPoP-Nonce': 'n-1' } },
      { status: 200, body: tokenBody, headers: { 'dpop-nonce': 'n-2' } },
    );
    const { client, nonces } = createClientFor(server);
    await client.tokenRequest('client_credentials', {});
    const [first, second] = server.requests;
    expect(payloadOf(first!.headers.dpop!).nonce).toBeUndefined();
    expect(payloadOf(second!.headers.dpop!).nonce).toBe('n-1');
    expect(payloadOf(second!.headers.dpop!).jti).not.toBe(payloadOf(first!.headers.dpop!).jti);
    const assertions = [first, second].map((request) => payloadOf(request!.form.get('client_assertion')!).jti);
    expect(assertions[0]).not.toBe(assertions[1]);
    expect(nonces.get(new URL(issuer).origin)).toBe('n-2');
  });

  it('does not retry use_dpop_nonce a second time', async () => {
    server = createMockAuthorizationServer();
    const nonceError = { status: 400, body: { error: 'use_dpop_nonce' }, headers: { 'dpop-nonce': 'again' } };
    server.enqueue('/token', nonceError, nonceError, { status: 200, body: tokenBody });
    const { client } = createClientFor(server);
    const error = await client.tokenRequest('client_credentials', {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).error).toBe('use_dpop_nonce');
    expect(server.requests).toHaveLength(2);
  });

  it('types OAuth errors with their other members', async () => {
    server = createMockAuthorizationServer();
    server.enqueue('/token', { status: 400, body: { error: 'invalid_scope', error_description: 'no such scope', scope: 'x' } });
    const { client } = createClientFor(server);
    const error = (await client.tokenRequest('client_credentials', { scope: 'x' }).catch((caught: unknown) => caught)) as OAuthError;
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({ error: 'invalid_scope', errorDescription: 'no such scope', status: 400, code: 'ERR_OAUTH' });
    expect(error.parameters).toEqual({ scope: 'x' });
  });

  it('turns invalid_client into AgentRevokedError and sends nothing afterwards', async () => {
    server = createMockAuthorizationServer();
    server.setDefault('/token', { status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } });
    let notified = 0;
    const { client } = createClientFor(server, { onRevoked: () => notified++ });
    await expect(client.tokenRequest('client_credentials', {})).rejects.toBeInstanceOf(AgentRevokedError);
    expect(server.requests).toHaveLength(1);
    expect(client.revoked).toBe(true);
    await expect(client.tokenRequest('client_credentials', {})).rejects.toBeInstanceOf(AgentRevokedError);
    await expect(client.backchannelAuthentication({ login_hint: 'alice' })).rejects.toBeInstanceOf(AgentRevokedError);
    expect(server.requests).toHaveLength(1);
    expect(notified).toBe(1);
  });

  it('refuses a Bearer downgrade', async () => {
    server = createMockAuthorizationServer();
    server.enqueue('/token', { status: 200, body: { ...tokenBody, token_type: 'Bearer' } });
    const { client } = createClientFor(server);
    const error = (await client.tokenRequest('client_credentials', {}).catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(TokenTypeDowngradeError);
    expect(error.message).not.toContain(tokenBody.access_token);
  });

  it('accepts token_type in any case', async () => {
    server = createMockAuthorizationServer();
    server.enqueue('/token', { status: 200, body: { ...tokenBody, token_type: 'dpop' } });
    const { client } = createClientFor(server);
    expect((await client.tokenRequest('client_credentials', {})).token_type).toBe('DPoP');
  });

  it.each([
    ['not JSON', `{"access_token":"${tokenBody.access_token}"`],
    ['an array', '[]'],
    ['with a negative expires_in', JSON.stringify({ access_token: tokenBody.access_token, token_type: 'DPoP', expires_in: -5 })],
    ['with a string expires_in', JSON.stringify({ access_token: tokenBody.access_token, token_type: 'DPoP', expires_in: '300' })],
    ['without access_token', JSON.stringify({ token_type: 'DPoP', expires_in: 1 })],
  ])('gives a ResponseError for a body that is %s, never quoting it', async (_, body) => {
    server = createMockAuthorizationServer();
    server.enqueue('/token', { status: 200, body });
    const { client } = createClientFor(server);
    const error = (await client.tokenRequest('client_credentials', {}).catch((caught: unknown) => caught)) as ResponseError;
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.status).toBe(200);
    expect(error.message).not.toContain(tokenBody.access_token);
    expect(error.cause).toBeUndefined();
  });

  it('accepts a token response without expires_in (RFC 6749 §5.1 only recommends it) with the default lifetime', async () => {
    server = createMockAuthorizationServer();
    server.enqueue('/token', { status: 200, body: { access_token: tokenBody.access_token, token_type: 'DPoP' } });
    const { client } = createClientFor(server);
    const token = await client.tokenRequest('client_credentials', {});
    expect(token.expires_in).toBe(DEFAULT_TOKEN_LIFETIME_SECONDS);
    expect(DEFAULT_TOKEN_LIFETIME_SECONDS).toBe(300);
  });

  it('retries 5xx with backoff and a fresh assertion and proof each time', async () => {
    server = createMockAuthorizationServer();
    server.enqueue('/token', { status: 502, body: 'bad gateway' }, { status: 500, body: {} }, { status: 200, body: tokenBody });
    const { client } = createClientFor(server);
    await client.tokenRequest('client_credentials', {});
    expect(server.requests).toHaveLength(3);
    const jtis = server.requests.map((request) => payloadOf(request.form.get('client_assertion')!).jti);
    const proofs = server.requests.map((request) => payloadOf(request.headers.dpop!).jti);
    expect(new Set(jtis).size).toBe(3);
    expect(new Set(proofs).size).toBe(3);
  });

  it('gives up after `retries` and reports the last status', async () => {
    server = createMockAuthorizationServer();
    server.setDefault('/token', { status: 503, body: { error: 'temporarily_unavailable' } });
    const { client } = createClientFor(server, { retries: 1 });
    const error = (await client.tokenRequest('client_credentials', {}).catch((caught: unknown) => caught)) as OAuthError;
    expect(error).toBeInstanceOf(OAuthError);
    expect(error.status).toBe(503);
    expect(server.requests).toHaveLength(2);
  });

  it('waits what a 429 Retry-After asks (seconds)', async () => {
    server = createMockAuthorizationServer();
    server.enqueue('/token', { status: 429, body: {}, headers: { 'retry-after': '1' } }, { status: 200, body: tokenBody });
    const { client } = createClientFor(server);
    const started = performance.now();
    await client.tokenRequest('client_credentials', {});
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(2);
  });

  it('honours a Retry-After HTTP date, measured against the server Date', async () => {
    server = createMockAuthorizationServer();
    const serverNow = Date.now() - 3_600_000; // the server clock is an hour behind ours
    server.enqueue(
      '/token',
      { status: 503, body: {}, headers: { date: new Date(serverNow).toUTCString(), 'retry-after': new Date(serverNow + 1_000).toUTCString() } },
      { status: 200, body: tokenBody },
    );
    const { client } = createClientFor(server);
    const started = performance.now();
    await client.tokenRequest('client_credentials', {});
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(5_000);
  });

  it('stops retrying when Retry-After asks for longer than allowed', async () => {
    server = createMockAuthorizationServer();
    server.enqueue('/token', { status: 429, body: { error: 'slow_down_please' }, headers: { 'retry-after': '3600' } }, { status: 200, body: tokenBody });
    const { client } = createClientFor(server);
    const error = (await client.tokenRequest('client_credentials', {}).catch((caught: unknown) => caught)) as OAuthError;
    expect(error.status).toBe(429);
    expect(server.requests).toHaveLength(1);
  });

  it('retries network errors, then gives a NetworkError', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    server = createMockAuthorizationServer({
      prepare: (pool) => pool.intercept({ path: '/token', method: 'POST' }).replyWithError(refused).times(3),
    });
    const { client } = createClientFor(server);
    await expect(client.tokenRequest('client_credentials', {})).rejects.toBeInstanceOf(NetworkError);
  });

  it('recovers from a network error on a retry', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    server = createMockAuthorizationServer({
      prepare: (pool) => pool.intercept({ path: '/token', method: 'POST' }).replyWithError(reset).times(1),
    });
    server.enqueue('/token', { status: 200, body: tokenBody });
    const { client } = createClientFor(server);
    await expect(client.tokenRequest('client_credentials', {})).resolves.toMatchObject({ expires_in: 300 });
  });

  it('times out a slow server with TimeoutError after the retries', async () => {
    server = createMockAuthorizationServer({
      prepare: (pool) => pool.intercept({ path: '/token', method: 'POST' }).reply(200, tokenBody).delay(500).times(2),
    });
    const { client } = createClientFor(server, { timeoutMs: 100, retries: 1 });
    const started = performance.now();
    await expect(client.tokenRequest('client_credentials', {})).rejects.toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(450);
  });

  it('does not retry a CIBA poll lost to a timeout (the auth_req_id may be spent), unlike client_credentials', async () => {
    for (const [grantType, expectedAttempts] of [['client_credentials', 2], ['urn:openid:params:grant-type:ciba', 1]] as const) {
      server = createMockAuthorizationServer({
        prepare: (pool) => pool.intercept({ path: '/token', method: 'POST' }).reply(200, tokenBody).delay(500).times(3),
      });
      const { client } = createClientFor(server, { timeoutMs: 100, retries: 1 });
      await expect(client.tokenRequest(grantType, { auth_req_id: 'req-1' })).rejects.toBeInstanceOf(TimeoutError);
      // undici counts invocations on each interceptor (`timesInvoked`), though its typings omit it.
      const slowToken = server.agent.pendingInterceptors().find((interceptor) => interceptor.path === '/token') as { timesInvoked?: number } | undefined;
      expect(slowToken?.timesInvoked, grantType).toBe(expectedAttempts);
    }
  });

  it('stops at once when the caller aborts, with the caller’s reason', async () => {
    server = createMockAuthorizationServer({
      prepare: (pool) => pool.intercept({ path: '/token', method: 'POST' }).reply(200, tokenBody).delay(1_000),
    });
    const { client } = createClientFor(server);
    const controller = new AbortController();
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 20);
    await expect(client.tokenRequest('client_credentials', {}, { signal: controller.signal })).rejects.toBe(reason);
  });

  it('corrects its clock from the Date header once when a proof is refused for its time', async () => {
    server = createMockAuthorizationServer();
    const serverNow = Date.now() + 120_000;
    server.enqueue(
      '/token',
      { status: 400, body: { error: 'invalid_dpop_proof', error_description: 'DPoP proof iat is not recent enough' }, headers: { date: new Date(serverNow).toUTCString() } },
      { status: 200, body: tokenBody },
    );
    const { client, clock } = createClientFor(server);
    await client.tokenRequest('client_credentials', {});
    expect(Math.abs(clock.offsetMs - 120_000)).toBeLessThan(2_000);
    const [first, second] = server.requests;
    const iat = (request: typeof first) => payloadOf(request!.headers.dpop!).iat as number;
    expect(iat(second) - iat(first)).toBeGreaterThanOrEqual(118);
    expect((payloadOf(second!.form.get('client_assertion')!).iat as number) - iat(first)).toBeGreaterThanOrEqual(118);
  });

  it('corrects a large skew once before declaring a generic invalid_client a revocation', async () => {
    server = createMockAuthorizationServer();
    const date = new Date(Date.now() - 240_000).toUTCString();
    server.setDefault('/token', { status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' }, headers: { date } });
    const { client } = createClientFor(server);
    await expect(client.tokenRequest('client_credentials', {})).rejects.toBeInstanceOf(AgentRevokedError);
    expect(server.requests).toHaveLength(2);
  });

  it('never corrects its clock beyond five minutes: a far-off Date earns no retry', async () => {
    server = createMockAuthorizationServer();
    const date = new Date(Date.now() + 3650 * 86_400_000).toUTCString();
    server.setDefault('/token', { status: 400, body: { error: 'invalid_dpop_proof', error_description: 'DPoP proof iat is not recent enough' }, headers: { date } });
    const { client, clock } = createClientFor(server);
    await expect(client.tokenRequest('client_credentials', {})).rejects.toMatchObject({ error: 'invalid_dpop_proof' });
    expect(server.requests).toHaveLength(1);
    expect(clock.offsetMs).toBe(0);
  });

  it('does not retry invalid_client when the clocks agree', async () => {
    server = createMockAuthorizationServer();
    server.setDefault('/token', { status: 401, body: { error: 'invalid_client' }, headers: { date: new Date().toUTCString() } });
    const { client } = createClientFor(server);
    await expect(client.tokenRequest('client_credentials', {})).rejects.toBeInstanceOf(AgentRevokedError);
    expect(server.requests).toHaveLength(1);
  });
});

describe('backchannelAuthentication', () => {
  it('sends the parameters client-authenticated, without a DPoP proof', async () => {
    server = createMockAuthorizationServer();
    server.enqueue('/backchannel', { status: 200, body: { auth_req_id: 'req-1', expires_in: 120, interval: 2 } });
    const { client } = createClientFor(server);
    const response = await client.backchannelAuthentication({ login_hint: 'alice', scope: 'openid' });
    expect(response).toEqual({ auth_req_id: 'req-1', expires_in: 120, interval: 2 });
    const [sent] = server.requests;
    expect(sent!.headers.dpop).toBeUndefined();
    expect(sent!.form.get('login_hint')).toBe('alice');
    expect(sent!.form.get('client_assertion')).toBeTruthy();
  });

  it('does not resend after a server error that may have been processed', async () => {
    server = createMockAuthorizationServer();
    server.enqueue('/backchannel', { status: 500, body: { error: 'server_error' } }, { status: 200, body: { auth_req_id: 'x', expires_in: 1 } });
    const { client } = createClientFor(server);
    await expect(client.backchannelAuthentication({ login_hint: 'alice' })).rejects.toBeInstanceOf(OAuthError);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 503, which the server did not process', async () => {
    server = createMockAuthorizationServer();
    server.enqueue('/backchannel', { status: 503, body: {} }, { status: 200, body: { auth_req_id: 'x', expires_in: 1 } });
    const { client } = createClientFor(server);
    await expect(client.backchannelAuthentication({ login_hint: 'alice' })).resolves.toMatchObject({ auth_req_id: 'x' });
  });
});

describe('revoke', () => {
  it('revokes a token with a hint (RFC 7009)', async () => {
    server = createMockAuthorizationServer();
    server.enqueue('/token/revocation', { status: 200, body: '' });
    const { client } = createClientFor(server);
    await client.revoke('at-secret-123');
    const [sent] = server.requests;
    expect(sent!.form.get('token')).toBe('at-secret-123');
    expect(sent!.form.get('token_type_hint')).toBe('access_token');
    expect(sent!.form.get('client_assertion')).toBeTruthy();
  });

  it('does nothing when the server offers no revocation', async () => {
    server = createMockAuthorizationServer();
    const { client } = createClientFor(server, { metadata: { issuer, token_endpoint: `${issuer}/token` } });
    await client.revoke('at-secret-123');
    expect(server.requests).toHaveLength(0);
  });

  it('surfaces revocation errors', async () => {
    server = createMockAuthorizationServer();
    server.enqueue('/token/revocation', { status: 400, body: { error: 'unsupported_token_type' } });
    const { client } = createClientFor(server);
    await expect(client.revoke('at')).rejects.toMatchObject({ error: 'unsupported_token_type' });
  });
});

describe('metadata', () => {
  it('discovers once and shares the result', async () => {
    server = createMockAuthorizationServer();
    server.setDefault('/.well-known/oauth-authorization-server', { status: 200, body: { issuer, token_endpoint: `${issuer}/token` } });
    const { client } = createClientFor(server, { metadata: undefined });
    const [first, second] = await Promise.all([client.metadata(), client.metadata()]);
    expect(first).toBe(second);
    expect(server.requests).toHaveLength(1);
  });
});
