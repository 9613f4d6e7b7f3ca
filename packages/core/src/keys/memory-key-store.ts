import { KeyError } from '../errors.js';
import { generateKey } from './generate-key.js';
import { exportPublicJwk, type JwksOptions, type PublicJwks, type RotateOptions, type RotatingKeyStore } from './key-store.js';
import type { PublicJwk, Signer, SigningAlgorithm } from './signer.js';

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
 * registered at start-up. Rotation is two-phase as in {@link fileKeyStore}: `rotate()` stages,
 * `activate()` switches, `retire()` forgets the private key and keeps the public one for
 * `jwks({ includeRetired: true })`.
 *
 * @example
 * ```ts
 * const store = memoryKeyStore({ alg: 'EdDSA' });
 * const agent = await createAgent({ issuer, clientId, key: store });
 * const next = await store.rotate();          // published by jwks(), not yet signing
 * await registerJwks(await store.jwks());
 * await store.activate(next.kid);             // the agent's next assertion uses it
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 */
export function memoryKeyStore(options: MemoryKeyStoreOptions = {}): RotatingKeyStore {
  const alg = options.alg ?? options.key?.alg ?? 'ES256';
  let current: Signer | undefined = options.key;
  let staged: Signer | undefined;
  /** Previous keys, newest first. */
  let previous: Signer[] = [];
  /** Public keys of retired keys, most recently retired first. */
  const retired: PublicJwk[] = [];
  let first: Promise<Signer> | undefined;

  const load = (): Promise<Signer> => {
    if (current !== undefined) return Promise.resolve(current);
    first ??= generateKey({ alg }).then((signer) => (current ??= signer));
    return first;
  };
  const isRetired = (kid: string) => retired.some((jwk) => jwk.kid === kid);

  return {
    load,

    async jwks(jwksOptions?: JwksOptions): Promise<PublicJwks> {
      const active = await load();
      const keys = [active, ...(staged === undefined ? [] : [staged]), ...previous].map(exportPublicJwk);
      if (jwksOptions?.includeRetired === true) keys.push(...retired.map((jwk) => ({ ...jwk })));
      return { keys };
    },

    async rotate(rotateOptions?: RotateOptions): Promise<Signer> {
      await load();
      const next = await generateKey({ alg });
      // Checked after the await, so two concurrent rotations cannot both stage a key.
      if (staged !== undefined) {
        throw new KeyError(`key ${staged.kid} is staged already: activate it, or retire it to abandon that rotation, before rotating again`);
      }
      if (rotateOptions?.activate === true) {
        previous = [current!, ...previous];
        current = next;
      } else {
        staged = next;
      }
      return next;
    },

    async activate(kid?: string): Promise<Signer> {
      const active = await load();
      const target = kid ?? staged?.kid;
      if (target === undefined) throw new KeyError('no key is staged in this store: rotate() first, publish jwks(), then activate()');
      if (target === active.kid) return active;
      const next = staged?.kid === target ? staged : previous.find((signer) => signer.kid === target);
      if (next === undefined) {
        throw new KeyError(
          isRetired(target) ? `key ${target} is retired: its private key is destroyed and it can no longer sign` : `no key with kid ${target} in this store`,
        );
      }
      if (next === staged) staged = undefined;
      previous = [active, ...previous.filter((signer) => signer !== next)];
      current = next;
      return next;
    },

    async retire(kid: string): Promise<void> {
      if (kid === current?.kid) throw new KeyError(`key ${kid} is the current key: activate another key before retiring it`);
      const signer = staged?.kid === kid ? staged : previous.find((candidate) => candidate.kid === kid);
      if (signer === undefined) {
        if (isRetired(kid)) return;
        throw new KeyError(`no key with kid ${kid} in this store`);
      }
      if (signer === staged) staged = undefined;
      previous = previous.filter((candidate) => candidate !== signer);
      retired.unshift(exportPublicJwk(signer));
    },
  };
}
