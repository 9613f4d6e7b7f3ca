import { ConfigurationError, type GuardedTool, type ToolOutcome } from '@countersign/core';
import { type ModelMessage, type SingleToolApprovalFunction, type Tool, type ToolApprovalStatus } from 'ai';
import { deniedReason, pendingNote, toolCallContent, type ToolCallContent } from './tool-output.js';

/** Options of {@link countersignTools}. */
export interface CountersignToolsOptions {
  /**
   * How long, in milliseconds, a call the user approved in the chat waits for the authorization
   * server's decision before it answers that it still waits (default 30 000). The chat's approval
   * is only the signal to go and look: the call runs when the authorization server approved it.
   */
  decisionTimeoutMs?: number | undefined;
}

/** One approval function per guarded tool, as `generateText`'s `toolApproval` wants them. */
export type CountersignToolApproval = Record<string, SingleToolApprovalFunction<unknown, unknown, unknown> | 'not-applicable'>;

/** AI SDK tools and their approval configuration, to spread into `generateText`, `streamText` or `ToolLoopAgent`. */
export interface CountersignTools {
  /** The AI SDK tools, by name. Each answers with a {@link ToolCallContent}. */
  readonly tools: Record<string, Tool<unknown, ToolCallContent>>;
  /** Irreversible tools ask the authorization server; read and write tools need no approval. */
  readonly toolApproval: CountersignToolApproval;
}

/** Default of {@link CountersignToolsOptions.decisionTimeoutMs}. */
const DEFAULT_DECISION_TIMEOUT_MS = 30_000;

/**
 * Guarded tools for the Vercel AI SDK (`ai` 7). Read and write tools run at once with the agent's
 * routine token. An irreversible call shows up in the SDK's own approval flow, so a `useChat` UI
 * renders it, but that flow is only a view of the human approval at the authorization server
 * (OpenID CIBA, bound to the exact arguments by RFC 9396 `authorization_details`):
 *
 * - the model's call starts the approval request, and the SDK emits a `tool-approval-request`
 *   whose reason names the approver and what they are shown;
 * - a `tool-approval-response` from the client is a hint that the approver decided, nothing more:
 *   the guard asks the authorization server, and the call runs only if it approved, exactly once,
 *   with exactly the approved arguments; a forged approval runs nothing;
 * - a refusal at the authorization server (denied, expired, arguments changed) becomes the SDK's
 *   denial, with the reason the model reads;
 * - other arguments are another call: they need a new approval.
 *
 * @example
 * ```ts
 * const countersign = countersignTools([listAccounts, createPayout]);
 * const result = await generateText({ model, messages, ...countersign });
 * ```
 * @throws {ConfigurationError} when two tools share a name.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 */
export function countersignTools(guards: readonly GuardedTool[], options: CountersignToolsOptions = {}): CountersignTools {
  const decisionTimeoutMs = options.decisionTimeoutMs ?? DEFAULT_DECISION_TIMEOUT_MS;
  if (!Number.isFinite(decisionTimeoutMs) || decisionTimeoutMs < 0) throw new ConfigurationError('decisionTimeoutMs must be a number of milliseconds, 0 or more');
  const tools: Record<string, Tool<unknown, ToolCallContent>> = {};
  const toolApproval: CountersignToolApproval = {};
  for (const guard of guards) {
    if (Object.hasOwn(tools, guard.name)) throw new ConfigurationError(`two guarded tools are named ${guard.name}`);
    tools[guard.name] = {
      description: guard.description,
      inputSchema: guard.schema as never,
      // The approval check before it (see approvalStatus) already asked the authorization server.
      execute: async (input, { toolCallId, abortSignal }) => toolCallContent(await guard.invoke(input, { callId: toolCallId, signal: abortSignal })),
    };
    toolApproval[guard.name] =
      guard.risk === 'irreversible'
        ? (input, { toolCallId, messages }) =>
            // Wait for the decision only when the chat says the approver decided; the model's call
            // itself only starts the request and answers at once.
            approvalStatus(guard, input, toolCallId, approvedInChat(messages, toolCallId) ? decisionTimeoutMs : 0)
        : 'not-applicable';
  }
  return { tools, toolApproval };
}

/**
 * The SDK's view of the call's approval, from the guard: asks for approval the first time; when the
 * SDK checks a client's approval, asks the authorization server, waiting up to `waitMs` for its
 * decision. If it approved, the guard runs the call then, exactly once; the SDK's `execute` gets
 * the stored outcome. Anything else it decided becomes the SDK's denial, with the reason.
 */
async function approvalStatus(guard: GuardedTool, input: unknown, callId: string, waitMs: number): Promise<Exclude<ToolApprovalStatus, string | undefined>> {
  const outcome = await invoke(guard, input, callId, undefined, waitMs);
  switch (outcome.status) {
    case 'approval_pending':
      return { type: 'user-approval', reason: `${outcome.bindingMessage}. ${pendingNote(outcome.approver)}` };
    case 'done':
      return { type: 'approved', reason: `Approved at the authorization server by ${outcome.approvers?.map((approver) => approver.subject).join(' and ') ?? 'the approver'}.` };
    default: {
      const reason = deniedReason(outcome);
      // A retryable failure (the server was unreachable) decides nothing: the call stays pending.
      return reason === undefined ? { type: 'user-approval', reason: `${outcome.tool}: the authorization server could not be asked; try again.` } : { type: 'denied', reason };
    }
  }
}

/** Runs the call through its guard, waiting up to `waitMs` for a decision at the authorization server. */
async function invoke(guard: GuardedTool, input: unknown, callId: string, signal: AbortSignal | undefined, waitMs: number): Promise<ToolOutcome<unknown>> {
  if (waitMs <= 0) return guard.invoke(input, { callId, signal });
  const timeout = AbortSignal.timeout(waitMs);
  const bounded = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  try {
    return await guard.invoke(input, { callId, signal: bounded, wait: true });
  } catch (error) {
    // Still undecided when the wait ran out: answer with the call's current (pending) state.
    if (timeout.aborted && !signal?.aborted) return guard.invoke(input, { callId, signal });
    throw error;
  }
}

/** Whether the last tool message carries the client's approval of this call. */
function approvedInChat(messages: readonly ModelMessage[], toolCallId: string): boolean {
  const requests = new Set<string>();
  for (const message of messages) {
    if (message.role !== 'assistant' || typeof message.content === 'string') continue;
    for (const part of message.content) if (part.type === 'tool-approval-request' && part.toolCallId === toolCallId) requests.add(part.approvalId);
  }
  const last = messages.at(-1);
  if (last?.role !== 'tool') return false;
  return last.content.some((part) => part.type === 'tool-approval-response' && part.approved && requests.has(part.approvalId));
}
