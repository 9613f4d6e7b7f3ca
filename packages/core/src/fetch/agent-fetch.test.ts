import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InsecureEndpointError,
  InsufficientScopeError,
  InsufficientUserAuthenticationError,
  ResourceChallengeError,
} from '../errors.js';
import { createAgentFetch } from './agent-fetch.js';
import { TokenAudienceError } from './token-audience-error.js';
import { createTestContext, payloadOf, startResourceServer, type ReceivedRequest, type ResourceReply } from './resource-server.fixture.js';

let server: Awaited<ReturnType<typeof startResourceServer>> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(respond: (request: ReceivedRequest, index: number) => ResourceReply) {
  server = await startResourceServer(respond);
  const test = createTestContext();
  return { ...test, server, fetch: createAgentFetch(test.context) };
}

const nonceChallenge = (nonce: string): ResourceReply => ({
  status: 401,
  headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"', 'dpop-nonce': nonce },
});

describe('agent.fetch', () => {
  it('sends Authorization: DPoP and a fresh proof with htm, htu (no query), ath', async () => {
    const { fetch, server, issued } = await setup(() => ({ body: 'accounts' }));
    const response = await fetch(`${server.url}/accounts?limit=5#frag`, { scope: 'accounts:read' });
    expect(await response.text()).toBe('accounts');
    const [received] = server.requests;
    expect(received!.headers.authorization).toBe('DPoP token-1');
    const proof = payloadOf(received!.headers.dpop);
    expect(proof).toMatchObject({ htm: 'GET', htu: `${server.url}/accounts` });
    expect(proof.ath).toBe(createHash('sha256').update('token-1').digest('base64url'));
    expect(proof.nonce).toBeUndefined();
    expect(issued).toEqual([{ resource: server.url, scope: 'accounts:read' }]);
  });

  it('keeps the caller’s headers but replaces Authorization and DPoP', async () => {
    const { fetch, server } = await setup(() => ({}));
    await fetch(`${server.url}/x`, { headers: { 'x-trace': '1', Authorization: 'Bearer mine', DPoP: 'forged' } });
    expect(server.requests[0]!.headers['x-trace']).toBe('1');
    expect(server.requests[0]!.headers.authorization).toBe('DPoP token-1');
    expect(server.requests[0]!.headers.dpop).not.toBe('forged');
  });

  it('answers use_dpop_nonce once, re-sending a buffered stream body with a fresh proof', async () => {
    const { fetch, server } = await setup((_, index) => (index === 0 ? nonceChallenge('n-1') : { status: 201, headers: { 'dpop-nonce': 'n-2' } }));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"amount":'));
        controller.enqueue(new TextEncoder().encode('5}'));
        controller.close();
      },
    });
    const response = await fetch(`${server.url}/payouts`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(201);
    const [first, second] = server.requests;
    expect(second!.body).toBe('{"amount":5}');
    expect(first!.body).toBe('{"amount":5}');
    expect(payloadOf(second!.headers.dpop)).toMatchObject({ nonce: 'n-1', htm: 'POST' });
    expect(payloadOf(second!.headers.dpop).jti).not.toBe(payloadOf(first!.headers.dpop).jti);
    // The nonce of the last response is used next.
    await fetch(`${server.url}/accounts`);
    expect(payloadOf(server.requests[2]!.headers.dpop).nonce).toBe('n-2');
  });

  it.each([
    ['a string', () => 'a=1'],
    ['URLSearchParams', () => new URLSearchParams({ a: '1' })],
    ['bytes', () => new TextEncoder().encode('a=1')],
    ['a Blob', () => new Blob(['a=1'])],
  ])('re-sends %s body after a nonce challenge', async (_, body) => {
    const { fetch, server } = await setup((_, index) => (index === 0 ? nonceChallenge('n') : {}));
    await fetch(`${server.url}/form`, { method: 'POST', body: body() });
    expect(server.requests.map((request) => request.body)).toEqual(['a=1', 'a=1']);
  });

  it('does not answer a second nonce challenge', async () => {
    const { fetch, server } = await setup(() => nonceChallenge('again'));
    const error = await fetch(`${server.url}/x`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ResourceChallengeError);
    expect((error as ResourceChallengeError).error).toBe('use_dpop_nonce');
    expect(server.requests).toHaveLength(2);
  });

  it('drops an invalid token, gets a new one and retries once', async () => {
    const { fetch, server, issued } = await setup((request) =>
      request.headers.authorization === 'DPoP token-1' ? { status: 401, headers: { 'www-authenticate': 'DPoP error="invalid_token", algs="ES256"' } } : {},
    );
    expect((await fetch(`${server.url}/x`)).status).toBe(200);
    expect(issued).toHaveLength(2);
    expect(server.requests.map((request) => request.headers.authorization)).toEqual(['DPoP token-1', 'DPoP token-2']);
    expect(payloadOf(server.requests[1]!.headers.dpop).ath).toBe(createHash('sha256').update('token-2').digest('base64url'));
  });

  it('does not replace an explicit token', async () => {
    const { fetch, server, issued } = await setup(() => ({ status: 401, headers: { 'www-authenticate': 'DPoP error="invalid_token"' } }));
    const token = { accessToken: 'action-token', tokenType: 'DPoP' as const, expiresAt: Date.now() + 60_000 };
    await expect(fetch(`${server.url}/payouts`, { method: 'POST', body: '{}', token })).rejects.toMatchObject({ error: 'invalid_token', status: 401 });
    expect(issued).toHaveLength(0);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers.authorization).toBe('DPoP action-token');
  });

  it('throws typed errors for insufficient_scope and insufficient_user_authentication', async () => {
    const { fetch, server } = await setup((request) =>
      request.path === '/scope'
        ? { status: 403, headers: { 'www-authenticate': 'DPoP error="insufficient_scope", scope="payouts:write"' } }
        : { status: 401, headers: { 'www-authenticate': 'Bearer realm="x", DPoP error="insufficient_user_authentication", max_age="5"' } },
    );
    const scopeError = (await fetch(`${server.url}/scope`).catch((caught: unknown) => caught)) as InsufficientScopeError;
    expect(scopeError).toBeInstanceOf(InsufficientScopeError);
    expect(scopeError).toMatchObject({ scope: 'payouts:write', status: 403, code: 'ERR_INSUFFICIENT_SCOPE' });
    const authError = (await fetch(`${server.url}/auth`).catch((caught: unknown) => caught)) as InsufficientUserAuthenticationError;
    expect(authError).toBeInstanceOf(InsufficientUserAuthenticationError);
    expect(authError.parameters.max_age).toBe('5');
  });

  it('returns 401 and 403 responses without a challenge error as they are', async () => {
    const { fetch, server } = await setup(() => ({ status: 403, body: 'forbidden by policy' }));
    const response = await fetch(`${server.url}/x`);
    expect(response.status).toBe(403);
    expect(await response.text()).toBe('forbidden by policy');
  });

  it('corrects its clock once when the resource refuses a proof for its time', async () => {
    const { fetch, server, context } = await setup((_, index) =>
      index === 0
        ? {
            status: 401,
            headers: {
              'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="DPoP proof iat is outside the acceptable window"',
              date: new Date(Date.now() - 120_000).toUTCString(),
            },
          }
        : {},
    );
    expect((await fetch(`${server.url}/x`)).status).toBe(200);
    const [first, second] = server.requests.map((request) => payloadOf(request.headers.dpop).iat as number);
    expect(first! - second!).toBeGreaterThanOrEqual(118);
    expect(Math.abs(context.clocks.forOrigin(server.url).offsetMs + 120_000)).toBeLessThan(2_000);
    // Only that origin's clock moved.
    expect(context.clocks.forOrigin('https://other.example').offsetMs).toBe(0);
  });

  it('does not correct its clock beyond five minutes: the challenge error is thrown', async () => {
    const { fetch, server, context } = await setup(() => ({
      status: 401,
      headers: {
        'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="DPoP proof iat is outside the acceptable window"',
        date: new Date(Date.now() + 3650 * 86_400_000).toUTCString(),
      },
    }));
    await expect(fetch(`${server.url}/x`)).rejects.toMatchObject({ error: 'invalid_dpop_proof', status: 401 });
    expect(server.requests).toHaveLength(1);
    expect(context.clocks.forOrigin(server.url).offsetMs).toBe(0);
    await fetch(`${server.url}/x`).catch(() => undefined);
    expect(Math.abs((payloadOf(server.requests[1]!.headers.dpop).iat as number) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('does not correct its clock for an invalid_dpop_proof unrelated to time', async () => {
    const { fetch, server } = await setup(() => ({
      status: 401,
      headers: { 'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="DPoP proof htu mismatch"', date: new Date().toUTCString() },
    }));
    await expect(fetch(`${server.url}/x`)).rejects.toMatchObject({ error: 'invalid_dpop_proof' });
    expect(server.requests).toHaveLength(1);
  });

  it('returns redirects instead of following them with a proof bound to another URL', async () => {
    const { fetch, server } = await setup(() => ({ status: 302, headers: { location: '/elsewhere' } }));
    const response = await fetch(`${server.url}/x`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/elsewhere');
    expect(server.requests).toHaveLength(1);
  });

  it('refuses http off loopback before getting a token', async () => {
    const { fetch, issued } = await setup(() => ({}));
    await expect(fetch('http://api.example/accounts')).rejects.toBeInstanceOf(InsecureEndpointError);
    expect(issued).toHaveLength(0);
  });

  it('uses the resource it is given', async () => {
    const { fetch, server, issued } = await setup(() => ({}));
    await fetch(`${server.url}/x`, { resource: `${server.url}/api`, scope: 'b a' });
    expect(issued).toEqual([{ resource: `${server.url}/api`, scope: 'a b' }]);
  });

  it('refuses a resource or token of another origin before asking for a token or sending anything', async () => {
    const { fetch, server, issued } = await setup(() => ({}));
    const byResource = await fetch(`${server.url}/x`, { resource: 'https://api.example' }).catch((caught: unknown) => caught);
    expect(byResource).toBeInstanceOf(TokenAudienceError);
    expect(byResource).toMatchObject({ code: 'ERR_TOKEN_AUDIENCE', resource: 'https://api.example', origin: server.url });
    const token = { accessToken: 'action-token', tokenType: 'DPoP' as const, expiresAt: Date.now() + 60_000, resource: 'https://api.example/' };
    const byToken = await fetch(`${server.url}/payouts`, { method: 'POST', body: '{}', token }).catch((caught: unknown) => caught);
    expect(byToken).toBeInstanceOf(TokenAudienceError);
    expect(String((byToken as Error).message)).not.toContain('action-token');
    // The same token goes to its own origin.
    await fetch(`${server.url}/payouts`, { method: 'POST', body: '{}', token: { ...token, resource: `${server.url}/` } });
    expect(issued).toHaveLength(0);
    expect(server.requests.map((request) => request.headers.authorization)).toEqual(['DPoP action-token']);
  });

  it('with redirect: follow, follows a same-origin redirect with a fresh proof for the new URL', async () => {
    const { fetch, server } = await setup((request) =>
      request.path === '/old' ? { status: 303, headers: { location: '/new?page=2' } } : { body: 'moved' },
    );
    const response = await fetch(`${server.url}/old`, { method: 'POST', body: 'a=1', headers: { 'content-type': 'text/plain' }, redirect: 'follow' });
    expect(await response.text()).toBe('moved');
    const [first, second] = server.requests;
    expect(payloadOf(first!.headers.dpop)).toMatchObject({ htm: 'POST', htu: `${server.url}/old` });
    expect(second).toMatchObject({ method: 'GET', path: '/new?page=2', body: '' });
    expect(second!.headers['content-type']).toBeUndefined();
    expect(payloadOf(second!.headers.dpop)).toMatchObject({ htm: 'GET', htu: `${server.url}/new` });
    expect(payloadOf(second!.headers.dpop).jti).not.toBe(payloadOf(first!.headers.dpop).jti);
  });

  it('with redirect: follow, returns a redirect to another origin without sending it a token or a proof', async () => {
    const other = await startResourceServer(() => ({ body: 'attacker' }));
    try {
      const { fetch, server } = await setup(() => ({ status: 307, headers: { location: `${other.url}/steal` } }));
      const response = await fetch(`${server.url}/x`, { method: 'POST', body: '{}', redirect: 'follow' });
      expect(response.status).toBe(307);
      expect(response.headers.get('location')).toBe(`${other.url}/steal`);
      expect(server.requests).toHaveLength(1);
      expect(other.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('refuses work when the agent is no longer usable', async () => {
    const { fetch, server, disable } = await setup(() => ({}));
    disable();
    await expect(fetch(`${server.url}/x`)).rejects.toThrow('unusable');
    expect(server.requests).toHaveLength(0);
  });
});
