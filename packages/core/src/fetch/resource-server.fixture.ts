/**
 * Test fixture: a real HTTP server on 127.0.0.1 playing a protected resource, scripted per request,
 * plus an agent fetch context around a counting token source.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DpopNonceCache } from '../dpop/nonce-cache.js';
import { createPresignedProofs } from '../dpop/presigned-proofs.js';
import { createDpopProver } from '../dpop/proof.js';
import { createNodeSigner } from '../keys/node-signer.js';
import type { Signer } from '../keys/signer.js';
import { createOriginClocks } from '../lib/clock-skew.js';
import { createTokenCache, type TokenTarget } from '../tokens/token-cache.js';
import type { AgentFetchContext } from './agent-fetch.js';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ResourceReply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

export async function startResourceServer(respond: (request: ReceivedRequest, index: number) => ResourceReply) {
  const requests: ReceivedRequest[] = [];
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const request = { method: incoming.method!, path: incoming.url!, headers: incoming.headers, body: Buffer.concat(chunks).toString() };
      requests.push(request);
      const reply = respond(request, requests.length - 1);
      outgoing.writeHead(reply.status ?? 200, { 'content-type': 'text/plain', ...reply.headers });
      outgoing.end(reply.body ?? 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface TestContextOptions {
  /** Sign proofs ahead of time, as agents do by default (default false here). */
  presign?: boolean | { maxAgeMs?: number };
  /** The DPoP signer (default: a fresh node:crypto P-256 key). */
  signer?: Signer;
  /** Local clock in milliseconds (default `Date.now`). */
  clock?: () => number;
}

/** A signer that counts its signatures and keeps every signing input, around a fresh P-256 key. */
export function countingSigner(options: { async?: boolean } = {}) {
  const inner = createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const inputs: string[] = [];
  const signer: Signer = {
    alg: inner.alg,
    kid: inner.kid,
    publicJwk: inner.publicJwk,
    sign(data) {
      inputs.push(Buffer.from(data).toString('latin1'));
      const signature = inner.sign(data);
      return options.async ? Promise.resolve(signature) : signature;
    },
  };
  return {
    signer,
    inputs,
    get count() {
      return inputs.length;
    },
  };
}

/** Waits until immediates queued so far (where proofs are signed ahead) have run. */
export const afterImmediates = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

export function createTestContext(options: TestContextOptions = {}) {
  const issued: TokenTarget[] = [];
  const tokens = createTokenCache({
    request: async (target) => {
      issued.push(target);
      return { accessToken: `token-${issued.length}`, tokenType: 'DPoP', expiresAt: Date.now() + 300_000, ...target };
    },
  });
  const clocks = createOriginClocks(options.clock);
  const dpop = createDpopProver(options.signer ?? createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey), {
    clock: () => clocks.local() / 1000,
  });
  const presign = options.presign ?? false;
  const presigned =
    presign === false ? undefined : createPresignedProofs(dpop, { clock: () => clocks.local() / 1000, maxAgeMs: presign === true ? undefined : presign.maxAgeMs });
  let usable = true;
  const context: AgentFetchContext = {
    tokens,
    dpop,
    presigned,
    nonces: new DpopNonceCache(),
    clocks,
    assertUsable: () => {
      if (!usable) throw new Error('unusable');
    },
  };
  return { context, issued, tokens, dpop, presigned, disable: () => (usable = false) };
}

export function payloadOf(jws: string | string[] | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(String(jws).split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
