import { parseHttpDate } from './backoff.js';

/**
 * The largest clock correction any server's `Date` header may cause, in milliseconds (5 minutes,
 * either way). A larger offset is not applied, so the request fails with its typed error: a far-off
 * `Date` cannot make the agent sign proofs or assertions that stay valid for days.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.2 (pre-generated proofs)
 */
export const maxClockCorrectionMs = 5 * 60_000;

/**
 * The cap for the authorization server's own clock (1 hour): it is the party the agent already
 * trusts, and a refused assertion there ends in `invalid_client`, which revokes the agent; so a
 * clock that is genuinely off by more than a few minutes is still corrected from the AS's `Date`.
 */
export const maxAuthorizationServerCorrectionMs = 60 * 60_000;

/**
 * The agent's clock and its correction toward one server's clock. Token lifetimes are tracked on
 * the local clock (`expires_in` is relative); `iat` of proofs and assertions sent to that server
 * uses the corrected one, so a server that refused them for their time accepts the retry.
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
   * absolute, so requests correcting at the same time do not add up their corrections. Returns
   * false, changing nothing, when there is no usable header or the offset would be further from
   * the baseline than the cap ({@link maxClockCorrectionMs} by default).
   */
  correct(dateHeader: string | null | undefined): boolean;
}

/** Options of {@link createSkewClock} and {@link createOriginClocks}. */
export interface SkewClockOptions {
  /**
   * The largest correction, either way, in milliseconds (default {@link maxClockCorrectionMs}),
   * measured from the baseline.
   */
  maxCorrectionMs?: number | undefined;
  /**
   * The offset in milliseconds used until this clock is corrected, and from which a correction is
   * measured (default 0): for a resource server, the authorization server's learned offset.
   */
  baseline?: (() => number) | undefined;
}

/**
 * Creates a {@link SkewClock} around `local` (milliseconds since the epoch).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-6.6.1 (Date)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1 (iat acceptance window)
 */
export function createSkewClock(local: () => number = Date.now, options: SkewClockOptions = {}): SkewClock {
  const maxCorrectionMs = options.maxCorrectionMs ?? maxClockCorrectionMs;
  const baseline = options.baseline ?? (() => 0);
  let corrected: number | undefined;
  const offset = () => corrected ?? baseline();
  return {
    local,
    now: () => local() + offset(),
    get offsetMs() {
      return offset();
    },
    skewFrom(dateHeader, asOfOffsetMs = offset()) {
      const serverTime = parseHttpDate(dateHeader);
      return serverTime === undefined ? undefined : serverTime + 500 - (local() + asOfOffsetMs);
    },
    correct(dateHeader) {
      const serverTime = parseHttpDate(dateHeader);
      if (serverTime === undefined) return false;
      const offsetMs = serverTime + 500 - local();
      if (!(Math.abs(offsetMs - baseline()) <= maxCorrectionMs)) return false;
      corrected = offsetMs;
      return true;
    },
  };
}

/** One {@link SkewClock} per server origin, around one local clock and baseline. */
export interface OriginClocks {
  /** Local time in milliseconds since the epoch (uncorrected). */
  local(): number;
  /** The clock of `origin` (as `URL.origin` spells it); a new one starts uncorrected. */
  forOrigin(origin: string): SkewClock;
}

/** Origins whose corrections are remembered; the least recently used is forgotten first. */
const originCapacity = 256;

/**
 * Creates {@link OriginClocks}: each server's `Date` header corrects only the clock used for that
 * server, so one resource server cannot move the time of proofs sent elsewhere. Every clock starts
 * at `options.baseline` (the agent passes the authorization server's offset) and may be corrected
 * by at most `options.maxCorrectionMs` from it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1 (iat acceptance window)
 */
export function createOriginClocks(local: () => number = Date.now, options: SkewClockOptions = {}): OriginClocks {
  const clocks = new Map<string, SkewClock>();
  return {
    local,
    forOrigin(origin) {
      let clock = clocks.get(origin);
      if (clock === undefined) {
        clock = createSkewClock(local, options);
        if (clocks.size >= originCapacity) clocks.delete(clocks.keys().next().value!);
      } else {
        clocks.delete(origin);
      }
      clocks.set(origin, clock);
      return clock;
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
