import { CountersignError, type ToolOutcome } from '@countersign/core';
import { modelInstruction, pendingSummary } from '@countersign/core/adapters';

/**
 * What the model reads back from a guarded tool call: the JSON in a `role: 'tool'` message
 * (Chat Completions), a `function_call_output` (Responses) or a function tool's output (Agents SDK).
 * `note` tells the model, in words, what it may and may not do next: core's one table
 * (`modelInstruction`), the same words every adapter uses.
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
  | {
      status: 'failed';
      tool: string;
      error: { code: string; message: string; issues?: readonly string[] };
      approvalId?: string;
      note: string;
    };

/**
 * The model-readable form of a guarded tool's outcome. A pending approval carries who must
 * approve, the binding message they see, when the request expires and the approval id; nothing
 * else about the approval (no handle, no token) is ever included.
 *
 * @example
 * ```ts
 * const content = toolCallContent(await createPayout.invoke(args, { callId }));
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
        note: `This action has not run: it ${pendingSummary(outcome)} ${modelInstruction(outcome)}`,
      };
    case 'denied':
      return {
        status: 'denied',
        tool: outcome.tool,
        approvalId: outcome.approvalId,
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        note: `A human declined this action. ${modelInstruction(outcome)}`,
      };
    case 'expired':
      return {
        status: 'expired',
        tool: outcome.tool,
        approvalId: outcome.approvalId,
        note: `Nobody approved this action in time. ${modelInstruction(outcome)}`,
      };
    case 'failed':
      return {
        status: 'failed',
        tool: outcome.tool,
        error: describeError(outcome.error),
        ...(outcome.approvalId ? { approvalId: outcome.approvalId } : {}),
        note: modelInstruction(outcome),
      };
  }
}

/** {@link toolCallContent} as the JSON text a tool message carries. */
export function formatToolOutcome(outcome: ToolOutcome<unknown>): string {
  const content = toolCallContent(outcome);
  try {
    return JSON.stringify(content);
  } catch {
    // A result JSON cannot carry (a BigInt, a cycle) is shown as text rather than lost.
    return JSON.stringify({ ...content, result: String((content as { result?: unknown }).result) });
  }
}

function describeError(error: Error): { code: string; message: string; issues?: readonly string[] } {
  const code = CountersignError.isInstance(error) ? error.code : 'ERR_TOOL_FAILED';
  const issues = (error as { issues?: unknown }).issues;
  if (code === 'ERR_INVALID_ARGUMENTS' && Array.isArray(issues)) return { code, message: error.message, issues: issues.map(String) };
  return { code, message: error.message };
}
