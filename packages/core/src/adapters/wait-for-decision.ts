import { sleep } from '../lib/sleep.js';
import type { GuardedTool, ToolOutcome } from '../tools/types.js';
import type { PendingCall } from './pending-call.js';

/** Pause after a poll that decided nothing because it failed (network, server error), before the guard waits for the next poll. */
const RETRY_PAUSE_MS = 1_000;

/** Options of {@link waitForDecision}. */
export interface WaitForDecisionOptions {
  /** Stops waiting: the promise rejects with `signal.reason`; the call stays pending and can be resumed later. */
  signal?: AbortSignal | undefined;
  /** Told of each poll that failed and decided nothing (the call stays pending and the wait goes on). */
  onRetry?: ((error: Error) => void) | undefined;
}

/**
 * Waits for the human decision on a pending call, the one way every adapter waits: the guard's
 * own `resume` with `wait`, which polls at the authorization server's interval (and `slow_down`),
 * stops at the request's expiry, and runs an approved call exactly once. A poll that failed and
 * decided nothing (the guard's retryable `failed`: network, a 5xx, the call running elsewhere)
 * does not end the wait. Resolves the final outcome (done, denied, expired, or a failure that is
 * final); rejects only with `signal`'s reason when it aborts.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.3
 */
export async function waitForDecision(
  guarded: GuardedTool,
  call: Pick<PendingCall, 'approvalId'> & { callId?: string | undefined },
  args: unknown,
  options: WaitForDecisionOptions = {},
): Promise<ToolOutcome<unknown>> {
  for (;;) {
    const outcome = await guarded.resume(call.approvalId, args, { callId: call.callId, signal: options.signal, wait: true });
    if (outcome.status !== 'failed' || outcome.retryable !== true) return outcome;
    options.onRetry?.(outcome.error);
    await sleep(RETRY_PAUSE_MS, options.signal);
  }
}
