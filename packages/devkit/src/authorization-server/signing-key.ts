import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';

/** The authorization server's signing key: private for oidc-provider, public for resource servers. */
export interface SigningKey {
  /** Private JWK with `kid`, `alg` and `use`; stays inside the authorization server. */
  privateJwk: JWK;
  /** `{ keys: [public JWK] }`, what `jwks_uri` serves. */
  publicJwks: JSONWebKeySet;
}

/**
 * Generates a fresh ES256 signing key for one stack run: the devkit keeps nothing on disk, so
 * tokens from an earlier run never verify against a new stack.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.4
 */
export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  const privateJwk: JWK = { ...jwk, kid, alg: 'ES256', use: 'sig' };
  const { d: _private, ...publicJwk } = privateJwk;
  return { privateJwk, publicJwks: { keys: [publicJwk] } };
}
