import { createPublicKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { KeyError } from '../errors.js';
import type { PublicJwk, Signer, SigningAlgorithm } from './signer.js';
import { jwkThumbprint } from './thumbprint.js';

/**
 * Wraps a node:crypto private `KeyObject` (P-256 or Ed25519) as a {@link Signer}. The key object
 * stays in a closure: nothing on the returned signer exposes it.
 *
 * @example
 * ```ts
 * const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
 * const signer = createNodeSigner(privateKey);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.4
 */
export function createNodeSigner(privateKey: KeyObject): Signer {
  if (privateKey.type !== 'private') throw new KeyError('a private key is required to sign');
  const alg = algorithmOf(privateKey);
  const exported = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, string>;
  const publicJwk: PublicJwk =
    alg === 'ES256'
      ? { kty: 'EC', crv: 'P-256', x: exported.x!, y: exported.y! }
      : { kty: 'OKP', crv: 'Ed25519', x: exported.x! };
  Object.freeze(publicJwk);
  const kid = jwkThumbprint(publicJwk);
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
