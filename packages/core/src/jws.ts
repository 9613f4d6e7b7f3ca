import { base64url } from './lib/base64url.js';
import type { Signer } from './keys/signer.js';

/** A compact JWS signer whose protected header was encoded once, up front. */
export interface CompactJwsSigner {
  /** Signs a JSON payload; synchronous when the underlying {@link Signer} is. */
  sign(payload: Record<string, unknown>): string | Promise<string>;
}

/**
 * Creates a compact-serialization JWS signer for a fixed protected header. The header (with `alg`
 * from the signer) is serialized and base64url-encoded once, so each signature costs one payload
 * encoding and one signing operation.
 *
 * @example
 * ```ts
 * const jws = createCompactJwsSigner(signer, { typ: 'dpop+jwt', jwk: signer.publicJwk });
 * const token = jws.sign({ jti, htm: 'GET', htu, iat });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 */
export function createCompactJwsSigner(signer: Signer, header: Record<string, unknown>): CompactJwsSigner {
  const encodedHeader = base64url(JSON.stringify({ alg: signer.alg, ...header }));
  return {
    sign(payload) {
      const signingInput = `${encodedHeader}.${base64url(JSON.stringify(payload))}`;
      const signature = signer.sign(Buffer.from(signingInput, 'latin1'));
      return signature instanceof Uint8Array
        ? `${signingInput}.${base64url(signature)}`
        : signature.then((bytes) => `${signingInput}.${base64url(bytes)}`);
    },
  };
}
