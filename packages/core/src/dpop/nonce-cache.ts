import { ConfigurationError } from '../errors.js';

/**
 * The most recent DPoP nonce each origin gave us, bounded so a client talking to many origins
 * cannot grow it without limit (least recently used origins are dropped first).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-8
 */
export class DpopNonceCache {
  readonly #nonces = new Map<string, string>();
  readonly #maxOrigins: number;

  /** @param maxOrigins how many origins to remember (default 100; a positive integer). */
  constructor(maxOrigins = 100) {
    if (!Number.isInteger(maxOrigins) || maxOrigins < 1) throw new ConfigurationError('maxOrigins must be a positive integer');
    this.#maxOrigins = maxOrigins;
  }

  /** The last nonce seen from `origin`, if any. */
  get(origin: string): string | undefined {
    const nonce = this.#nonces.get(origin);
    if (nonce !== undefined) {
      this.#nonces.delete(origin);
      this.#nonces.set(origin, nonce);
    }
    return nonce;
  }

  /** Remembers `nonce` for `origin`. */
  set(origin: string, nonce: string): void {
    this.#nonces.delete(origin);
    this.#nonces.set(origin, nonce);
    if (this.#nonces.size > this.#maxOrigins) this.#nonces.delete(this.#nonces.keys().next().value!);
  }

  /** Number of origins remembered. */
  get size(): number {
    return this.#nonces.size;
  }
}
