import type { GuardedTool } from '@countersign/core';
import type {
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
  ChatCompletionToolMessageParam,
} from 'openai/resources/chat/completions';
import {
  GuardedToolCalls,
  type GuardedToolsOptions,
  type HandleOptions,
  type ModelToolCall,
  type PendingToolCall,
  type ResumeOptions,
} from './lib/guarded-tool-calls.js';
import { formatToolOutcome } from './tool-output.js';

/** Guarded tools for the Chat Completions API. */
export interface ChatCompletionsTools {
  /** The `tools` to send with `chat.completions.create`. */
  readonly definitions: ChatCompletionFunctionTool[];
  /**
   * Runs an assistant message's `tool_calls` through their guards, one after the other, and
   * returns one `role: 'tool'` message per call, in the same order. A call that waits for a human
   * answers with `status: 'approval_pending'` (approver, binding message, expiry, approval id); a
   * malformed call (bad JSON, schema violation, unknown tool) answers with the error; nothing runs
   * for either.
   */
  handle(toolCalls: readonly ChatCompletionMessageToolCall[] | null | undefined, options?: HandleOptions): Promise<ChatCompletionToolMessageParam[]>;
  /**
   * Asks the guard about the calls that wait for a human. Each decided call is answered with a new
   * tool message for the same `tool_call_id` (replace the pending one with
   * {@link replaceToolMessages}); an approved call runs exactly once. Calls still undecided are
   * left out and stay pending.
   */
  resume(options?: ResumeOptions): Promise<ChatCompletionToolMessageParam[]>;
  /** The calls that wait for a human (plain JSON, fit to be saved across a restart). */
  pendingCalls(): PendingToolCall[];
}

/**
 * Guarded tools for OpenAI Chat Completions: the `tools` definitions (JSON Schema from the zod
 * schemas, strict where it can be) and a handler that turns the model's `tool_calls` into
 * `role: 'tool'` messages. Every decision stays with the guard: this only translates.
 *
 * @example
 * ```ts
 * const countersign = createChatCompletionsTools([listAccounts, createPayout]);
 * const completion = await openai.chat.completions.create({ model, messages, tools: countersign.definitions });
 * const message = completion.choices[0]!.message;
 * messages.push(message, ...(await countersign.handle(message.tool_calls)));
 * // later, once the approver decided:
 * messages = replaceToolMessages(messages, await countersign.resume());
 * ```
 * @see https://platform.openai.com/docs/guides/function-calling
 */
export function createChatCompletionsTools(tools: readonly GuardedTool[], options: GuardedToolsOptions = {}): ChatCompletionsTools {
  const calls = new GuardedToolCalls(tools, options);
  const definitions: ChatCompletionFunctionTool[] = [...calls.entries.values()].map(({ guard, parameters }) => ({
    type: 'function',
    function: { name: guard.name, description: guard.description, parameters: parameters.parameters, strict: parameters.strict },
  }));
  return {
    definitions,
    async handle(toolCalls, handleOptions) {
      const messages: ChatCompletionToolMessageParam[] = [];
      for (const toolCall of toolCalls ?? []) {
        const outcome = await calls.run(toModelToolCall(toolCall), handleOptions);
        messages.push({ role: 'tool', tool_call_id: toolCall.id, content: formatToolOutcome(outcome) });
      }
      return messages;
    },
    async resume(resumeOptions) {
      const results = await calls.resume(resumeOptions);
      return results.map(({ callId, outcome }) => ({ role: 'tool', tool_call_id: callId, content: formatToolOutcome(outcome) }));
    },
    pendingCalls: () => calls.pendingCalls(),
  };
}

/**
 * A copy of `messages` in which each tool message whose `tool_call_id` matches one of `updates`
 * is replaced by it. The API wants exactly one tool message per call, right after the assistant
 * message that made it, so a resumed result replaces the pending one where it stands.
 *
 * @example
 * ```ts
 * messages = replaceToolMessages(messages, await countersign.resume());
 * ```
 */
export function replaceToolMessages(
  messages: readonly ChatCompletionMessageParam[],
  updates: readonly ChatCompletionToolMessageParam[],
): ChatCompletionMessageParam[] {
  const byCallId = new Map(updates.map((update) => [update.tool_call_id, update]));
  return messages.map((message) => (message.role === 'tool' && byCallId.has(message.tool_call_id) ? byCallId.get(message.tool_call_id)! : message));
}

function toModelToolCall(toolCall: ChatCompletionMessageToolCall): ModelToolCall {
  if (toolCall.type === 'function') {
    return { callId: toolCall.id, name: toolCall.function.name, arguments: toolCall.function.arguments };
  }
  // A custom (free-form) tool call is not one of ours: it is answered as an unknown tool.
  return { callId: toolCall.id, name: `custom:${toolCall.custom.name}`, arguments: '' };
}
