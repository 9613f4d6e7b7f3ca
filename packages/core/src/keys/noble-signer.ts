import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { KeyError } from '../errors.js';
import { base64url } from '../lib/base64url.js';
import type { PublicJwk, Signer, SigningAlgorithm } from './signer.js';
import { jwkThumbprint } from './thumbprint.js';

/**
 * A pure-JavaScript {@link Signer} on `@noble/curves`, for runtimes without a usable node:crypto.
 * {@link generateKey} picks it only when node:crypto is missing or cannot make the key; it is
 * roughly 10-20x slower than node:crypto for ES256, and its secret lives in a JavaScript typed
 * array (a copy of `secretKey`, held in a closure) rather than in OpenSSL memory.
 *
 * ES256 signatures are deterministic (RFC 6979) and are not normalized to low-S, exactly as
 * node:crypto, WebCrypto and the RFC 6979 vectors produce them; EdDSA is RFC 8032 Ed25519.
 *
 * @param alg `ES256` (P-256) or `EdDSA` (Ed25519).
 * @param secretKey 32 bytes: the big-endian P-256 private scalar, or the Ed25519 seed (the JWK `d`
 *   member, decoded). A random key is made when it is omitted. The bytes are copied; the caller may
 *   wipe its own array afterwards.
 *
 * @example
 * ```ts
 * const signer = createNobleSigner('ES256');
 * const signature = signer.sign(new TextEncoder().encode('header.payload'));
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.4
 * @see https://www.rfc-editor.org/rfc/rfc8037#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc6979#section-3.2
 */
export function createNobleSigner(alg: SigningAlgorithm, secretKey?: Uint8Array): Signer {
  if (alg === 'ES256') return createP256Signer(secretKey);
  if (alg === 'EdDSA') return createEd25519Signer(secretKey);
  throw new KeyError(`unsupported algorithm ${String(alg)}: use ES256 or EdDSA`);
}

function createP256Signer(input: Uint8Array | undefined): Signer {
  const secret = input === undefined ? p256.utils.randomSecretKey() : copySecret(input);
  if (!p256.utils.isValidSecretKey(secret)) throw new KeyError('invalid P-256 private key: expected a 32-byte scalar in [1, n-1]');
  const point = p256.getPublicKey(secret, false);
  const publicJwk: PublicJwk = Object.freeze({
    kty: 'EC',
    crv: 'P-256',
    x: base64url(point.subarray(1, 33)),
    y: base64url(point.subarray(33, 65)),
  });
  return Object.freeze({
    alg: 'ES256',
    kid: jwkThumbprint(publicJwk),
    publicJwk,
    sign: (data: Uint8Array): Uint8Array => p256.sign(data, secret, { prehash: true, lowS: false }),
  });
}

function createEd25519Signer(input: Uint8Array | undefined): Signer {
  const seed = input === undefined ? ed25519.utils.randomSecretKey() : copySecret(input);
  if (!ed25519.utils.isValidSecretKey(seed)) throw new KeyError('invalid Ed25519 private key: expected a 32-byte seed');
  const publicJwk: PublicJwk = Object.freeze({ kty: 'OKP', crv: 'Ed25519', x: base64url(ed25519.getPublicKey(seed)) });
  return Object.freeze({
    alg: 'EdDSA',
    kid: jwkThumbprint(publicJwk),
    publicJwk,
    sign: (data: Uint8Array): Uint8Array => ed25519.sign(data, seed),
  });
}

function copySecret(input: Uint8Array): Uint8Array {
  if (!(input instanceof Uint8Array) || input.length !== 32) throw new KeyError('a private key must be 32 bytes');
  return Uint8Array.from(input);
}
