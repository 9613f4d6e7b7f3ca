import type { ToolOutcome } from '../tools/types.js';
import { describeFailure, modelInstruction, pendingSummary } from './model-instructions.js';

/**
 * What the model reads back from a guarded tool call, the same from every adapter: the JSON of an
 * OpenAI tool message or `function_call_output`, an AI SDK tool output (and what a `useChat` UI
 * renders), and so on. `note` says what happened, then what the model may do next in the one
 * table's words ({@link modelInstruction}). Never holds a token or a CIBA handle.
 */
export type ModelContent =
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
  | {
      status: 'failed';
      tool: string;
      error: { code: string; message: string; issues?: readonly string[] };
      approvalId?: string;
      note: string;
    };

/** What happened, for the outcomes whose note says it before the instruction. */
const DENIED = 'A human declined this action at the authorization server. It did not run.';
const EXPIRED = 'Nobody approved this action in time. It did not run.';

/**
 * The {@link ModelContent} of a guarded tool's outcome. A pending approval carries who must
 * approve, the binding message they see (CIBA §7.1 `binding_message`), when the request expires
 * and the approval id; a failure its typed error code (`ERR_TOOL_FAILED` for an error that has
 * none) and, for invalid arguments, the schema's issues.
 *
 * @example
 * ```ts
 * const content = modelContent(await createPayout.invoke(args, { callId }));
 * // { status: 'approval_pending', approver: 'alice', bindingMessage: 'Pay 250 EUR to ACME', note: '…' }
 * ```
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 */
export function modelContent(outcome: ToolOutcome<unknown>): ModelContent {
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
        note: `This action has not run: it ${pendingSummary(outcome)} ${modelInstruction(outcome)}`,
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
      const { code, message, issues } = describeFailure(outcome.error);
      return {
        status: 'failed',
        tool: outcome.tool,
        error: { code: code ?? 'ERR_TOOL_FAILED', message, ...(issues ? { issues } : {}) },
        ...(outcome.approvalId ? { approvalId: outcome.approvalId } : {}),
        note: modelInstruction(outcome),
      };
    }
  }
}
