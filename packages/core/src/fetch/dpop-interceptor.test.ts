import { Readable } from 'node:stream';
import { Agent, fetch, interceptors, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError, InsecureEndpointError, InsufficientScopeError, ResourceChallengeError } from '../errors.js';
import { createDpopInterceptor } from './dpop-interceptor.js';
import { createTestContext, payloadOf, startResourceServer, type ReceivedRequest, type ResourceReply } from './resource-server.fixture.js';

const base = new Agent();
let server: Awaited<ReturnType<typeof startResourceServer>> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(() => base.close());

async function setup(respond: (request: ReceivedRequest, index: number) => ResourceReply, scope?: string) {
  server = await startResourceServer(respond);
  const test = createTestContext();
  const dispatcher = base.compose(createDpopInterceptor(test.context, { scope }));
  return { ...test, server, dispatcher };
}

const nonceChallenge = (nonce: string): ResourceReply => ({
  status: 401,
  headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': nonce },
});

describe('createDpopInterceptor', () => {
  it.each([
    ['an object', { 'x-trace': '1', authorization: 'Bearer old' }],
    ['a flat array', ['x-trace', '1', 'Authorization', 'Bearer old']],
    ['pairs', [['x-trace', '1'], ['DPoP', 'old']]],
    ['a Map', new Map([['x-trace', '1']])],
  ])('adds the token and a proof to undici.request with headers as %s', async (_, headers) => {
    const { dispatcher, server, issued } = await setup(() => ({ body: 'hello' }), 'accounts:read');
    const response = await request(`${server.url}/accounts?x=1`, { dispatcher, headers: headers as never });
    expect(response.statusCode).toBe(200);
    expect(await response.body.text()).toBe('hello');
    const [received] = server.requests;
    expect(received!.headers['x-trace']).toBe('1');
    expect(received!.headers.authorization).toBe('DPoP token-1');
    expect(payloadOf(received!.headers.dpop)).toMatchObject({ htm: 'GET', htu: `${server.url}/accounts` });
    expect(issued).toEqual([{ resource: server.url, scope: 'accounts:read' }]);
  });

  it('answers a nonce challenge once, re-sending a string body', async () => {
    const { dispatcher, server } = await setup((_, index) => (index === 0 ? nonceChallenge('n-1') : { status: 201 }));
    const response = await request(`${server.url}/payouts`, { dispatcher, method: 'POST', body: '{"a":1}' });
    expect(response.statusCode).toBe(201);
    await response.body.dump();
    expect(server.requests.map((item) => item.body)).toEqual(['{"a":1}', '{"a":1}']);
    expect(payloadOf(server.requests[1]!.headers.dpop).nonce).toBe('n-1');
  });

  it('never re-sends a stream body: the challenge surfaces as a typed error', async () => {
    const { dispatcher, server } = await setup(() => nonceChallenge('n-1'));
    const error = await request(`${server.url}/upload`, { dispatcher, method: 'POST', body: Readable.from(['abc']) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ResourceChallengeError);
    expect(server.requests).toHaveLength(1);
  });

  it('works for undici fetch with this dispatcher (GET retried after a nonce challenge)', async () => {
    const { dispatcher, server } = await setup((_, index) => (index === 0 ? nonceChallenge('n-9') : { body: 'fine' }));
    const response = await fetch(`${server.url}/accounts`, { dispatcher });
    expect(await response.text()).toBe('fine');
    expect(server.requests).toHaveLength(2);
    expect(payloadOf(server.requests[1]!.headers.dpop).nonce).toBe('n-9');
  });

  it('replaces an invalid token once', async () => {
    const { dispatcher, server, issued } = await setup((received) =>
      received.headers.authorization === 'DPoP token-1' ? { status: 401, headers: { 'www-authenticate': 'DPoP error="invalid_token"' } } : { body: 'ok' },
    );
    const response = await request(`${server.url}/x`, { dispatcher });
    expect(await response.body.text()).toBe('ok');
    expect(issued).toHaveLength(2);
  });

  it('corrects its clock once when the resource refuses a proof for its time', async () => {
    const { dispatcher, server } = await setup((_, index) =>
      index === 0
        ? {
            status: 401,
            headers: { 'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="iat too far"', date: new Date(Date.now() + 120_000).toUTCString() },
          }
        : { body: 'ok' },
    );
    const response = await request(`${server.url}/x`, { dispatcher });
    expect(await response.body.text()).toBe('ok');
    const [first, second] = server.requests.map((item) => payloadOf(item.headers.dpop).iat as number);
    expect(second! - first!).toBeGreaterThanOrEqual(118);
  });

  it('surfaces insufficient_scope as a typed error', async () => {
    const { dispatcher, server } = await setup(() => ({ status: 403, headers: { 'www-authenticate': 'DPoP error="insufficient_scope", scope="b"' } }));
    await expect(request(`${server.url}/x`, { dispatcher })).rejects.toBeInstanceOf(InsufficientScopeError);
  });

  it('refuses http off loopback', async () => {
    const { dispatcher, issued } = await setup(() => ({}));
    await expect(request('http://api.example/x', { dispatcher })).rejects.toBeInstanceOf(InsecureEndpointError);
    expect(issued).toHaveLength(0);
  });

  it('passes token failures to the caller', async () => {
    const { context, server: started } = await setup(() => ({}));
    const failing = base.compose(
      createDpopInterceptor({ ...context, tokens: { ...context.tokens, peek: () => undefined, get: () => Promise.reject(new Error('no token')) } }),
    );
    await expect(request(`${started.url}/x`, { dispatcher: failing })).rejects.toThrow('no token');
    expect(started.requests).toHaveLength(0);
  });

  it('lets the caller abort while a retry waits for a new token', async () => {
    const { context, server: started } = await setup(() => ({ status: 401, headers: { 'www-authenticate': 'DPoP error="invalid_token"' } }));
    let release!: () => void;
    let calls = 0;
    const tokens = {
      ...context.tokens,
      peek: () => undefined,
      get: () => {
        calls++;
        const token = { accessToken: `t-${calls}`, tokenType: 'DPoP' as const, expiresAt: Date.now() + 60_000 };
        return calls === 1 ? Promise.resolve(token) : new Promise<typeof token>((resolve) => (release = () => resolve(token)));
      },
    };
    const dispatcher = base.compose(createDpopInterceptor({ ...context, tokens }));
    const controller = new AbortController();
    const pending = request(`${started.url}/x`, { dispatcher, signal: controller.signal });
    while (calls < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow();
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(started.requests).toHaveLength(1);
  });
});

describe('createDpopInterceptor serves one origin', () => {
  let other: Awaited<ReturnType<typeof startResourceServer>> | undefined;
  afterEach(async () => {
    await other?.close();
    other = undefined;
  });
  const redirectTo = (location: () => string) => (received: ReceivedRequest) =>
    received.path === '/start' ? { status: 302, headers: { location: location() } } : { body: 'same origin' };

  it.each([
    ['undici fetch', (url: string, dispatcher: Agent) => fetch(url, { dispatcher }).then((response) => response.text())],
    [
      'undici redirect interceptor',
      (url: string, dispatcher: Agent) =>
        request(url, { dispatcher: dispatcher.compose(interceptors.redirect({ maxRedirections: 3 })) }).then((response) => response.body.text()),
    ],
  ])('follows a redirect to another origin through %s without a token, a proof or a token request', async (_, follow) => {
    other = await startResourceServer(() => ({ body: 'other origin' }));
    for (const resource of [undefined, 'set']) {
      server = await startResourceServer(redirectTo(() => `${other!.url}/steal`));
      const test = createTestContext();
      const dispatcher = base.compose(createDpopInterceptor(test.context, { resource: resource && server.url }));
      expect(await follow(`${server.url}/start`, dispatcher as unknown as Agent)).toBe('other origin');
      expect(server.requests[0]!.headers.authorization).toBe('DPoP token-1');
      const stolen = other.requests.at(-1)!;
      expect(stolen.headers.authorization).toBeUndefined();
      expect(stolen.headers.dpop).toBeUndefined();
      expect(test.issued).toEqual([{ resource: server.url }]);
      await server.close();
    }
    server = undefined;
  });

  it('sends a same-origin redirect a fresh proof for its own URL', async () => {
    server = await startResourceServer(redirectTo(() => '/next'));
    const test = createTestContext();
    const dispatcher = base.compose(createDpopInterceptor(test.context));
    expect(await (await fetch(`${server.url}/start`, { dispatcher })).text()).toBe('same origin');
    expect(payloadOf(server.requests[1]!.headers.dpop).htu).toBe(`${server.url}/next`);
    expect(server.requests[1]!.headers.authorization).toBe('DPoP token-1');
  });

  it('without a resource, serves the origin of its first request only', async () => {
    server = await startResourceServer(() => ({ body: 'first' }));
    other = await startResourceServer(() => ({ body: 'second' }));
    const test = createTestContext();
    const dispatcher = base.compose(createDpopInterceptor(test.context));
    await (await request(`${server.url}/a`, { dispatcher })).body.text();
    await (await request(`${other.url}/b`, { dispatcher, headers: { 'x-own': '1' } })).body.text();
    expect(other.requests[0]!.headers.authorization).toBeUndefined();
    expect(other.requests[0]!.headers.dpop).toBeUndefined();
    expect(other.requests[0]!.headers['x-own']).toBe('1');
    expect(test.issued).toEqual([{ resource: server.url }]);
  });

  it('refuses a resource that is not an http(s) URL', () => {
    const test = createTestContext();
    expect(() => createDpopInterceptor(test.context, { resource: 'urn:example:treasury' })).toThrow(ConfigurationError);
  });

  it('corrects only the clock of the origin that refused the proof, and never beyond five minutes', async () => {
    const refuse = (date: number): ResourceReply => ({
      status: 401,
      headers: { 'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="iat too far"', date: new Date(date).toUTCString() },
    });
    server = await startResourceServer(() => refuse(Date.now() + 3650 * 86_400_000));
    const test = createTestContext();
    const dispatcher = base.compose(createDpopInterceptor(test.context));
    const error = await request(`${server.url}/x`, { dispatcher }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ error: 'invalid_dpop_proof' });
    expect(server.requests).toHaveLength(1);
    expect(test.context.clocks.forOrigin(server.url).offsetMs).toBe(0);
  });
});
