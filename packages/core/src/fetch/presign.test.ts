/**
 * Proofs signed ahead of time (`dpop.presign`), seen from a real HTTP server on 127.0.0.1: which
 * proof each request carried, and which signature of a counting signer it was.
 */
import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createAgent } from '../agent.js';
import { ConfigurationError } from '../errors.js';
import { createNodeSigner } from '../keys/node-signer.js';
import { createAgentFetch } from './agent-fetch.js';
import { createDpopInterceptor } from './dpop-interceptor.js';
import {
  afterImmediates,
  countingSigner,
  createTestContext,
  payloadOf,
  startResourceServer,
  type ReceivedRequest,
  type ResourceReply,
  type TestContextOptions,
} from './resource-server.fixture.js';

const base = new Agent();
let server: Awaited<ReturnType<typeof startResourceServer>> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(() => base.close());

async function setup(respond: (request: ReceivedRequest, index: number) => ResourceReply, options: TestContextOptions & { async?: boolean } = {}) {
  server = await startResourceServer(respond);
  const counting = countingSigner({ async: options.async });
  // A generous maxAgeMs, so that a loaded machine cannot make a kept proof stale between two requests.
  const test = createTestContext({ presign: { maxAgeMs: 10_000 }, signer: counting.signer, ...options });
  return { ...test, server, counting, fetch: createAgentFetch(test.context) };
}

/** The signing input (`header.payload`) of a compact JWS. */
const signingInputOf = (jws: string | string[] | undefined) => String(jws).split('.').slice(0, 2).join('.');
const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

/** Verifies a proof's signature with the public key in its own header, as a resource server does. */
function verifiesWithItsJwk(jws: string | string[] | undefined): boolean {
  const [header, payload, signature] = String(jws).split('.');
  const jwk = JSON.parse(Buffer.from(header!, 'base64url').toString()) as { jwk: Record<string, string> };
  const key = createPublicKey({ key: jwk.jwk, format: 'jwk' });
  return verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature!, 'base64url'));
}

