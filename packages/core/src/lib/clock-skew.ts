import { parseHttpDate } from './backoff.js';

/**
 * The agent's clock and its correction toward the authorization server's clock. Token lifetimes are
 * tracked on the local clock (`expires_in` is relative); `iat` of proofs and assertions uses the
 * corrected one, so a server that refused them for their time accepts the retry.
 */
export interface SkewClock {
  /** Local time in milliseconds since the epoch (the injected clock, uncorrected). */
  local(): number;
  /** Local time plus the learned offset: the best estimate of the server's time, in milliseconds. */
  now(): number;
  /** The learned offset in milliseconds (server minus local); 0 until corrected. */
  readonly offsetMs: number;
  /**
   * How far the server's `Date` header is from {@link SkewClock.now}, in milliseconds, or
   * `undefined` when there is no usable header. Half a second is added because `Date` is
   * truncated to whole seconds. Pass the offset a request was signed with (`offsetMs` then) to
   * judge that request even if another one corrected the clock in the meantime.
   */
  skewFrom(dateHeader: string | null | undefined, offsetMs?: number): number | undefined;
  /**
   * Sets the offset so that {@link SkewClock.now} matches the server's `Date` header. The offset is
   * absolute, so requests correcting at the same time do not add up their corrections.
   */
  correct(dateHeader: string | null | undefined): void;
}

/**
 * Creates a {@link SkewClock} around `local` (milliseconds since the epoch).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-6.6.1 (Date)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1 (iat acceptance window)
 */
export function createSkewClock(local: () => number = Date.now): SkewClock {
  let offsetMs = 0;
  return {
    local,
    now: () => local() + offsetMs,
    get offsetMs() {
      return offsetMs;
    },
    skewFrom(dateHeader, asOfOffsetMs = offsetMs) {
      const serverTime = parseHttpDate(dateHeader);
      return serverTime === undefined ? undefined : serverTime + 500 - (local() + asOfOffsetMs);
    },
    correct(dateHeader) {
      const serverTime = parseHttpDate(dateHeader);
      if (serverTime !== undefined) offsetMs = serverTime + 500 - local();
    },
  };
}

const timeWords = /\b(iat|exp|nbf|expired|future|not yet|recent|clock|time|timestamp|stale|too old|too early)\b/i;

/**
 * True when an error description blames the time of a proof or assertion, for example
 * oidc-provider's `DPoP proof iat is not recent enough` or `jwt expired`.
 */
export function blamesTime(description: string | undefined): boolean {
  return description !== undefined && timeWords.test(description);
}

/** A skew this large is worth one corrected retry even when the server does not blame the time. */
const unexplainedSkewMs = 5_000;

/**
 * Whether a refusal of a proof or assertion (`invalid_dpop_proof`, `invalid_client`) with the
 * measured `skewMs` deserves one retry with the clock corrected: the skew is large, or the server
 * blames the time and the skew is more than the `Date` header's one-second resolution.
 */
export function worthCorrecting(skewMs: number | undefined, description: string | undefined): skewMs is number {
  if (skewMs === undefined) return false;
  const size = Math.abs(skewMs);
  return size >= unexplainedSkewMs || (size >= 1_000 && blamesTime(description));
}
