import { ResourceServerConfigurationError } from '../errors.js';

/**
 * A Map that holds at most `maxEntries` entries: adding one more drops the oldest. For caches only
 * (never for replay state, where forgetting early would let a replay through).
 */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new ResourceServerConfigurationError(`a cache size must be a positive integer, not ${String(maxEntries)}`);
    this.#maxEntries = maxEntries;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  set(key: K, value: V): void {
    if (!this.#entries.has(key) && this.#entries.size >= this.#maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value as K);
    }
    this.#entries.set(key, value);
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
