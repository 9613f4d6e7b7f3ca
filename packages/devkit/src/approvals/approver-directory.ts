import type { DevApprover } from './types.js';

/**
 * The devkit's directory of dev approvers. Their ids are the CIBA `login_hint` values and the `sub`
 * of the approvals they give.
 *
 * - `alice` and `bob`: `treasury` (payouts; two of them, so a payout can have dual control).
 * - `carol`: `security` (key rotation).
 */
export const DEV_APPROVERS: readonly DevApprover[] = Object.freeze([
  Object.freeze({ id: 'alice', name: 'Alice Martin', roles: Object.freeze(['treasury']) as string[] }),
  Object.freeze({ id: 'bob', name: 'Bob Okafor', roles: Object.freeze(['treasury']) as string[] }),
  Object.freeze({ id: 'carol', name: 'Carol Nguyen', roles: Object.freeze(['security']) as string[] }),
]);

/** The approver with `id`, if the directory has one (ids are case-sensitive). */
export function findApprover(id: unknown, directory: readonly DevApprover[] = DEV_APPROVERS): DevApprover | undefined {
  return typeof id === 'string' ? directory.find((approver) => approver.id === id) : undefined;
}

/** A copy of the directory that callers may not change. */
export function listApprovers(directory: readonly DevApprover[] = DEV_APPROVERS): DevApprover[] {
  return directory.map((approver) => ({ ...approver, roles: [...approver.roles] }));
}
