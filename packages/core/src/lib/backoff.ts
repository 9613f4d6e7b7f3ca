/** How long to wait between attempts of a request that failed transiently. */
export interface BackoffOptions {
  /** Delay ceiling of the first retry in milliseconds; doubles with every attempt (default 200). */
  baseMs?: number | undefined;
  /** Largest delay ceiling in milliseconds (default 5 000). */
  capMs?: number | undefined;
  /**
   * Longest `Retry-After` honoured, in milliseconds (default 30 000). A server asking for a longer
   * wait ends the retries: the error is surfaced rather than retrying earlier than asked.
   */
  maxRetryAfterMs?: number | undefined;
  /** Random number in [0, 1) (default `Math.random`); for tests. */
  random?: (() => number) | undefined;
}

/**
 * Capped exponential backoff with full jitter: a uniformly random delay between 0 and
 * `min(cap, base * 2^retry)`, so many clients retrying at once spread out.
 *
 * @param retry 0 for the first retry, 1 for the second, …
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function backoffDelay(retry: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 200;
  const cap = options.capMs ?? 5_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(cap, base * 2 ** Math.min(retry, 30));
  return Math.floor(random() * ceiling);
}

/**
 * The wait a `Retry-After` header asks for, in milliseconds, or `undefined` when the header is
 * absent or unparseable. Accepts delay-seconds and an HTTP date (a date in the past means 0).
 *
 * @param now the current time in milliseconds since the epoch, on the server's clock when known
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = parseHttpDate(trimmed);
  return date === undefined ? undefined : Math.max(0, date - now);
}

/**
 * Parses an HTTP date (IMF-fixdate, and the obsolete forms `Date.parse` understands) to
 * milliseconds since the epoch, or `undefined`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-5.6.7
 */
export function parseHttpDate(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  // Refuse bare numbers and other strings Date.parse would read as something else.
  if (!/[A-Za-z]{3}/.test(value) || !/\d{1,2}:\d{2}:\d{2}/.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}