describe('agent.fetch with proofs signed ahead', () => {
  it('sends each request a proof signed while the previous one waited, each jti once', async () => {
    const { fetch, server, counting, presigned } = await setup(() => ({ headers: { 'dpop-nonce': 'n-1' } }));
    const requests = 60;
    for (let index = 0; index < requests; index++) await (await fetch(`${server.url}/accounts?page=${index}`)).text();
    await afterImmediates();
    // The first two are signed on demand (the second shows the URL is busy); every request from then
    // on signs the next one's proof; one is left over.
    expect(counting.count).toBe(requests + 1);
    expect(presigned!.size).toBe(1);
    const proofs = server.requests.map((received) => received.headers.dpop);
    // Request i carried signature i: the proofs signed ahead were used, in order, none twice.
    expect(proofs.map(signingInputOf)).toEqual(counting.inputs.slice(0, requests));
    expect(new Set(proofs.map((proof) => payloadOf(proof).jti)).size).toBe(requests);
    for (const proof of proofs) expect(verifiesWithItsJwk(proof)).toBe(true);
    const now = Date.now() / 1000;
    for (const [index, proof] of proofs.entries()) {
      const claims = payloadOf(proof);
      expect(claims).toMatchObject({ htm: 'GET', htu: `${server.url}/accounts`, ath: sha256('token-1') });
      expect(claims.nonce).toBe(index === 0 ? undefined : 'n-1');
      expect(now - (claims.iat as number)).toBeLessThan(30);
    }
  });

  it('signs every proof on demand when signing ahead is off', async () => {
    const { fetch, server, counting } = await setup(() => ({}), { presign: false });
    for (let index = 0; index < 20; index++) await (await fetch(`${server.url}/accounts`)).text();
    await afterImmediates();
    expect(counting.count).toBe(20);
  });

  it('never signs ahead with an asynchronous signer', async () => {
    const { fetch, server, counting, presigned } = await setup(() => ({}), { async: true });
    for (let index = 0; index < 20; index++) await (await fetch(`${server.url}/accounts`)).text();
    await afterImmediates();
    expect(counting.count).toBe(20);
    expect(presigned!.size).toBe(0);
    expect(new Set(server.requests.map((received) => payloadOf(received.headers.dpop).jti)).size).toBe(20);
  });

  it('does not use a proof signed for another nonce: every request carries the latest one', async () => {
    const { fetch, server } = await setup((_, index) => ({ headers: { 'dpop-nonce': `n-${index}` } }));
    for (let index = 0; index < 20; index++) await (await fetch(`${server.url}/accounts`)).text();
    const nonces = server.requests.map((received) => payloadOf(received.headers.dpop).nonce);
    expect(nonces).toEqual([undefined, ...Array.from({ length: 19 }, (_, index) => `n-${index}`)]);
    expect(new Set(server.requests.map((received) => payloadOf(received.headers.dpop).jti)).size).toBe(20);
  });

  it('does not use a proof signed for another token', async () => {
    const { fetch, server, counting, tokens } = await setup(() => ({}));
    for (let index = 0; index < 3; index++) await (await fetch(`${server.url}/accounts`)).text();
    await afterImmediates();
    expect(counting.count).toBe(4);
    tokens.invalidate('token-1');
    await (await fetch(`${server.url}/accounts`)).text();
    const last = server.requests[3]!.headers.dpop;
    expect(payloadOf(last).ath).toBe(sha256('token-2'));
    expect(signingInputOf(last)).toBe(counting.inputs[4]);
  });

  it('does not use a proof signed for another method or URL', async () => {
    const { fetch, server, counting } = await setup(() => ({}));
    await (await fetch(`${server.url}/accounts`)).text();
    await (await fetch(`${server.url}/accounts`)).text();
    await afterImmediates();
    // Kept for GET /accounts: signature 3.
    expect(counting.count).toBe(3);
    await (await fetch(`${server.url}/accounts`, { method: 'POST', body: '{}' })).text();
    await (await fetch(`${server.url}/payouts`)).text();
    await (await fetch(`${server.url}/accounts`)).text();
    const [post, other, back] = server.requests.slice(2).map((received) => received.headers.dpop);
    expect(payloadOf(post)).toMatchObject({ htm: 'POST', htu: `${server.url}/accounts` });
    expect(signingInputOf(post)).toBe(counting.inputs[3]);
    expect(payloadOf(other)).toMatchObject({ htm: 'GET', htu: `${server.url}/payouts` });
    expect(signingInputOf(other)).toBe(counting.inputs[4]);
    // The proof kept for GET /accounts waited for it.
    expect(signingInputOf(back)).toBe(counting.inputs[2]);
  });

  it('does not use a proof older than maxAgeMs; a fresh one carries the current time', async () => {
    let now = Date.now();
    const { fetch, server, counting } = await setup(() => ({}), { clock: () => now, presign: true });
    await (await fetch(`${server.url}/accounts`)).text();
    await (await fetch(`${server.url}/accounts`)).text();
    await afterImmediates();
    expect(counting.count).toBe(3);
    now += 1_500;
    await (await fetch(`${server.url}/accounts`)).text();
    const late = server.requests[2]!.headers.dpop;
    expect(signingInputOf(late)).toBe(counting.inputs[3]);
    expect(payloadOf(late).iat).toBe(Math.floor(now / 1000));
  });

  it('answers a challenge with a proof signed on demand and signs nothing ahead for the retry', async () => {
    const { fetch, server, counting, presigned } = await setup((_, index): ResourceReply =>
      index === 2
        ? { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n-new' } }
        : { headers: { 'dpop-nonce': index < 2 ? 'n-old' : 'n-new' } },
    );
    await (await fetch(`${server.url}/accounts`)).text();
    await (await fetch(`${server.url}/accounts`)).text();
    await afterImmediates();
    expect(presigned!.size).toBe(1);
    // Sent with the proof signed ahead, refused, sent again with a proof made on demand.
    await (await fetch(`${server.url}/accounts`)).text();
    await afterImmediates();
    const [refused, retried] = server.requests.slice(2).map((received) => received.headers.dpop);
    expect(signingInputOf(refused)).toBe(counting.inputs[2]);
    expect(payloadOf(retried).nonce).toBe('n-new');
    expect(payloadOf(retried).jti).not.toBe(payloadOf(refused).jti);
    expect(presigned!.size).toBe(0);
    // The retry's proof was the last signature; the next request's proof is signed on demand
    // (whatever was signed ahead for the old nonce is gone, unused).
    const signed = counting.count;
    expect(signingInputOf(retried)).toBe(counting.inputs[signed - 1]);
    await (await fetch(`${server.url}/accounts`)).text();
    expect(signingInputOf(server.requests[4]!.headers.dpop)).toBe(counting.inputs[signed]);
    expect(payloadOf(server.requests[4]!.headers.dpop).nonce).toBe('n-new');
  });

  it('drops the proofs signed ahead when a token is refused', async () => {
    const { fetch, server, presigned } = await setup((_, index) =>
      index === 2 ? { status: 401, headers: { 'www-authenticate': 'DPoP error="invalid_token"' } } : {},
    );
    for (let index = 0; index < 3; index++) await (await fetch(`${server.url}/accounts`)).text();
    await afterImmediates();
    expect(server.requests.map((received) => received.headers.authorization)).toEqual(['DPoP token-1', 'DPoP token-1', 'DPoP token-1', 'DPoP token-2']);
    expect(presigned!.size).toBe(0);
  });
});

describe('agent.dispatcher() with proofs signed ahead', () => {
  it('sends each request a proof signed while the previous one waited, each jti once', async () => {
    const { context, server: started, counting } = await setup(() => ({}));
    const dispatcher = base.compose(createDpopInterceptor(context));
    const requests = 40;
    for (let index = 0; index < requests; index++) await (await request(`${started.url}/accounts?page=${index}`, { dispatcher })).body.text();
    await afterImmediates();
    expect(counting.count).toBe(requests + 1);
    const proofs = started.requests.map((received) => received.headers.dpop);
    expect(proofs.map(signingInputOf)).toEqual(counting.inputs.slice(0, requests));
    expect(new Set(proofs.map((proof) => payloadOf(proof).jti)).size).toBe(requests);
    for (const proof of proofs) expect(payloadOf(proof).htu).toBe(`${started.url}/accounts`);
  });

  it('signs nothing ahead for a retry after a challenge', async () => {
    const { context, server: started, presigned } = await setup((_, index) =>
      index === 2 ? { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n-2' } } : {},
    );
    const dispatcher = base.compose(createDpopInterceptor(context));
    for (let index = 0; index < 3; index++) await (await request(`${started.url}/accounts`, { dispatcher })).body.text();
    await afterImmediates();
    expect(started.requests).toHaveLength(4);
    expect(payloadOf(started.requests[3]!.headers.dpop).nonce).toBe('n-2');
    expect(presigned!.size).toBe(0);
  });
});

describe('createAgent({ dpop: { presign } })', () => {
  /** A loopback server that plays the authorization server and the resource, and keeps every DPoP proof. */
  async function startStack() {
    const proofs: string[] = [];
    const stack = createServer((incoming, outgoing) => {
      const origin = `http://127.0.0.1:${(stack.address() as AddressInfo).port}`;
      incoming.resume();
      incoming.on('end', () => {
        if (incoming.url === '/.well-known/oauth-authorization-server') {
          outgoing.writeHead(200, { 'content-type': 'application/json' });
          return outgoing.end(JSON.stringify({ issuer: origin, token_endpoint: `${origin}/token` }));
        }
        proofs.push(String(incoming.headers.dpop));
        outgoing.writeHead(200, { 'content-type': 'application/json', 'dpop-nonce': 'n-1' });
        if (incoming.url === '/token') return outgoing.end(JSON.stringify({ access_token: 'at-1', token_type: 'DPoP', expires_in: 300 }));
        outgoing.end('{}');
      });
    });
    await new Promise<void>((resolve) => stack.listen(0, '127.0.0.1', resolve));
    return {
      origin: `http://127.0.0.1:${(stack.address() as AddressInfo).port}`,
      proofs,
      close: () => new Promise<void>((resolve) => stack.close(() => resolve())),
    };
  }
  const identity = () => createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);

  it.each([
    ['on by default', undefined, true],
    ['off with presign: false', false, false],
    ['on with a maxAgeMs', { maxAgeMs: 500 }, true],
  ])('signs ahead %s, with a jti of its own on every request', async (_, presign, signsAhead) => {
    const stack = await startStack();
    const counting = countingSigner();
    const agent = await createAgent({ issuer: stack.origin, clientId: 'agent-1', key: identity(), dispatcher: base, dpop: { key: counting.signer, presign } });
    try {
      for (let index = 0; index < 30; index++) await (await agent.fetch(`${stack.origin}/accounts`)).text();
      await afterImmediates();
      // One proof went to the token endpoint; signing ahead leaves at least one unused.
      if (signsAhead) {
        expect(counting.count - 1).toBeGreaterThan(30);
        expect(counting.count - 1).toBeLessThanOrEqual(32);
      } else expect(counting.count - 1).toBe(30);
      expect(stack.proofs).toHaveLength(31);
      expect(new Set(stack.proofs.map((proof) => payloadOf(proof).jti)).size).toBe(31);
      for (const proof of stack.proofs) expect(verifiesWithItsJwk(proof)).toBe(true);
    } finally {
      await agent.close();
      await stack.close();
    }
  });

  it('refuses a maxAgeMs out of range', async () => {
    await expect(
      createAgent({ issuer: 'http://127.0.0.1:9', clientId: 'agent-1', key: identity(), dpop: { presign: { maxAgeMs: 60_000 } } }),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });
});
