import type { GuardedTool, ToolOutcome } from '../tools/types.js';
import type { PendingCall } from './pending-call.js';

/**
 * Waits for the human decision on a pending call, the one way every adapter waits: the guard's
 * own `resume` with `wait`, which polls at the authorization server's interval (and `slow_down`),
 * stops at the request's expiry, and runs an approved call exactly once. Resolves the final
 * outcome (or a retryable `failed` when nothing could be decided); rejects only with `signal`'s
 * reason when it aborts.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.3
 */
export function waitForDecision(
  guarded: GuardedTool,
  call: Pick<PendingCall, 'approvalId' | 'callId'>,
  args: unknown,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<ToolOutcome<unknown>> {
  return guarded.resume(call.approvalId, args, { callId: call.callId, signal: options.signal, wait: true });
}
