import { type ToolOutcome } from '@countersign/core';
import { failureCode, modelInstruction } from '@countersign/core/adapters';

/**
 * What a guarded tool returns to the AI SDK, and so what the model reads and what a `useChat` UI
 * renders as the tool part's output. `note` says what happened, then what the model may do next in
 * the words every Countersign adapter uses (core's adapter kit, `modelInstruction`).
 */
export type ToolCallContent =
  | { status: 'done'; tool: string; result: unknown; approvalId?: string; approvedBy?: string[] }
  | {
      status: 'approval_pending';
      tool: string;
      approvalId: string;
      approver: string;
      bindingMessage: string;
      /** ISO 8601. */
      expiresAt: string;
      /** Dual control: how many approvals are required and who approved so far. */
      progress?: { required: number; approvedBy: string[] };
      /** That progress in one line, e.g. `1 of 2 approvals (alice); waiting for one more of: bob`. */
      progressText?: string;
      note: string;
    }
  | { status: 'denied'; tool: string; approvalId: string; reason?: string; note: string }
  | { status: 'expired'; tool: string; approvalId: string; note: string }
  | { status: 'failed'; tool: string; error: { code: string; message: string }; approvalId?: string; note: string };

/**
 * The model-readable form of a guarded tool's outcome. A pending approval carries who must approve,
 * the binding message they see, when the request expires and the approval id; never a token.
 *
 * @example
 * ```ts
 * toolCallContent(await createPayout.invoke(args, { callId }));
 * // { status: 'approval_pending', approver: 'alice', bindingMessage: 'Pay 250 EUR to ACME', … }
 * ```
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1 (binding_message)
 */
export function toolCallContent(outcome: ToolOutcome<unknown>): ToolCallContent {
  switch (outcome.status) {
    case 'done':
      return {
        status: 'done',
        tool: outcome.tool,
        result: outcome.result,
        ...(outcome.approvalId ? { approvalId: outcome.approvalId } : {}),
        ...(outcome.approvers?.length ? { approvedBy: outcome.approvers.map((approver) => approver.subject) } : {}),
      };
    case 'approval_pending':
      return {
        status: 'approval_pending',
        tool: outcome.tool,
        approvalId: outcome.approvalId,
        approver: outcome.approver,
        bindingMessage: outcome.bindingMessage,
        expiresAt: outcome.expiresAt,
        ...(outcome.progress
          ? { progress: { required: outcome.progress.required, approvedBy: outcome.progress.received.map((record) => record.subject) } }
          : {}),
        ...(outcome.progressText ? { progressText: outcome.progressText } : {}),
        note: `${pendingNote(outcome.approver)} ${modelInstruction(outcome)}`,
      };
    case 'denied':
      return {
        status: 'denied',
        tool: outcome.tool,
        approvalId: outcome.approvalId,
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        note: `${DENIED} ${modelInstruction(outcome)}`,
      };
    case 'expired':
      return { status: 'expired', tool: outcome.tool, approvalId: outcome.approvalId, note: `${EXPIRED} ${modelInstruction(outcome)}` };
    case 'failed': {
      const code = failureCode(outcome.error) ?? 'ERR_TOOL_FAILED';
      return {
        status: 'failed',
        tool: outcome.tool,
        error: { code, message: outcome.error.message },
        ...(outcome.approvalId ? { approvalId: outcome.approvalId } : {}),
        note: modelInstruction(outcome),
      };
    }
  }
}

/** What happened to a call that waits for `approver`, as the model and the approval UI read it. */
export function pendingNote(approver: string): string {
  return `This action waits for ${approver} to approve it at the authorization server and has not run.`;
}

const DENIED = 'A human declined this action at the authorization server. It did not run.';
const EXPIRED = 'Nobody approved this action in time. It did not run.';

/**
 * The reason an AI SDK `denied` approval status carries for a call the authorization server
 * refused, let expire, or that can no longer run: the model reads it in the `execution-denied`
 * tool result, a UI shows it on the approval.
 */
export function deniedReason(outcome: ToolOutcome<unknown>): string | undefined {
  switch (outcome.status) {
    case 'denied':
      return `Declined at the authorization server${outcome.reason ? `: ${outcome.reason}` : ''}. ${modelInstruction(outcome)}`;
    case 'expired':
      return `${EXPIRED} ${modelInstruction(outcome)}`;
    case 'failed':
      return outcome.retryable ? undefined : `${outcome.error.message}. Nothing ran.`;
    default:
      return undefined;
  }
}
