/**
 * A loopback API for the request-rate benchmarks that validates every request the way a real
 * Countersign-protected API does: `@countersign/server`'s `rs.verify()` checks the DPoP proof's
 * signature and claims (`htm`, `htu`, `iat`, `ath`, the server nonce), the JWT access token
 * (signature on first sight, then cached), its `cnf.jkt` binding and scope, and records the proof's
 * `jti` in a replay store. Refusals are answered with the verifier's own 401 and challenge.
 *
 * The same server plays a minimal authorization server so agents are created for real: discovery
 * metadata, and a token endpoint that issues an ES256 RFC 9068 access token bound (`cnf.jkt`) to the
 * key of the DPoP proof the token request carries. The token endpoint does not authenticate the
 * client: it exists to hand out tokens the API accepts, nothing more.
 *
 * Replay store: every key is made unique (as in bench/resource-server.bench.ts), so the static
 * headers contender, which sends one proof again and again, costs the server what a fresh proof
 * costs (one insert) instead of being refused as a replay. Every other check runs on every request.
 *
 * Used in the benchmark's own process (`startValidatingApi`) and in a child process
 * (`validating-api-child.ts`), so both placements run exactly this code.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createResourceServer, memoryReplayStore, sendRefusal, verifyNodeRequest, type ReplayStore } from '../../packages/server/src/index.js';

/** A running validating API. */
export interface ValidatingApi {
  /** `http://127.0.0.1:<port>`: issuer, token endpoint origin and resource at once. */
  origin: string;
  /** Requests to the API so far (token and metadata requests not counted), by verdict and reason. */
  readonly verdicts: Record<string, number>;
  close(): Promise<void>;
}

/** The scope every API request needs and every token carries. */
export const apiScope = 'accounts:read';
/** What the API answers a valid request with. */
const accountsBody = '{"accounts":[{"id":"acc_operating","balance":250000}]}';

function everyKeyNew(): ReplayStore {
  const store = memoryReplayStore({ maxEntries: 5_000_000 });
  let counter = 0;
  return { consume: (key, ttlMs) => store.consume(`${key}:${counter++}`, ttlMs) };
}

const base64urlJson = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The RFC 7638 thumbprint of the public key in a DPoP proof's header (the proof is not verified here). */
function proofThumbprint(proof: string): string {
  const header = JSON.parse(Buffer.from(proof.slice(0, proof.indexOf('.')), 'base64url').toString()) as { jwk: Record<string, string> };
  const { jwk } = header;
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** Starts the API on 127.0.0.1, port 0. */
export async function startValidatingApi(): Promise<ValidatingApi> {
  const issuerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = { keys: [{ ...issuerKey.publicKey.export({ format: 'jwk' }), kid: 'bench-issuer', alg: 'ES256', use: 'sig' }] };
  const server = createServer();
  const verdicts: Record<string, number> = {};
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.keepAliveTimeout = 600_000;
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rs = await createResourceServer({
    issuer: origin,
    resource: origin,
    tokens: { kind: 'jwt', jwks },
    replay: everyKeyNew(),
    // Long enough for the static headers contender's one proof and nonce to last the whole run.
    proofMaxAge: 3600,
    nonce: { secret: randomBytes(32), lifetime: 3600 },
  });

  function issueToken(request: IncomingMessage, response: ServerResponse): void {
    const proof = request.headers.dpop;
    if (typeof proof !== 'string') {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end('{"error":"invalid_dpop_proof"}');
      return;
    }
    const iat = Math.floor(Date.now() / 1000);
    const payload = {
      iss: origin, sub: 'bench-agent', aud: origin, iat, exp: iat + 3600, jti: randomBytes(16).toString('base64url'),
      client_id: 'bench-agent', scope: apiScope, cnf: { jkt: proofThumbprint(proof) },
    };
    const input = `${base64urlJson({ alg: 'ES256', typ: 'at+jwt', kid: 'bench-issuer' })}.${base64urlJson(payload)}`;
    const signature = sign('sha256', Buffer.from(input), { key: issuerKey.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify({ access_token: `${input}.${signature}`, token_type: 'DPoP', expires_in: 3600, scope: apiScope }));
  }

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.url === '/.well-known/oauth-authorization-server') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ issuer: origin, token_endpoint: `${origin}/token`, dpop_signing_alg_values_supported: ['ES256', 'EdDSA'] }));
      return;
    }
    if (request.url === '/token') return issueToken(request, response);
    const verdict = await verifyNodeRequest(rs, request, { scope: apiScope });
    const outcome = verdict.ok ? 'accepted' : `refused: ${verdict.reason}`;
    verdicts[outcome] = (verdicts[outcome] ?? 0) + 1;
    if (!verdict.ok) return sendRefusal(response, verdict);
    response.writeHead(200, { ...verdict.headers, 'content-type': 'application/json' });
    response.end(accountsBody);
  }

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    // Bodies are drained first: the token request's form body is not read.
    request.resume();
    request.on('end', () => {
      answer(request, response).catch(() => {
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
    });
  });

  return {
    origin,
    verdicts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
