import { ReplayStoreError, ResourceServerConfigurationError } from './errors.js';
/**
 * Where used proof `jti`s and spent action tokens live; shared by every instance of an API.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1
 */
export interface ReplayStore {
  /** Records `key` as used for `ttlMs` milliseconds. Resolves `true` the first time a key is
   *  recorded and `false` while it is still recorded. Atomic across all users of the store. */
  consume(key: string, ttlMs: number): Promise<boolean>;
}

/** Options of {@link memoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /** Most keys held at once (default 100 000). A full store refuses new keys rather than forget live ones. */
  maxEntries?: number;
  /** Clock in milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
}

/**
 * A {@link ReplayStore} in this process's memory, for a single instance of an API. Bounded: expired
 * keys are swept when the store fills up (and every 30 s); when it is full of live keys, `consume`
 * rejects (the resource server then refuses the request with 503) instead of evicting a live key,
 * which would let a replay through.
 *
 * @example
 * ```ts
 * const rs = await createResourceServer({ issuer, resource, replay: memoryReplayStore({ maxEntries: 50_000 }) });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1
 */
export function memoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new ResourceServerConfigurationError('memoryReplayStore maxEntries must be a positive integer');
  const now = options.now ?? Date.now;
  const expiries = new Map<string, number>();
  let nextSweep = now() + 30_000;

  function sweep(at: number): void {
    for (const [key, expiresAt] of expiries) if (expiresAt <= at) expiries.delete(key);
    nextSweep = at + 30_000;
  }

  return {
    async consume(key, ttlMs) {
      const at = now();
      const expiresAt = expiries.get(key);
      if (expiresAt !== undefined && expiresAt > at) return false;
      if (at >= nextSweep || expiries.size >= maxEntries) sweep(at);
      if (expiries.size >= maxEntries) throw new ReplayStoreError(`the memory replay store is full: ${maxEntries} entries have not expired yet`);
      expiries.set(key, at + Math.max(1, ttlMs));
      return true;
    },
  };
}
