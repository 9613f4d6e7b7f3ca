/**
 * `@countersign/core/adapters`: the kit every framework adapter (LangChain, OpenAI, AI SDK, MCP)
 * is built on, so that all of them keep the same record of a pending call, tell the model the
 * same thing for each outcome, and wait for a decision the same way (the guard's).
 *
 * Usage, in an adapter's tool-call handler:
 *
 * ```ts
 * import { guardTool } from '@countersign/core';
 * import { modelInstruction, pendingCallOf, pendingSummary, describeFailure, waitForDecision } from '@countersign/core/adapters';
 *
 * const outcome = await guarded.invoke(args, { callId });
 * const note = modelInstruction(outcome); // the one table, keyed on status and error code
 * if (outcome.status === 'approval_pending') {
 *   saved.push(pendingCallOf(outcome, callId)); // plain JSON: keep it to resume after a restart
 *   show(`${pendingSummary(outcome)} ${note}`);
 * } else if (outcome.status === 'failed') {
 *   show({ error: describeFailure(outcome.error), note });
 * }
 * // later, or in a background task:
 * const final = await waitForDecision(guarded, saved[0], args, { signal });
 * ```
 *
 * Adapters keep only their framework's wire format; policy (what runs, what the model is told,
 * how long to wait) lives here and in the guard.
 *
 * @packageDocumentation
 */
export { MODEL_INSTRUCTIONS, modelInstruction, modelOutcomeKind, pendingSummary, describeFailure, failureCode } from './model-instructions.js';
export type { ModelOutcomeKind } from './model-instructions.js';
export { pendingCallOf, pendingOutcomeOf, argumentsHashOf, findWaitingCall } from './pending-call.js';
export type { PendingCall } from './pending-call.js';
export { modelContent } from './model-content.js';
export type { ModelContent } from './model-content.js';
export { waitForDecision } from './wait-for-decision.js';
export type { WaitForDecisionOptions } from './wait-for-decision.js';
