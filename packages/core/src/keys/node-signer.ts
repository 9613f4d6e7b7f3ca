import { createPublicKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { KeyError } from '../errors.js';
import type { PublicJwk, Signer, SigningAlgorithm } from './signer.js';
import { jwkThumbprint } from './thumbprint.js';

/**
 * Wraps a node:crypto private `KeyObject` (P-256 or Ed25519) as a {@link Signer}.
 *
 * The key object is held in a closure only: the returned signer is a frozen object whose members
 * are `alg`, `kid`, `publicJwk` and `sign`, so no property, prototype, `JSON.stringify` or
 * `util.inspect` output leads to the private key. Signing is synchronous (OpenSSL on the calling
 * thread, about 40 µs for ES256), which keeps the DPoP hot path free of promises and thread-pool
 * hops.
 *
 * @example
 * ```ts
 * const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
 * const signer = createNodeSigner(privateKey);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.4 (ES256, `r || s` signature form)
 * @see https://www.rfc-editor.org/rfc/rfc8037#section-3.1 (EdDSA with Ed25519)
 */
export function createNodeSigner(privateKey: KeyObject): Signer {
  if (privateKey?.type !== 'private') throw new KeyError('a private KeyObject is required to sign');
  const alg = algorithmOf(privateKey);
  const exported = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, string>;
  const publicJwk: PublicJwk =
    alg === 'ES256'
      ? { kty: 'EC', crv: 'P-256', x: exported.x!, y: exported.y! }
      : { kty: 'OKP', crv: 'Ed25519', x: exported.x! };
  Object.freeze(publicJwk);
  const kid = jwkThumbprint(publicJwk);
  // Built once: node:crypto re-reads these options on every call, so they are not rebuilt per call.
  const digest = alg === 'ES256' ? 'sha256' : null;
  const signingKey = alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
  return Object.freeze({
    alg,
    kid,
    publicJwk,
    sign: (data: Uint8Array): Uint8Array => nodeSign(digest, data, signingKey),
  });
}

function algorithmOf(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new KeyError(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}: use P-256 (ES256) or Ed25519 (EdDSA)`);
}
