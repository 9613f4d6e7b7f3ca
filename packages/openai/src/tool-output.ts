import type { ToolOutcome } from '@countersign/core';
import { modelContent, type ModelContent } from '@countersign/core/adapters';

/**
 * What the model reads back from a guarded tool call: the JSON in a `role: 'tool'` message
 * (Chat Completions), a `function_call_output` (Responses) or a function tool's output (Agents SDK).
 * Core's one form for every adapter ({@link ModelContent}).
 */
export type ToolCallContent = ModelContent;

/**
 * The model-readable form of a guarded tool's outcome: core's `modelContent`, the same every
 * Countersign adapter sends.
 *
 * @example
 * ```ts
 * const content = toolCallContent(await createPayout.invoke(args, { callId }));
 * // { status: 'approval_pending', approver: 'alice', bindingMessage: 'Pay 250 EUR to ACME', … }
 * ```
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1 (binding_message)
 */
export const toolCallContent: (outcome: ToolOutcome<unknown>) => ToolCallContent = modelContent;

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
