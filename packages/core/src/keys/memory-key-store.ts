import { KeyError } from '../errors.js';
import { generateKey } from './generate-key.js';
import { exportPublicJwk, type PublicJwks, type RotatingKeyStore } from './key-store.js';
import type { Signer, SigningAlgorithm } from './signer.js';

/** Options of {@link memoryKeyStore}. */
export interface MemoryKeyStoreOptions {
  /** Algorithm of the keys this store generates (default `ES256`). */
  alg?: SigningAlgorithm | undefined;
  /** Start from this key instead of generating one on first {@link KeyStore.load}. */
  key?: Signer | undefined;
}

/**
 * A key store that keeps its keys in memory only: nothing is written anywhere, and the keys are
 * gone when the process ends. Suited to tests and to short-lived workloads whose identity is
 * registered at start-up. Rotation works as in {@link fileKeyStore}.
 *
 * @example
 * ```ts
 * const store = memoryKeyStore({ alg: 'EdDSA' });
 * const agent = await createAgent({ issuer, clientId, key: await store.load() });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export function memoryKeyStore(options: MemoryKeyStoreOptions = {}): RotatingKeyStore {
  const alg = options.alg ?? options.key?.alg ?? 'ES256';
  // Current key first, then previous keys from newest to oldest.
  const keys: Signer[] = options.key === undefined ? [] : [options.key];
  let first: Promise<Signer> | undefined;

  const load = (): Promise<Signer> => {
    if (keys[0] !== undefined) return Promise.resolve(keys[0]);
    first ??= generateKey({ alg }).then((signer) => {
      keys.unshift(signer);
      return signer;
    });
    return first;
  };

  return {
    load,
    async jwks(): Promise<PublicJwks> {
      await load();
      return { keys: keys.map(exportPublicJwk) };
    },
    async rotate(): Promise<Signer> {
      await load();
      const next = await generateKey({ alg });
      keys.unshift(next);
      return next;
    },
    async retire(kid: string): Promise<void> {
      const index = keys.findIndex((signer) => signer.kid === kid);
      if (index === -1) throw new KeyError(`no key with kid ${kid} in this store`);
      if (index === 0) throw new KeyError(`key ${kid} is the current key: rotate before retiring it`);
      keys.splice(index, 1);
    },
  };
}
