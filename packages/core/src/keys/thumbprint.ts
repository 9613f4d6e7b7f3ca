import { createHash } from 'node:crypto';
import { base64url } from '../lib/base64url.js';
import type { PublicJwk } from './signer.js';

/**
 * Computes the RFC 7638 JWK thumbprint (SHA-256, base64url) of a public EC or OKP key: the hash of
 * the required members only, in lexicographic order, with no white space.
 *
 * @example
 * ```ts
 * const kid = jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' });
 * // 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3.2
 */
export function jwkThumbprint(jwk: Readonly<PublicJwk>): string {
  const members =
    jwk.kty === 'EC'
      ? `{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`
      : `{"crv":"${jwk.crv}","kty":"OKP","x":"${jwk.x}"}`;
  return base64url(createHash('sha256').update(members).digest());
}
