import { blamesTime, worthCorrecting, type SkewClock } from '../lib/clock-skew.js';

/**
 * The one way a refused request may be sent again: with the nonce the server just sent (`nonce`),
 * with the clock corrected from its `Date` header (`clock`), or with a new access token (`token`).
 */
export type DpopRecovery = 'nonce' | 'clock' | 'token';

/** The recoveries one request has used: each is allowed once, so a request is sent at most four times. */
export interface RecoveriesUsed {
  nonce: boolean;
  clock: boolean;
  token: boolean;
}

/** The refusal to recover from: an OAuth error code and its description. */
export interface DpopRefusal {
  /** The `error` code (from a `WWW-Authenticate` challenge or a JSON error body). */
  readonly error: string;
  /** The `error_description`, when the server gave one. */
  readonly errorDescription?: string | undefined;
}

/** What a refused response offers {@link decideRecovery}. */
export interface RecoveryContext {
  /**
   * Who refused: an authorization server (a JSON error body, RFC 9449 §8) or a resource server (a
   * `WWW-Authenticate` challenge, RFC 9449 §9). They differ in which errors can blame the clock.
   */
  server: 'authorization_server' | 'resource_server';
  /** The response's `DPoP-Nonce`, if any. */
  nonce: string | null | undefined;
  /** The response's `Date`, if any. */
  date: string | null | undefined;
  /** The clock of the refusing server; corrected here when the answer is `clock`. */
  clock: SkewClock;
  /** The offset the refused proof (or assertion) was signed with, in milliseconds. */
  signedWithOffset: number;
  /** Whether the refused request carried a DPoP proof (a nonce is of no use otherwise). */
  proofSent: boolean;
  /** Whether a new token may be fetched (not at an authorization server, not for a caller's own token). */
  tokenRetryAllowed: boolean;
}

/** The error code by which a server asks for a proof carrying its nonce. */
const nonceError = 'use_dpop_nonce';

/**
 * Decides how to recover from a refusal, each way at most once per request (marked in `used`), or
 * `undefined`: the refusal stands and its error is thrown (or its response handed on). This is the
 * one place the decision is made, for every DPoP exchange of the SDK.
 *
 * - `use_dpop_nonce` with a `DPoP-Nonce` header, from either server, for a request that carried a
 *   proof: `nonce`. At an authorization server a description that blames the proof's time also
 *   corrects the clock (once) when its `Date` is at least a second off, in the same retry.
 * - A refusal of the proof (`invalid_dpop_proof`), or at an authorization server of the client
 *   assertion (`invalid_client`: oidc-provider gives no detail), whose description blames the time
 *   or whose `Date` is far off: `clock`, when the clock accepts the correction (its cap).
 * - `invalid_token` from a resource server, when allowed: `token`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-8 (authorization server nonces)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-9 (resource server nonces)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1 (iat acceptance window)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1 (invalid_token)
 */
export function decideRecovery(refusal: DpopRefusal, used: RecoveriesUsed, context: RecoveryContext): DpopRecovery | undefined {
  const { error, errorDescription } = refusal;
  const atAuthorizationServer = context.server === 'authorization_server';
  if (error === nonceError && context.nonce && context.proofSent && !used.nonce) {
    used.nonce = true;
    if (atAuthorizationServer && !used.clock && blamesTime(errorDescription)) {
      const skew = context.clock.skewFrom(context.date, context.signedWithOffset);
      if (skew !== undefined && Math.abs(skew) >= 1_000) used.clock = context.clock.correct(context.date);
    }
    return 'nonce';
  }
  if (!used.clock && (error === 'invalid_dpop_proof' || (atAuthorizationServer && error === 'invalid_client'))) {
    const skew = context.clock.skewFrom(context.date, context.signedWithOffset);
    // `correct` refuses an offset beyond the clock's cap: then the refusal stands.
    if (worthCorrecting(skew, errorDescription) && context.clock.correct(context.date)) {
      used.clock = true;
      return 'clock';
    }
  }
  if (error === 'invalid_token' && !atAuthorizationServer && context.tokenRetryAllowed && !used.token) {
    used.token = true;
    return 'token';
  }
  return undefined;
}
