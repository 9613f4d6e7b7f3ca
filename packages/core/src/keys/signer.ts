/**
 * JWS algorithms Countersign signs with.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.4 (ES256)
 * @see https://www.rfc-editor.org/rfc/rfc8037#section-3.1 (EdDSA with Ed25519)
 */
export type SigningAlgorithm = 'ES256' | 'EdDSA';

/**
 * A public JSON Web Key with only its public members. (A type alias rather than an interface, so a
 * JWK Set of these is assignable where a `Record<string, unknown>` is expected, e.g. the devkit's
 * agent registration.)
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-4
 */
export type PublicJwk = {
  kty: 'EC' | 'OKP';
  crv: 'P-256' | 'Ed25519';
  x: string;
  /** Present for EC keys only. */
  y?: string;
  kid?: string;
  alg?: string;
  use?: string;
};

/**
 * Something that signs with a private key it never reveals: an in-process key, a KMS or an HSM.
 * Implement this to plug in your own key custody.
 *
 * @example
 * ```ts
 * const signer: Signer = { alg: 'ES256', kid, publicJwk, sign: (data) => kms.sign(data) };
 * ```
 */
export interface Signer {
  /** The JWS `alg` this key signs with. */
  readonly alg: SigningAlgorithm;
  /**
   * Key id: the RFC 7638 JWK thumbprint (SHA-256, base64url) of {@link Signer.publicJwk}.
   *
   * @see https://www.rfc-editor.org/rfc/rfc7638#section-3
   */
  readonly kid: string;
  /** The public key, with its public members only (`kty`, `crv`, `x`, `y`). */
  readonly publicJwk: Readonly<PublicJwk>;
  /**
   * Signs `data` and returns the JWS signature bytes: for ES256 the 64-byte `r || s` form
   * (RFC 7518 §3.4), for EdDSA the 64-byte Ed25519 signature. Synchronous signers keep the DPoP
   * hot path free of promise overhead; remote signers may return a promise.
   */
  sign(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}
