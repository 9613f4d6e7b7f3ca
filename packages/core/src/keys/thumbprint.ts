import { sha256 } from '@noble/hashes/sha2.js';
import { KeyError } from '../errors.js';
import { base64url } from '../lib/base64url.js';
import type { PublicJwk } from './signer.js';

const encoder = new TextEncoder();

/**
 * Computes the RFC 7638 JWK thumbprint (SHA-256, base64url) of a public EC or OKP key: the hash of
 * the required members only, in lexicographic order, with no white space. Countersign uses it as
 * every key's `kid` and as the DPoP `jkt`.
 *
 * @example
 * ```ts
 * const kid = jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' });
 * // 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k' (RFC 8037 Appendix A.3)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3.2
 * @see https://www.rfc-editor.org/rfc/rfc8037#section-2 (required members of OKP keys)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-6.1 (the `jkt` confirmation method)
 */
export function jwkThumbprint(jwk: Readonly<PublicJwk>): string {
  let members: string;
  if (jwk.kty === 'EC' && typeof jwk.crv === 'string' && typeof jwk.x === 'string' && typeof jwk.y === 'string') {
    members = `{"crv":${JSON.stringify(jwk.crv)},"kty":"EC","x":${JSON.stringify(jwk.x)},"y":${JSON.stringify(jwk.y)}}`;
  } else if (jwk.kty === 'OKP' && typeof jwk.crv === 'string' && typeof jwk.x === 'string') {
    members = `{"crv":${JSON.stringify(jwk.crv)},"kty":"OKP","x":${JSON.stringify(jwk.x)}}`;
  } else {
    throw new KeyError('a JWK thumbprint needs an EC key (crv, x, y) or an OKP key (crv, x)');
  }
  return base64url(sha256(encoder.encode(members)));
}
