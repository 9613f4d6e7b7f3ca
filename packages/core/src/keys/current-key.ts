import { isKeyStore, publicJwks, type KeyStore, type PublicJwks } from './key-store.js';
import type { Signer } from './signer.js';

/**
 * An agent's identity key as it is right now: a {@link KeyStore} whose `load()` re-reads the
 * underlying store (noticing a rotation, even one made by another process) and whose `current()`
 * answers synchronously with the key last loaded, for code that cannot wait (an audit record's
 * `kid`, `agent.keyId`).
 */
export interface CurrentKey extends KeyStore {
  /** The key last loaded; after a rotation, the new key once `load()` has seen it. */
  current(): Signer;
}

/**
 * Wraps a fixed signer or a key store so an agent can follow key rotation without a restart. It
 * loads the key once before resolving, so `current()` always has an answer.
 *
 * How an agent uses it: pass the result (not the raw store) to
 * {@link createClientAssertionSigner}, which calls `load()` before every assertion; read
 * `current().kid` for `agent.keyId` and for audit records, and `current()` as the signer of audit
 * checkpoints; publish `jwks()` as `agent.publicJwks()`.
 *
 * @example
 * ```ts
 * const identity = await createCurrentKey(fileKeyStore('.countersign/payout-agent'));
 * const assertions = createClientAssertionSigner(identity, 'payout-agent');
 * identity.current().kid;      // the kid assertions are signed with now
 * await identity.jwks();       // current + not yet retired keys, for the authorization server
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 */
export async function createCurrentKey(key: Signer | KeyStore): Promise<CurrentKey> {
  if (!isKeyStore(key)) {
    const fixed = key;
    return Object.freeze({
      current: () => fixed,
      load: () => Promise.resolve(fixed),
      jwks: () => publicJwks(fixed),
    });
  }
  const store = key;
  let latest = await store.load();
  // Loads can overlap: only a load that started after the one that set `latest` may replace it, so
  // a slow read from before a rotation never puts the old key back.
  let started = 0;
  let applied = 0;
  const load = async (): Promise<Signer> => {
    const ticket = ++started;
    const signer = await store.load();
    if (ticket > applied) {
      applied = ticket;
      latest = signer;
    }
    return signer;
  };
  return Object.freeze({
    current: () => latest,
    load,
    jwks: () => store.jwks(),
    ...(store.rotate === undefined
      ? {}
      : {
          rotate: async (): Promise<Signer> => {
            const signer = await store.rotate!();
            await load();
            return signer;
          },
        }),
    ...(store.retire === undefined ? {} : { retire: (kid: string) => store.retire!(kid) }),
  });
}
