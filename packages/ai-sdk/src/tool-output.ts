import type { ToolOutcome } from '@countersign/core';
import { modelContent, modelInstruction, type ModelContent } from '@countersign/core/adapters';

/**
 * What a guarded tool returns to the AI SDK, and so what the model reads and what a `useChat` UI
 * renders as the tool part's output: core's one form for every adapter ({@link ModelContent}).
 */
export type ToolCallContent = ModelContent;

/**
 * The model-readable form of a guarded tool's outcome: core's `modelContent`, the same every
 * Countersign adapter sends. A pending approval carries who must approve, the binding message they
 * see, when the request expires and the approval id; never a token.
 *
 * @example
 * ```ts
 * toolCallContent(await createPayout.invoke(args, { callId }));
 * ```
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1 (binding_message)
 */
export const toolCallContent: (outcome: ToolOutcome<unknown>) => ToolCallContent = modelContent;

/** What happened to a call that waits for `approver`, as the AI SDK's approval UI shows it. */
export function pendingNote(approver: string): string {
  return `This action waits for ${approver} to approve it at the authorization server and has not run.`;
}

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
      return (modelContent(outcome) as Extract<ModelContent, { status: 'expired' }>).note;
    case 'failed':
      return outcome.retryable ? undefined : `${outcome.error.message}. Nothing ran.`;
    default:
      return undefined;
  }
}
