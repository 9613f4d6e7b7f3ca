import { refusalToApprove, refusalToDecide, type ActionPolicy } from './dual-control-policy.js';
import type { DevApprover } from './types.js';

/** What decides who may approve or deny one request. */
export interface DecisionContext {
  policy: ActionPolicy;
  /** The CIBA `login_hint`: the person the agent addressed the request to. */
  addressedTo: string;
  /** The approver id of the person who owns the asking agent, when the directory knows it. */
  agentOwner?: string | undefined;
  /** Approvers counted so far, in order. */
  approvedSoFar: readonly DevApprover[];
}

/**
 * Why `approver` may not approve now, or `undefined` when they may:
 *
 * - the agent's owner never approves its own agent's actions;
 * - the server's role policy ({@link refusalToApprove});
 * - a single-approver request is decided only by the person it is addressed to (`login_hint`);
 * - under dual control one of the approvals must be the addressee's.
 *
 * The caller refuses the same person twice.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1 (login_hint)
 */
export function refusalToApproveRequest(context: DecisionContext, approver: DevApprover): string | undefined {
  if (context.agentOwner !== undefined && approver.id === context.agentOwner) {
    return `${approver.id} owns the agent that asks: an agent's owner may not approve its actions`;
  }
  const refusal = refusalToApprove(context.policy, approver, context.approvedSoFar);
  if (refusal !== undefined) return refusal;
  if (approver.id === context.addressedTo) return undefined;
  if (context.policy.requiredApprovals <= 1) return onlyAddressee(context.addressedTo);
  const isLastApproval = context.approvedSoFar.length + 1 >= context.policy.requiredApprovals;
  if (isLastApproval && !context.approvedSoFar.some((previous) => previous.id === context.addressedTo)) {
    return `the request is addressed to ${context.addressedTo}: one of the ${context.policy.requiredApprovals} approvals must be ${context.addressedTo}'s`;
  }
  return undefined;
}

/**
 * Why `approver` may not deny, or `undefined` when they may: a single-approver request only by its
 * addressee; under dual control anyone the role policy lets decide (a denial stops the action).
 */
export function refusalToDenyRequest(context: DecisionContext, approver: DevApprover): string | undefined {
  const refusal = refusalToDecide(context.policy, approver);
  if (refusal !== undefined) return refusal;
  if (context.policy.requiredApprovals <= 1 && approver.id !== context.addressedTo) return onlyAddressee(context.addressedTo);
  return undefined;
}

/** Who in `directory` could give the next approval (ids), excluding those already counted. */
export function nextApprovers(context: DecisionContext, directory: readonly DevApprover[]): string[] {
  const counted = new Set(context.approvedSoFar.map((approver) => approver.id));
  return directory.filter((approver) => !counted.has(approver.id) && refusalToApproveRequest(context, approver) === undefined).map((approver) => approver.id);
}

/** Who in `directory` may deny (ids). */
export function possibleDeniers(context: DecisionContext, directory: readonly DevApprover[]): string[] {
  return directory.filter((approver) => refusalToDenyRequest(context, approver) === undefined).map((approver) => approver.id);
}

/**
 * Whether the request can ever be approved: enough distinct people in `directory` pass the rules.
 * Returns the reason it cannot, or `undefined`.
 */
export function refusalToAddress(context: Omit<DecisionContext, 'approvedSoFar'>, directory: readonly DevApprover[]): string | undefined {
  const addressee = directory.find((approver) => approver.id === context.addressedTo);
  if (addressee === undefined) return `${context.addressedTo} is not in the approver directory`;
  const first = refusalToApproveRequest({ ...context, approvedSoFar: [] }, addressee);
  if (first !== undefined) return first;
  if (context.policy.requiredApprovals <= 1) return undefined;
  const others = nextApprovers({ ...context, approvedSoFar: [addressee] }, directory);
  if (others.length === 0) return `this action needs ${context.policy.requiredApprovals} distinct approvers and nobody besides ${addressee.id} may give the second approval`;
  return undefined;
}

/** One sentence for the approver: who may decide this request, and why. */
export function decisionRule(context: DecisionContext, directory: readonly DevApprover[]): string {
  const { policy, addressedTo } = context;
  const roles = [
    policy.everyApproverRole === undefined ? undefined : `every approver holds the ${policy.everyApproverRole} role`,
    policy.someApproverRole === undefined ? undefined : `one approver holds the ${policy.someApproverRole} role`,
  ].filter((part) => part !== undefined);
  const owner = context.agentOwner === undefined ? '' : ` ${context.agentOwner} owns the agent and may not approve its actions.`;
  const because = roles.length === 0 ? '' : ` (${roles.join('; ')})`;
  if (policy.requiredApprovals <= 1) {
    return `Only ${addressedTo} may approve or deny: the agent addressed this request to ${addressedTo}${because}.${owner}`;
  }
  const others = directory.filter((approver) => approver.id !== addressedTo && refusalToDecide(policy, approver) === undefined && approver.id !== context.agentOwner);
  const otherNames = others.map((approver) => approver.id).join(', ') || 'nobody';
  return `Dual control: ${policy.requiredApprovals} different people must approve, ${addressedTo} (the agent addressed the request to ${addressedTo}) and one more of: ${otherNames}${because}. Any of them may deny.${owner}`;
}

function onlyAddressee(addressedTo: string): string {
  return `this request is addressed to ${addressedTo}: only ${addressedTo} may approve or deny it`;
}
