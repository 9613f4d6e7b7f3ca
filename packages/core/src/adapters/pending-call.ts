import type { ApprovalProgress } from '../approvals/types.js';
import type { ApprovalStore } from '../tools/tool-call-ledger.js';
import type { GuardedTool, ToolApprovalPending } from '../tools/types.js';

/**
 * A model tool call that waits for a human: the one record every adapter keeps (and may save
 * with its conversation) to resume the call later. Plain JSON; holds no token and no CIBA handle.
 */
export interface PendingCall {
  /** The model's id of the call. */
  callId: string;
  /** Tool name. */
  tool: string;
  /** The approval the call waits for (Countersign's id, not the `auth_req_id`). */
  approvalId: string;
  /** Who was asked to approve. */
  approver: string;
  /** What the approver is shown (CIBA `binding_message`). */
  bindingMessage: string;
  /** ISO 8601. */
  expiresAt: string;
  /** SHA-256 (base64url) of the RFC 8785 canonical arguments: what the approval is bound to. */
  argsSha256: string;
  /** Dual-control progress, where the authorization server reports it. */
  progress?: ApprovalProgress | undefined;
}

/** The {@link PendingCall} of a pending outcome for the model's call `callId`. */
export function pendingCallOf(outcome: ToolApprovalPending, callId: string): PendingCall {
  const call: PendingCall = {
    callId,
    tool: outcome.tool,
    approvalId: outcome.approvalId,
    approver: outcome.approver,
    bindingMessage: outcome.bindingMessage,
    expiresAt: outcome.expiresAt,
    argsSha256: outcome.argsSha256,
  };
  if (outcome.progress !== undefined) call.progress = outcome.progress;
  return call;
}

/** The pending outcome a saved {@link PendingCall} stands for (to resume it). */
export function pendingOutcomeOf(call: PendingCall): ToolApprovalPending {
  const outcome: ToolApprovalPending = {
    status: 'approval_pending',
    tool: call.tool,
    approvalId: call.approvalId,
    approver: call.approver,
    bindingMessage: call.bindingMessage,
    expiresAt: call.expiresAt,
    argsSha256: call.argsSha256,
  };
  if (call.progress !== undefined) outcome.progress = call.progress;
  return outcome;
}

/**
 * The guard's own `args_sha256` of `args` (RFC 8785 canonical JSON, SHA-256), or `undefined` when
 * the guard cannot bind them (invalid arguments, or a tool without per-call approval). Adapters
 * hash nothing themselves.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 */
export function argumentsHashOf(guarded: GuardedTool, args: unknown): string | undefined {
  let details;
  try {
    details = guarded.authorizationDetails(args);
  } catch {
    return undefined;
  }
  const hash = details.find((detail) => detail.type === 'agent_action' && typeof detail.args_sha256 === 'string')?.args_sha256;
  return typeof hash === 'string' ? hash : undefined;
}

/**
 * An earlier call of `tool` with the same arguments that still waits (or runs) in the tool-call
 * ledger, among the calls whose id starts with `callIdPrefix` (a conversation's scope): a re-call
 * with the same arguments resumes it instead of asking the human twice. Reads the ledger through
 * its interface only, never its stored form.
 */
export async function findWaitingCall(
  ledger: ApprovalStore,
  query: { tool: string; argsSha256: string; callIdPrefix: string },
): Promise<{ approvalId: string; callId: string | undefined } | undefined> {
  const found = (await ledger.list()).find(
    (record) =>
      record.tool === query.tool &&
      record.argsSha256 === query.argsSha256 &&
      (record.state === 'pending' || record.state === 'executing') &&
      record.callId?.startsWith(query.callIdPrefix) === true,
  );
  return found === undefined ? undefined : { approvalId: found.id, callId: found.callId };
}
