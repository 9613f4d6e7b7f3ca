import type { AgentActionDetail } from '../authorization-server/agent-action-details.js';
import type { DevApprover } from './types.js';

/** What the server requires before an action may run. Decided by the server, never by the agent. */
export interface ActionPolicy {
  /** Distinct approvers required: 1, or 2 for dual control. */
  requiredApprovals: number;
  /** Every approver (and whoever denies) must hold this role. */
  everyApproverRole?: string | undefined;
  /** At least one of the approvers must hold this role. */
  someApproverRole?: string | undefined;
}

/** Options of {@link actionPolicy}. */
export interface ActionPolicyOptions {
  /** Payouts above this amount need two approvers. */
  dualControlThreshold: number;
}

/**
 * The devkit's server-side approval policy for one action:
 *
 * - `create_payout`: approvers hold `treasury`; two of them when the amount is above
 *   `dualControlThreshold`, or when the amount is not stated (the safe default).
 * - `rotate_signing_key`: always two approvers, at least one holding `security`.
 * - any other tool: one approver, from anyone in the directory.
 * - an agent asking `approval: 'dual'` gets two approvers; asking `single` never lowers the policy.
 */
export function actionPolicy(action: AgentActionDetail | undefined, options: ActionPolicyOptions): ActionPolicy {
  const askedDual = action?.approval === 'dual';
  switch (action?.tool) {
    case 'create_payout': {
      // The amount that runs (args) decides; the display member must equal it anyway.
      const amount = amountOf(action);
      const large = amount === undefined || amount > options.dualControlThreshold;
      return { requiredApprovals: large || askedDual ? 2 : 1, everyApproverRole: 'treasury' };
    }
    case 'rotate_signing_key':
      return { requiredApprovals: 2, someApproverRole: 'security' };
    default:
      return { requiredApprovals: askedDual ? 2 : 1 };
  }
}

/**
 * Why `approver` may not decide (approve or deny) under `policy` at all, or `undefined` when they may.
 * Also used to refuse a CIBA request addressed (`login_hint`) to someone who could not approve it.
 */
export function refusalToDecide(policy: ActionPolicy, approver: DevApprover): string | undefined {
  const role = policy.everyApproverRole;
  if (role !== undefined && !approver.roles.includes(role)) return `${approver.id} does not hold the ${role} role this action needs`;
  return undefined;
}

/**
 * Why `approver`'s approval cannot be counted after `approvedSoFar`, or `undefined` when it can.
 * Checks roles only; the caller refuses the same person twice.
 */
export function refusalToApprove(policy: ActionPolicy, approver: DevApprover, approvedSoFar: readonly DevApprover[]): string | undefined {
  const refusal = refusalToDecide(policy, approver);
  if (refusal !== undefined) return refusal;
  const role = policy.someApproverRole;
  if (role === undefined || approver.roles.includes(role)) return undefined;
  const isLastApproval = approvedSoFar.length + 1 >= policy.requiredApprovals;
  if (isLastApproval && !approvedSoFar.some((previous) => previous.roles.includes(role))) {
    return `one of the approvers must hold the ${role} role`;
  }
  return undefined;
}

function amountOf(action: AgentActionDetail): number | undefined {
  const args = action.args;
  if (typeof args === 'object' && args !== null && !Array.isArray(args) && typeof args.amount === 'number') return args.amount;
  return action.amount;
}
