import { CountersignError, type ToolOutcome } from '@countersign/core';

/**
 * What a guarded tool returns to the AI SDK, and so what the model reads and what a `useChat` UI
 * renders as the tool part's output. `note` tells the model, in words, what it may do next.
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
        note: pendingNote(outcome.approver),
      };
    case 'denied':
      return {
        status: 'denied',
        tool: outcome.tool,
        approvalId: outcome.approvalId,
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        note: DENIED_NOTE,
      };
    case 'expired':
      return { status: 'expired', tool: outcome.tool, approvalId: outcome.approvalId, note: EXPIRED_NOTE };
    case 'failed': {
      const code = CountersignError.isInstance(outcome.error) ? outcome.error.code : 'ERR_TOOL_FAILED';
      return {
        status: 'failed',
        tool: outcome.tool,
        error: { code, message: outcome.error.message },
        ...(outcome.approvalId ? { approvalId: outcome.approvalId } : {}),
        note: code === 'ERR_INVALID_ARGUMENTS' ? 'Nothing ran. Correct the arguments and call the tool again.' : 'The action did not complete. Tell the user what failed.',
      };
    }
  }
}

/** The words the model and the approval UI get for a call that waits for `approver`. */
export function pendingNote(approver: string): string {
  return `This action waits for ${approver} to approve it at the authorization server and has not run. Do not call the tool again for it: it runs once approved.`;
}

const DENIED_NOTE = 'A human declined this action. It did not run. Do not retry it unless the user asks.';
const EXPIRED_NOTE = 'Nobody approved this action in time. It did not run.';

/**
 * The reason an AI SDK `denied` approval status carries for a call the authorization server
 * refused, let expire, or that can no longer run: the model reads it in the `execution-denied`
 * tool result, a UI shows it on the approval.
 */
export function deniedReason(outcome: ToolOutcome<unknown>): string | undefined {
  switch (outcome.status) {
    case 'denied':
      return `Declined at the authorization server${outcome.reason ? `: ${outcome.reason}` : ''}. ${DENIED_NOTE}`;
    case 'expired':
      return EXPIRED_NOTE;
    case 'failed':
      return outcome.retryable ? undefined : `${outcome.error.message}. Nothing ran.`;
    default:
      return undefined;
  }
}
