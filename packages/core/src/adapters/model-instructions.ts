import { CountersignError } from '../errors.js';
import type { ToolApprovalPending, ToolOutcome } from '../tools/types.js';

/**
 * What happened to a guarded call, as every adapter tells the model: the outcome's status, and
 * for a failure the typed error code that decides what the model may do next.
 */
export type ModelOutcomeKind =
  | 'done'
  | 'approval_pending'
  | 'denied'
  | 'expired'
  | 'invalid_arguments'
  | 'arguments_changed'
  | 'approval_mismatch'
  | 'outcome_not_known'
  | 'tool_error'
  | 'unknown_tool'
  | 'failed';

/** Failure codes with their own instruction; any other code is `failed`. */
const failureKinds: Readonly<Record<string, ModelOutcomeKind>> = {
  ERR_INVALID_ARGUMENTS: 'invalid_arguments',
  ERR_ARGUMENTS_CHANGED: 'arguments_changed',
  ERR_APPROVAL_MISMATCH: 'approval_mismatch',
  ERR_TOOL_CALL_IN_PROGRESS: 'outcome_not_known',
  ERR_TOOL_OUTCOME_UNKNOWN: 'outcome_not_known',
  ERR_TOOL_EXECUTION: 'tool_error',
  ERR_UNKNOWN_TOOL: 'unknown_tool',
};

/**
 * THE table of what the model is told to do next after each outcome: the same words from every
 * adapter (LangChain, OpenAI, AI SDK, MCP); adapters only say, in their wire format, what
 * happened. `{tool}` is replaced by the tool's name.
 */
export const MODEL_INSTRUCTIONS: Readonly<Record<ModelOutcomeKind, string>> = Object.freeze({
  done: 'Use its result.',
  approval_pending:
    'Tell the user it awaits approval; it runs once approved. To check on it later, call {tool} again with exactly the same arguments: that never asks the approver twice.',
  denied: 'Nothing was done. Tell the user; do not try again unless they ask.',
  expired: 'Nothing was done. If the user still wants it, call {tool} again to ask for a new approval.',
  invalid_arguments: 'Nothing ran. Fix the arguments and call {tool} again.',
  arguments_changed:
    'Its arguments differ from the ones the human approved, so that approval does not cover them. Call {tool} again to ask for approval of the new arguments.',
  approval_mismatch: 'The approval that came back does not match the action that was asked for, so it was not used. Tell the user.',
  outcome_not_known: 'Its outcome is not known yet (it is executing elsewhere, or stopped while executing). Do not call {tool} again; tell the user to check.',
  tool_error: 'Tell the user; do not assume it ran.',
  unknown_tool: 'Nothing ran. Use one of the tools you were given.',
  failed: 'Tell the user; do not assume it ran.',
});

/** The code of a failure: a Countersign error's `code` (also from a stored outcome), else none. */
export function failureCode(error: unknown): string | undefined {
  if (CountersignError.isInstance(error)) return error.code;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_') ? code : undefined;
}

/** Which instruction an outcome gets: its status, or for a failure the kind of its error code. */
export function modelOutcomeKind(outcome: ToolOutcome<unknown>): ModelOutcomeKind {
  if (outcome.status !== 'failed') return outcome.status;
  const code = failureCode(outcome.error);
  return (code !== undefined ? failureKinds[code] : undefined) ?? 'failed';
}

/** The instruction of {@link MODEL_INSTRUCTIONS} for `outcome`, with the tool's name filled in. */
export function modelInstruction(outcome: ToolOutcome<unknown>): string {
  return MODEL_INSTRUCTIONS[modelOutcomeKind(outcome)].replaceAll('{tool}', outcome.tool);
}

/**
 * What a pending approval waits for, for the model ("waits for approval by …", to follow the tool's
 * name): who must approve, what they were shown, dual
 * control progress, and when the request expires. Holds no handle and no token.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1 (binding_message)
 */
export function pendingSummary(outcome: ToolApprovalPending): string {
  const { progress } = outcome;
  const soFar =
    progress && progress.required > 1
      ? ` (${progress.required} different people must approve; ${progress.received.length} so far${progress.received.length > 0 ? `: ${progress.received.map((record) => record.subject).join(', ')}` : ''})`
      : '';
  return (
    `waits for approval by ${outcome.approver}${soFar}, who was asked to approve "${outcome.bindingMessage}". ` +
    `The approval request ${outcome.approvalId} expires at ${outcome.expiresAt}.`
  );
}

/** `{ name, code, message }` of a failure as adapters show it (messages never hold secrets). */
export function describeFailure(error: unknown): { name: string; code: string | undefined; message: string; issues?: readonly string[] } {
  const described = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as { name?: unknown; message?: unknown; issues?: unknown };
  const code = failureCode(error);
  const fields = {
    name: typeof described.name === 'string' ? described.name : 'Error',
    code,
    message: typeof described.message === 'string' ? described.message : 'unknown error',
  };
  return code === 'ERR_INVALID_ARGUMENTS' && Array.isArray(described.issues) ? { ...fields, issues: described.issues.map(String) } : fields;
}
