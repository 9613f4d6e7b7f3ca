/**
 * Test kit: a local token issuer (ES256, its JWKS given to the resource server), DPoP keys, and
 * hand-built proofs, so tests can break each part on purpose. Test-only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TestIssuer {
  issuer: string;
  jwks: { keys: JWK[] };
  /** Signs an access token; `claims` override the defaults, `header` the protected header. */
  token(claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
}

export async function createTestIssuer(resource: string, issuer = 'https://as.test.example', kid = 'issuer-key'): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return {
    issuer,
    jwks: { keys: [publicJwk] },
    token: (claims = {}, header = {}) => signToken(privateKey, { iss: issuer, aud: resource, ...claims }, { kid, ...header }),
  };
}

export async function signToken(key: CryptoKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomBytes(12).toString('base64url'), iat: now, exp: now + 120, client_id: 'agent-a', sub: 'agent-a', ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', ...header })
    .sign(key);
}

export interface DpopTestKey {
  alg: 'ES256' | 'EdDSA';
  privateKey: CryptoKey;
  publicJwk: JWK;
  jkt: string;
}

export async function createDpopTestKey(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<DpopTestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk) };
}

export interface ProofParts {
  htm: string;
  htu: string;
  accessToken?: string;
  nonce?: string;
  iat?: number;
  jti?: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

export async function buildProof(key: DpopTestKey, parts: ProofParts): Promise<string> {
  const payload: Record<string, unknown> = {
    jti: parts.jti ?? randomBytes(16).toString('base64url'),
    htm: parts.htm,
    htu: parts.htu,
    iat: parts.iat ?? Math.floor(Date.now() / 1000),
  };
  if (parts.accessToken !== undefined) payload.ath = createHash('sha256').update(parts.accessToken).digest('base64url');
  if (parts.nonce !== undefined) payload.nonce = parts.nonce;
  Object.assign(payload, parts.claims);
  const header = parts.header ?? { alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk };
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, ...header } as { alg: string }).sign(key.privateKey);
}

/** RFC 8785 hash written out independently for the plain objects the tests send. */
export function testArgumentsHash(args: unknown): string {
  const canonical = (value: unknown): string =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? `{${Object.keys(value)
          .sort()
          .map((name) => `${JSON.stringify(name)}:${canonical((value as Record<string, unknown>)[name])}`)
          .join(',')}}`
      : Array.isArray(value)
        ? `[${value.map(canonical).join(',')}]`
        : JSON.stringify(value);
  return createHash('sha256').update(canonical(args)).digest('base64url');
}

/** Parses `DPoP a="b", c="d"` into its scheme and parameters. */
export function parseChallenge(header: string | null | undefined): { scheme?: string; params: Record<string, string> } {
  if (header == null) return { params: {} };
  const params: Record<string, string> = {};
  for (const match of header.matchAll(/([a-z_]+)="([^"]*)"/g)) params[match[1]!] = match[2]!;
  return { scheme: header.split(' ', 1)[0], params };
}
