/**
 * Verification cost per request at the API, side by side on the same requests (an RFC 9068 JWT
 * access token, DPoP-bound, and a DPoP proof, both ES256): `@countersign/server`'s `rs.verify()`,
 * oauth4webapi's `validateJwtAccessToken` with `requireDPoP` (which checks the same proof and
 * binding, but neither proof replay nor nonce), and the floor: two raw ES256 verifies with
 * node:crypto (token + proof). Targets (issue 15): at least 3x faster than oauth4webapi per request
 * (a token already verified is not verified again until it expires), and at most 1.5x the
 * two-verify floor when the token is new (a cache miss).
 *
 * Run alone with `node --import tsx bench/resource-server.bench.ts`, or with the others via `pnpm bench`.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { createResourceServer, memoryReplayStore, type ReplayStore, type ResourceServer } from '../packages/server/src/index.js';
import { compare } from './support/side-by-side.js';

const issuer = 'https://as.example';
const resource = 'https://api.example';
const url = `${resource}/v1/accounts?page=2`;
const htu = `${resource}/v1/accounts`;
const now = () => Math.floor(Date.now() / 1000);

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function es256(privateKey: KeyObject, header: unknown, payload: unknown): string {
  const input = `${base64url(header)}.${base64url(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

const issuerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const issuerJwk = { ...issuerKey.publicKey.export({ format: 'jwk' }), kid: 'issuer-1', alg: 'ES256', use: 'sig' };
const jwks = { keys: [issuerJwk] };

/** An agent's DPoP key: its public JWK and RFC 7638 thumbprint. */
function dpopKey() {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { crv, kty, x, y } = pair.publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const jwk = { crv: crv!, kty: kty!, x: x!, y: y! };
  return { ...pair, jwk, jkt: createHash('sha256').update(JSON.stringify(jwk)).digest('base64url') };
}

/** A realistic routine access token: the claims an AS such as oidc-provider puts in (about 700 characters). */
function accessToken(jkt: string): string {
  const iat = now();
  return es256(issuerKey.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'issuer-1' }, {
    iss: issuer, sub: 'payout-agent', aud: resource, iat, exp: iat + 300, jti: randomBytes(16).toString('base64url'),
    client_id: 'payout-agent', scope: 'accounts:read payouts:write', cnf: { jkt },
  });
}

function proof(key: ReturnType<typeof dpopKey>, token: string): string {
  return es256(key.privateKey, { alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk }, {
    jti: randomBytes(16).toString('base64url'), htm: 'GET', htu, iat: now(), ath: createHash('sha256').update(token).digest('base64url'),
  });
}

const request = (token: string, dpop: string) => new Request(url, { headers: { authorization: `DPoP ${token}`, dpop } });

/**
 * The memory replay store, each key made unique: a reused pre-signed proof costs what a fresh one
 * does (one insert into the store) instead of being refused as a replay.
 */
function everyKeyNew(): ReplayStore {
  const store = memoryReplayStore({ maxEntries: 5_000_000 });
  let counter = 0;
  return { consume: (key, ttlMs) => store.consume(`${key}:${counter++}`, ttlMs) };
}

async function server(options: { maxCachedTokens?: number } = {}): Promise<ResourceServer> {
  return createResourceServer({ issuer, resource, tokens: { kind: 'jwt', jwks }, replay: everyKeyNew(), proofMaxAge: 600, ...options });
}

// One agent, one token, many requests (the usual case), each with its own proof.
const agent = dpopKey();
const token = accessToken(agent.jkt);
const requests = Array.from({ length: 64 }, () => request(token, proof(agent, token)));
// A new token on every request (cache miss): 512 distinct tokens cycled through a one-entry cache.
const freshTokens = Array.from({ length: 512 }, () => accessToken(agent.jkt));
const freshRequests = freshTokens.map((fresh) => request(fresh, proof(agent, fresh)));

const cached = await server();
const uncached = await server({ maxCachedTokens: 1 });
const as: oauth.AuthorizationServer = { issuer, jwks_uri: `${issuer}/jwks` };
const jwksCache: oauth.JWKSCacheInput = {};
const oauthOptions: oauth.ValidateJWTAccessTokenOptions = {
  requireDPoP: true,
  signingAlgorithms: ['ES256'],
  [oauth.jwksCache]: jwksCache,
  [oauth.customFetch]: async () => Response.json(jwks, { headers: { 'content-type': 'application/json' } }),
};

// The floor: the same two signatures over the same bytes, keys imported once.
const issuerPublic = issuerKey.publicKey;
const floorParts = (jws: string) => {
  const dot = jws.lastIndexOf('.');
  return { input: Buffer.from(jws.slice(0, dot)), signature: Buffer.from(jws.slice(dot + 1), 'base64url') };
};
const floorToken = floorParts(token);
const floorProof = floorParts(requests[0]!.headers.get('dpop')!);
const twoVerifies = () =>
  verify('sha256', floorToken.input, { key: issuerPublic, dsaEncoding: 'ieee-p1363' }, floorToken.signature) &&
  verify('sha256', floorProof.input, { key: agent.publicKey, dsaEncoding: 'ieee-p1363' }, floorProof.signature);

// Every contender accepts every request before anything is timed.
for (const [name, rs, list] of [['cached', cached, requests], ['uncached', uncached, freshRequests]] as const) {
  for (const candidate of list) {
    const verdict = await rs.verify(candidate, { scope: 'accounts:read' });
    if (!verdict.ok) throw new Error(`${name}: ${verdict.reason}`);
  }
}
await oauth.validateJwtAccessToken(as, requests[0]!, resource, oauthOptions);
await oauth.validateJwtAccessToken(as, freshRequests[0]!, resource, oauthOptions);
if (!twoVerifies()) throw new Error('floor: signatures do not verify');

let next = 0;
let nextFresh = 0;
const ours = 'rs.verify(), token seen before';
const oursMiss = 'rs.verify(), a new token every request';
const theirs = 'oauth4webapi validateJwtAccessToken (requireDPoP)';
const floor = 'two raw ES256 crypto.verify (token + proof)';
await compare({
  title: 'Verifying a DPoP-bound JWT access token and its proof, per request (ES256)',
  tasks: {
    [ours]: () => cached.verify(requests[next++ & 63]!, { scope: 'accounts:read' }),
    [oursMiss]: () => uncached.verify(freshRequests[nextFresh++ & 511]!, { scope: 'accounts:read' }),
    [theirs]: () => oauth.validateJwtAccessToken(as, requests[next++ & 63]!, resource, oauthOptions),
    [floor]: twoVerifies,
  },
  ratios: [
    { label: 'oauth4webapi / rs.verify() (speed-up, usual case)', numerator: theirs, denominator: ours, target: { min: 3 } },
    { label: 'rs.verify() on a cache miss / two-verify floor', numerator: oursMiss, denominator: floor, target: { max: 1.5 } },
    { label: 'oauth4webapi / rs.verify() on a cache miss', numerator: theirs, denominator: oursMiss },
    { label: 'rs.verify(), token seen before / two-verify floor', numerator: ours, denominator: floor },
  ],
});
