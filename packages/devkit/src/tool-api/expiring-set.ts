import { ToolApiError } from './tool-api-error.js';

/** A bounded set of strings that each leave it at their own expiry time. */
export interface ExpiringSet {
  /**
   * Adds `key` until `expiresAt` (seconds since the epoch). Returns false when it is already present
   * (a replay). Throws a 503 {@link ToolApiError} when the set is full of live entries: it never
   * evicts an entry early, since that would let a replay through.
   */
  add(key: string, expiresAt: number): boolean;
  /** Whether `key` is present and not yet expired. */
  has(key: string): boolean;
  /** Removes `key` (to release a reservation whose operation did not happen). */
  delete(key: string): void;
  /** Live and not yet swept entries. */
  readonly size: number;
}

/** Options of {@link createExpiringSet}. */
export interface ExpiringSetOptions {
  /** Most entries held at once (default 100 000). */
  maxEntries?: number;
  /** Clock in seconds since the epoch (default `Date.now() / 1000`). */
  clock?: () => number;
}

/**
 * Creates the replay memory behind DPoP proof `jti`s and single-use action tokens. Expired entries
 * are swept every 30 seconds of clock time and whenever the set is full.
 *
 * @example
 * ```ts
 * const seen = createExpiringSet({ maxEntries: 10_000 });
 * if (!seen.add(jti, iat + 65)) throw invalidDpopProof('proof replayed');
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1
 */
export function createExpiringSet(options: ExpiringSetOptions = {}): ExpiringSet {
  const maxEntries = options.maxEntries ?? 100_000;
  const clock = options.clock ?? (() => Date.now() / 1000);
  const entries = new Map<string, number>();
  let nextSweep = clock() + 30;

  function sweep(now: number): void {
    for (const [key, expiresAt] of entries) if (expiresAt <= now) entries.delete(key);
    nextSweep = now + 30;
  }

  function live(key: string, now: number): boolean {
    const expiresAt = entries.get(key);
    return expiresAt !== undefined && expiresAt > now;
  }

  return {
    add(key, expiresAt) {
      const now = clock();
      if (now >= nextSweep || entries.size >= maxEntries) sweep(now);
      if (live(key, now)) return false;
      if (entries.size >= maxEntries) {
        throw new ToolApiError(503, 'temporarily_unavailable', 'replay cache is full; try again shortly', {
          headers: { 'Retry-After': '5' },
        });
      }
      entries.set(key, expiresAt);
      return true;
    },
    has(key) {
      return live(key, clock());
    },
    delete(key) {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}
