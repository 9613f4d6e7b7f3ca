import type { PublicJwk, Signer } from './signer.js';

/**
 * A JWK Set of public keys, as an authorization server reads it from `jwks` or `jwks_uri`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export interface PublicJwks {
  keys: PublicJwk[];
}

/**
 * Where an agent's identity key lives, and how it is rotated without downtime.
 *
 * An agent that holds a store (rather than a fixed {@link Signer}) calls {@link KeyStore.load}
 * before every client assertion (`createCurrentKey` and `createClientAssertionSigner` do this):
 * stores answer from memory and notice a rotation (even one made by another process, for the file
 * store) so the next assertion is signed by the new key, with no restart. The JWKS registered with the authorization server is {@link KeyStore.jwks}: it carries
 * the previous keys until they are retired, so assertions signed just before a rotation, and
 * servers that cached the old set, keep working during the overlap.
 *
 * Rotation, step by step: `rotate()` → publish `jwks()` to the authorization server (both keys) →
 * assertions now use the new key → once nothing can still present the old one, `retire(oldKid)` →
 * publish `jwks()` again.
 *
 * @example
 * ```ts
 * const store = fileKeyStore('.countersign/payout-agent');
 * const identity = await store.load();          // created on first use
 * await registerJwks(await store.jwks());       // { keys: [current] }
 * const next = await store.rotate();            // new kid, now current
 * await registerJwks(await store.jwks());       // { keys: [next, identity] } during the overlap
 * await store.retire(identity.kid);             // later
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export interface KeyStore {
  /** The current signing key; a store that can makes one on first use. Cheap to call often. */
  load(): Promise<Signer>;
  /** Public keys of the current key and of every previous key not yet retired, current first. */
  jwks(): Promise<PublicJwks>;
  /** Makes a new key with a new kid and makes it current; the previous one stays published. */
  rotate?(): Promise<Signer>;
  /** Removes a previous key for good. Retiring the current key is refused. */
  retire?(kid: string): Promise<void>;
}

/** A {@link KeyStore} that rotates and retires keys (the file and memory stores). */
export interface RotatingKeyStore extends KeyStore {
  rotate(): Promise<Signer>;
  retire(kid: string): Promise<void>;
}

/** True when `value` is a {@link KeyStore} rather than a {@link Signer}. */
export function isKeyStore(value: unknown): value is KeyStore {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as KeyStore).load === 'function' &&
    typeof (value as KeyStore).jwks === 'function'
  );
}

/**
 * The public JWK of a signer as it is published: its public members plus `kid`, `alg` and
 * `use: "sig"`.
 *
 * @example
 * ```ts
 * exportPublicJwk(signer); // { kty: 'EC', crv: 'P-256', x, y, kid, alg: 'ES256', use: 'sig' }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-4
 */
export function exportPublicJwk(signer: Signer): PublicJwk {
  const { kty, crv, x, y } = signer.publicJwk;
  return y === undefined
    ? { kty, crv, x, kid: signer.kid, alg: signer.alg, use: 'sig' }
    : { kty, crv, x, y, kid: signer.kid, alg: signer.alg, use: 'sig' };
}

/**
 * The JWKS to register with an authorization server for a key or a key store: a fixed signer
 * publishes itself; a store publishes its current and not-yet-retired keys.
 *
 * @example
 * ```ts
 * const jwks = await publicJwks(options.key); // what agent.publicJwks() returns
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export async function publicJwks(key: Signer | KeyStore): Promise<PublicJwks> {
  return isKeyStore(key) ? key.jwks() : { keys: [exportPublicJwk(key)] };
}
