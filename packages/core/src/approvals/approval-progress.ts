import type { ApprovalProgress } from './types.js';

/**
 * One line that says where an approval stands, for a terminal or an agent loop:
 * `1 of 2 approvals (alice); waiting for one more of: bob`. Names come from the authorization
 * server's report (`approvals_received`, `approvals_waiting_for`); without the waiting list the
 * line ends with how many approvals are still needed.
 *
 * @example
 * ```ts
 * describeApprovalProgress({ required: 2, received: [{ subject: 'alice' }], waitingFor: ['bob'] });
 * // '1 of 2 approvals (alice); waiting for one more of: bob'
 * ```
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.11
 */
export function describeApprovalProgress(progress: ApprovalProgress): string {
  const received = progress.received.map((approver) => approver.subject);
  const count = `${received.length} of ${progress.required} approval${progress.required === 1 ? '' : 's'}`;
  const head = received.length === 0 ? count : `${count} (${received.join(', ')})`;
  const missing = progress.required - received.length;
  if (missing <= 0) return head;
  const more = missing === 1 ? (received.length === 0 ? 'one' : 'one more') : `${missing} more`;
  const waiting = progress.waitingFor ?? [];
  if (waiting.length === 0) return `${head}; waiting for ${more}`;
  return `${head}; waiting for ${more} of: ${waiting.join(', ')}`;
}
