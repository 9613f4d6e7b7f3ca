import type { GuardedTool } from '@countersign/core';
import type { FunctionTool, ResponseFunctionToolCall, ResponseInputItem, ResponseOutputItem } from 'openai/resources/responses/responses';
import {
  GuardedToolCalls,
  type GuardedToolsOptions,
  type HandleOptions,
  type PendingToolCall,
  type ResumeOptions,
} from './lib/guarded-tool-calls.js';
import { formatToolOutcome } from './tool-output.js';

/** A `function_call_output` input item. */
export type FunctionCallOutput = ResponseInputItem.FunctionCallOutput;

/** Guarded tools for the Responses API. */
export interface ResponsesTools {
  /** The `tools` to send with `responses.create`. */
  readonly definitions: FunctionTool[];
  /**
   * Runs every `function_call` item among `items` (typically `response.output`) through its
   * guard, one after the other, and returns one `function_call_output` per call, same order,
   * same `call_id`. Other items are ignored. Pending approvals and malformed calls answer as in
   * Chat Completions; nothing runs for either.
   */
  handle(items: readonly (ResponseOutputItem | ResponseInputItem)[], options?: HandleOptions): Promise<FunctionCallOutput[]>;
  /**
   * Asks the guard about the calls that wait for a human; returns a final `function_call_output`
   * for each decided call (an approved call runs exactly once). Undecided calls stay pending.
   */
  resume(options?: ResumeOptions): Promise<FunctionCallOutput[]>;
  /** The calls that wait for a human (plain JSON, fit to be saved across a restart). */
  pendingCalls(): PendingToolCall[];
}

/**
 * Guarded tools for the OpenAI Responses API: function tool definitions and a handler that turns
 * `function_call` items into `function_call_output` items.
 *
 * When conversation state lives on the server (`previous_response_id`), continue from the response
 * that made the call with the resumed outputs; with manual state, swap the pending outputs in the
 * input list with {@link replaceFunctionCallOutputs}.
 *
 * @example
 * ```ts
 * const countersign = createResponsesTools([listAccounts, createPayout]);
 * const response = await openai.responses.create({ model, input, tools: countersign.definitions });
 * input.push(...response.output, ...(await countersign.handle(response.output)));
 * ```
 * @see https://platform.openai.com/docs/guides/function-calling?api-mode=responses
 */
export function createResponsesTools(tools: readonly GuardedTool[], options: GuardedToolsOptions = {}): ResponsesTools {
  const calls = new GuardedToolCalls(tools, options);
  const definitions: FunctionTool[] = [...calls.entries.values()].map(({ guard, parameters }) => ({
    type: 'function',
    name: guard.name,
    description: guard.description,
    parameters: parameters.parameters,
    strict: parameters.strict,
  }));
  return {
    definitions,
    async handle(items, handleOptions) {
      const outputs: FunctionCallOutput[] = [];
      for (const item of items) {
        if (item.type !== 'function_call') continue;
        const call = item as ResponseFunctionToolCall;
        const outcome = await calls.run({ callId: call.call_id, name: call.name, arguments: call.arguments }, handleOptions);
        outputs.push({ type: 'function_call_output', call_id: call.call_id, output: formatToolOutcome(outcome) });
      }
      return outputs;
    },
    async resume(resumeOptions) {
      const results = await calls.resume(resumeOptions);
      return results.map(({ callId, outcome }) => ({ type: 'function_call_output', call_id: callId, output: formatToolOutcome(outcome) }));
    },
    pendingCalls: () => calls.pendingCalls(),
  };
}

/**
 * A copy of `input` in which each `function_call_output` whose `call_id` matches one of
 * `updates` is replaced by it.
 */
export function replaceFunctionCallOutputs(
  input: readonly ResponseInputItem[],
  updates: readonly FunctionCallOutput[],
): ResponseInputItem[] {
  const byCallId = new Map(updates.map((update) => [update.call_id, update]));
  return input.map((item) => (item.type === 'function_call_output' && byCallId.has(item.call_id) ? byCallId.get(item.call_id)! : item));
}
