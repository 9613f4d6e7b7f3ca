import type { PublicJwk, Signer } from './signer.js';

/**
 * A JWK Set of public keys, as an authorization server reads it from `jwks` or `jwks_uri`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export interface PublicJwks {
  keys: PublicJwk[];
}

/** Options of {@link KeyStore.jwks}. */
export interface JwksOptions {
  /**
   * Also list the public keys of retired keys, after the others (default false). Never publish
   * this set to an authorization server: it is the set that verifies old signatures, such as the
   * checkpoints of an audit trail (`verifyAuditTrail(path, { jwks: await store.jwks({ includeRetired: true }) })`).
   * A retired key's private key is destroyed; only its public key is kept.
   */
  includeRetired?: boolean | undefined;
}

/** Options of {@link RotatingKeyStore.rotate}. */
export interface RotateOptions {
  /**
   * Make the new key current at once instead of staging it (default false). Only safe when the
   * authorization server fetches the JWKS from a URL (`jwks_uri`) serving this store's
   * {@link KeyStore.jwks} at every client authentication, or re-fetches it on an unknown `kid`;
   * with a JWKS registered by value the server refuses the next assertion (`invalid_client`) and
   * the agent stops for good with `AgentRevokedError`.
   */
  activate?: boolean | undefined;
}

/**
 * Where an agent's identity key lives, and how it is rotated without downtime.
 *
 * An agent that holds a store (rather than a fixed {@link Signer}) calls {@link KeyStore.load}
 * before every client assertion (`createCurrentKey` and `createClientAssertionSigner` do this):
 * stores answer from memory and notice an activation (even one made by another process, for the
 * file store), so the next assertion is signed by the new current key, with no restart.
 *
 * Rotation publishes first and signs later, because an authorization server refuses an assertion
 * whose `kid` it does not know, and the agent takes that `invalid_client` as revocation:
 *
 * 1. `rotate()` makes a new key with a new kid and stages it: {@link KeyStore.jwks} lists it at
 *    once, while `load()` keeps returning the current key.
 * 2. Publish `jwks()` to the authorization server (current, staged and not yet retired keys).
 * 3. `activate()` makes the staged key current: assertions switch to it on their next signature.
 * 4. Once nothing can still present the old key (no assertion signed with it in flight, no server
 *    still holding an old copy of the set), `retire(oldKid)`, then publish `jwks()` again.
 *
 * `rotate({ activate: true })` does steps 1 and 3 together, for servers that read the JWKS from a
 * URL at every client authentication.
 *
 * @example
 * ```ts
 * const store = fileKeyStore('.countersign/payout-agent');
 * const identity = await store.load();          // created on first use
 * await registerJwks(await store.jwks());       // { keys: [current] }
 * const next = await store.rotate();            // new kid, staged: load() still returns `identity`
 * await registerJwks(await store.jwks());       // { keys: [identity, next] } during the overlap
 * await store.activate(next.kid);               // assertions now use `next`
 * await store.retire(identity.kid);             // later, once nothing uses the old key
 * await registerJwks(await store.jwks());       // { keys: [next] }
 * await verifyAuditTrail(trail, { jwks: await store.jwks({ includeRetired: true }) }); // old trails still verify
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3 (assertions signed by the client's key)
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5 (JWK Set)
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-4.5 (`kid` selects a key within a set)
 * @see https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys (publish, then sign with the new key)
 */
export interface KeyStore {
  /** The current signing key; a store that can makes one on first use. Cheap to call often. */
  load(): Promise<Signer>;
  /**
   * The set to publish: the current key first, then a staged key, then previous keys not yet
   * retired. With `{ includeRetired: true }`, retired public keys follow (for verification only).
   */
  jwks(options?: JwksOptions): Promise<PublicJwks>;
  /** Makes a new key with a new kid and stages it (published, not yet signing); see {@link RotatingKeyStore.rotate}. */
  rotate?(options?: RotateOptions): Promise<Signer>;
  /** Makes a published key current; see {@link RotatingKeyStore.activate}. */
  activate?(kid?: string): Promise<Signer>;
  /** Stops publishing a key and destroys its private key; see {@link RotatingKeyStore.retire}. */
  retire?(kid: string): Promise<void>;
}

/**
 * A {@link KeyStore} that rotates keys in two phases, publish then sign (the file and memory
 * stores).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 */
export interface RotatingKeyStore extends KeyStore {
  /**
   * Makes a new key with a new kid (same algorithm as the current key unless the store says
   * otherwise) and stages it: `jwks()` lists it from now on, `load()` does not return it until
   * {@link RotatingKeyStore.activate}. With `{ activate: true }` it is current at once. A store with
   * no key yet first makes its current key. Refused with a `KeyError` while another key is staged.
   */
  rotate(options?: RotateOptions): Promise<Signer>;
  /**
   * Makes the staged key (or, with `kid`, any key the store still publishes: the staged key, or a
   * previous one to roll back) current and returns it; the key it replaces stays published until
   * retired. Activating the current key changes nothing. Publish `jwks()` before calling this.
   * Refused with a `KeyError` for an unknown or retired kid, or when nothing is staged.
   */
  activate(kid?: string): Promise<Signer>;
  /**
   * Stops publishing a previous or staged key (a staged key retired this way is abandoned) and
   * destroys its private key; its public key is kept for `jwks({ includeRetired: true })`.
   * Retiring the current key is refused; retiring a retired key again changes nothing.
   */
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
 * publishes itself; a store publishes its current, staged and not-yet-retired keys (and, with
 * `{ includeRetired: true }`, its retired public keys too, for verification).
 *
 * @example
 * ```ts
 * const jwks = await publicJwks(options.key); // what agent.publicJwks() returns
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export async function publicJwks(key: Signer | KeyStore, options?: JwksOptions): Promise<PublicJwks> {
  return isKeyStore(key) ? key.jwks(options) : { keys: [exportPublicJwk(key)] };
}
