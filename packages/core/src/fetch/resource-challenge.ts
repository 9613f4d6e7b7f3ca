import {
  InsufficientScopeError,
  InsufficientUserAuthenticationError,
  ResourceChallengeError,
} from '../errors.js';
import { worthCorrecting, type SkewClock } from '../lib/clock-skew.js';
import { parseWwwAuthenticate } from '../lib/www-authenticate.js';

/** What a protected resource's refusal asks of the client. */
export type ChallengeOutcome =
  /** No challenge with an `error`: the response is the application's own answer. */
  | { kind: 'none' }
  /** `use_dpop_nonce`: send again with the nonce from the `DPoP-Nonce` header. */
  | { kind: 'use_dpop_nonce'; error: ResourceChallengeError }
  /** `invalid_token`: the token was revoked or expired early; get a new one. */
  | { kind: 'invalid_token'; error: ResourceChallengeError }
  /** Anything else, as a typed error to throw. */
  | { kind: 'refused'; error: ResourceChallengeError };

/**
 * Reads the `WWW-Authenticate` challenges of a 401 or 403 response. The DPoP challenge is preferred,
 * then Bearer (some resources answer scope problems with a Bearer challenge even to DPoP clients).
 * `insufficient_scope` and `insufficient_user_authentication` map to their own error classes.
 * `secrets` (the access token and proof the request carried) are scrubbed from the parameters.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-9 (use_dpop_nonce at a resource server)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc9470#section-3 (insufficient_user_authentication)
 */
export function classifyChallenge(
  status: number,
  wwwAuthenticate: string | null | undefined,
  secrets: readonly (string | undefined)[] = [],
): ChallengeOutcome {
  if ((status !== 401 && status !== 403) || !wwwAuthenticate) return { kind: 'none' };
  const challenges = parseWwwAuthenticate(wwwAuthenticate).filter((challenge) => challenge.parameters.error !== undefined);
  const challenge = challenges.find((item) => item.scheme === 'dpop') ?? challenges.find((item) => item.scheme === 'bearer');
  if (!challenge) return { kind: 'none' };
  const { parameters } = challenge;
  switch (parameters.error) {
    case 'use_dpop_nonce':
      return { kind: 'use_dpop_nonce', error: new ResourceChallengeError(status, parameters, secrets) };
    case 'invalid_token':
      return { kind: 'invalid_token', error: new ResourceChallengeError(status, parameters, secrets) };
    case 'insufficient_scope':
      return { kind: 'refused', error: new InsufficientScopeError(status, parameters, secrets) };
    case 'insufficient_user_authentication':
      return { kind: 'refused', error: new InsufficientUserAuthenticationError(status, parameters, secrets) };
    default:
      return { kind: 'refused', error: new ResourceChallengeError(status, parameters, secrets) };
  }
}

/** The recoveries a request has used: each is allowed once. */
export interface RecoveriesUsed {
  nonce: boolean;
  clock: boolean;
  token: boolean;
}

/** What a refused response offers {@link recoveryFor}. */
export interface RecoveryContext {
  /** The response's `DPoP-Nonce`, if any. */
  nonce: string | null | undefined;
  /** The response's `Date`, if any. */
  date: string | null | undefined;
  /** The clock of the request's origin; corrected here when the answer is `clock`. */
  clock: SkewClock;
  /** The offset the refused proof was signed with, in milliseconds. */
  signedWithOffset: number;
  /** Whether a new token may be fetched (not when the caller passed its own token). */
  tokenRetryAllowed: boolean;
}

/**
 * How to recover from a challenge, each way at most once per request (and marked in `used`):
 * `nonce` (send again with the new nonce), `clock` (the proof's time was refused and this origin's
 * clock was just corrected from `Date`, within its cap), `token` (get a new token), or `undefined`:
 * throw the challenge's error.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-8 (nonces)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1 (invalid_token)
 */
export function recoveryFor(
  challenge: Exclude<ChallengeOutcome, { kind: 'none' }>,
  used: RecoveriesUsed,
  context: RecoveryContext,
): 'nonce' | 'clock' | 'token' | undefined {
  if (challenge.kind === 'use_dpop_nonce' && context.nonce && !used.nonce) {
    used.nonce = true;
    return 'nonce';
  }
  if (challenge.error.error === 'invalid_dpop_proof' && !used.clock) {
    const skew = context.clock.skewFrom(context.date, context.signedWithOffset);
    // `correct` refuses an offset beyond the clock's cap: then the challenge's error stands.
    if (worthCorrecting(skew, challenge.error.errorDescription) && context.clock.correct(context.date)) {
      used.clock = true;
      return 'clock';
    }
  }
  if (challenge.kind === 'invalid_token' && context.tokenRetryAllowed && !used.token) {
    used.token = true;
    return 'token';
  }
  return undefined;
}
