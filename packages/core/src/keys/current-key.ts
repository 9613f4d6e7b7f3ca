import { isKeyStore, publicJwks, type JwksOptions, type KeyStore, type PublicJwks, type RotateOptions } from './key-store.js';
import type { Signer } from './signer.js';

/**
 * An agent's identity key as it is right now: a {@link KeyStore} whose `load()` re-reads the
 * underlying store (noticing an activation, even one made by another process) and whose `current()`
 * answers synchronously with the key last loaded, for code that cannot wait (an audit record's
 * `kid`, `agent.keyId`).
 */
export interface CurrentKey extends KeyStore {
  /** The key last loaded; after an activation, the new key once `load()` has seen it. */
  current(): Signer;
}

/** Options of {@link createCurrentKey}. */
export interface CurrentKeyOptions {
  /**
   * Called when `load()` finds the store's current key changed (an activation took effect), with
   * the key it replaces and the new one, before any signature by the new key. Must not throw (the
   * agent records `key.rotated` here).
   */
  onChange?: ((previous: Signer, next: Signer) => void) | undefined;
}

/**
 * Wraps a fixed signer or a key store so an agent can follow key rotation without a restart. It
 * loads the key once before resolving, so `current()` always has an answer.
 *
 * How an agent uses it: pass the result (not the raw store) to
 * {@link createClientAssertionSigner}, which calls `load()` before every assertion; read
 * `current().kid` for `agent.keyId` and for audit records, and `current()` as the signer of audit
 * checkpoints; publish `jwks()` as `agent.publicJwks()`. `rotate`, `activate` and `retire` pass
 * through to the store (when it has them); `rotate({ activate: true })` and `activate()` reload at
 * once, so `current()` follows.
 *
 * @example
 * ```ts
 * const identity = await createCurrentKey(fileKeyStore('.countersign/payout-agent'), {
 *   onChange: (previous, next) => console.log(`identity key ${previous.kid} -> ${next.kid}`),
 * });
 * const assertions = createClientAssertionSigner(identity, 'payout-agent');
 * identity.current().kid;      // the kid assertions are signed with now
 * await identity.jwks();       // current + staged + not yet retired keys, for the authorization server
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 */
export async function createCurrentKey(key: Signer | KeyStore, options: CurrentKeyOptions = {}): Promise<CurrentKey> {
  if (!isKeyStore(key)) {
    const fixed = key;
    return Object.freeze({
      current: () => fixed,
      load: () => Promise.resolve(fixed),
      jwks: (jwksOptions?: JwksOptions) => publicJwks(fixed, jwksOptions),
    });
  }
  const store = key;
  let latest = await store.load();
  // Loads can overlap: only a load that started after the one that set `latest` may replace it, so
  // a slow read from before an activation never puts the old key back.
  let started = 0;
  let applied = 0;
  const load = async (): Promise<Signer> => {
    const ticket = ++started;
    const signer = await store.load();
    if (ticket > applied) {
      applied = ticket;
      const previous = latest;
      latest = signer;
      if (signer.kid !== previous.kid) options.onChange?.(previous, signer);
    }
    return signer;
  };
  const { rotate, activate, retire } = store;
  return Object.freeze({
    current: () => latest,
    load,
    jwks: (jwksOptions?: JwksOptions): Promise<PublicJwks> => store.jwks(jwksOptions),
    ...(rotate === undefined
      ? {}
      : {
          rotate: async (rotateOptions?: RotateOptions): Promise<Signer> => {
            const signer = await rotate.call(store, rotateOptions);
            await load();
            return signer;
          },
        }),
    ...(activate === undefined
      ? {}
      : {
          activate: async (kid?: string): Promise<Signer> => {
            const signer = await activate.call(store, kid);
            await load();
            return signer;
          },
        }),
    ...(retire === undefined ? {} : { retire: (kid: string) => retire.call(store, kid) }),
  });
}
