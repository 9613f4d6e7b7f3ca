import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/** JWS algorithms this package verifies (asymmetric only: never `none`, never HMAC). */
export type VerifiableAlgorithm = 'ES256' | 'ES384' | 'EdDSA' | 'RS256' | 'PS256';

const verifiable = new Set<string>(['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256']);

/** Whether `alg` is one this package can verify. */
export function isVerifiableAlgorithm(alg: unknown): alg is VerifiableAlgorithm {
  return typeof alg === 'string' && verifiable.has(alg);
}

/** The key type an algorithm needs, as a JWK spells it. */
const keyShape: Record<VerifiableAlgorithm, { kty: string; crv?: string }> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  RS256: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
};

/** The curve (or key type) `alg` needs, for messages: `P-256`, `Ed25519`, `RSA`. */
export function keyNameFor(alg: VerifiableAlgorithm): string {
  return keyShape[alg].crv ?? keyShape[alg].kty;
}

/** Whether a public JWK has the type (and curve) that `alg` needs. */
export function keyFitsAlgorithm(jwk: Record<string, unknown>, alg: VerifiableAlgorithm): boolean {
  const shape = keyShape[alg];
  return jwk.kty === shape.kty && (shape.crv === undefined || jwk.crv === shape.crv);
}

const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Whether a JWK carries private (or symmetric) key material. */
export function hasPrivateMembers(jwk: Record<string, unknown>): boolean {
  return privateMembers.some((member) => member in jwk);
}

/** A public key ready to verify, with its RFC 7638 thumbprint. */
export interface VerificationKey {
  key: KeyObject;
  alg: VerifiableAlgorithm;
  /** base64url SHA-256 RFC 7638 thumbprint. */
  thumbprint: string;
}

/**
 * Imports a public JWK for `alg` (throws on a malformed key) and computes its RFC 7638 thumbprint
 * over the required members only, in lexicographic order.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3.2
 */
export function importPublicJwk(jwk: Record<string, unknown>, alg: VerifiableAlgorithm): VerificationKey {
  let required: Record<string, unknown>;
  if (jwk.kty === 'EC') required = { crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y };
  else if (jwk.kty === 'OKP') required = { crv: jwk.crv, kty: 'OKP', x: jwk.x };
  else if (jwk.kty === 'RSA') required = { e: jwk.e, kty: 'RSA', n: jwk.n };
  else throw new TypeError('unsupported key type');
  for (const value of Object.values(required)) if (typeof value !== 'string' || value.length === 0 || value.length > 1024) throw new TypeError('incomplete key');
  const key = createPublicKey({ key: required as never, format: 'jwk' });
  const thumbprint = createHash('sha256').update(JSON.stringify(required)).digest('base64url');
  return { key, alg, thumbprint };
}

/**
 * Verifies a JWS signature (`signature` decoded from base64url) over `signingInput` with node:crypto.
 * ECDSA signatures are the JWS fixed-size `r || s` form (RFC 7518 §3.4); PS256 uses a 32-byte salt.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.2
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3
 */
export function verifySignature(key: VerificationKey, signingInput: Buffer, signature: Buffer): boolean {
  try {
    switch (key.alg) {
      case 'ES256':
        return signature.length === 64 && verify('sha256', signingInput, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'ES384':
        return signature.length === 96 && verify('sha384', signingInput, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'EdDSA':
        return signature.length === 64 && verify(null, signingInput, key.key, signature);
      case 'RS256':
        return verify('sha256', signingInput, key.key, signature);
      case 'PS256':
        return verify('sha256', signingInput, { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
    }
  } catch {
    return false;
  }
}

const base64url = /^[A-Za-z0-9_-]*$/;

/** The three parts of a compact JWS, or undefined when `value` is not one. */
export function splitCompactJws(value: string): [string, string, string] | undefined {
  const first = value.indexOf('.');
  const second = value.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || second === value.length - 1 || value.indexOf('.', second + 1) !== -1) return undefined;
  const parts: [string, string, string] = [value.slice(0, first), value.slice(first + 1, second), value.slice(second + 1)];
  return base64url.test(value.replaceAll('.', '')) ? parts : undefined;
}

/** Decodes a base64url JSON object, or undefined when it is not one. */
export function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
