/**
 * A scripted language model for tests and the offline example: the AI SDK's own mock model
 * (`MockLanguageModelV4` from `ai/test`) whose every turn is decided by a function of the prompt,
 * so the whole SDK (tool calls, approval parts, execution, denials) runs for real around it.
 */
import { MockLanguageModelV4 } from 'ai/test';

/** The call options the model receives (`prompt`, `tools`, …). */
export type ScriptedCall = Parameters<MockLanguageModelV4['doGenerate']>[0];
/** One message of the prompt as the provider sees it. */
export type ScriptedPromptMessage = ScriptedCall['prompt'][number];

/** A tool result as the model reads it. */
export type ScriptedToolResult = Extract<Extract<ScriptedPromptMessage, { role: 'tool' }>['content'][number], { type: 'tool-result' }>;

/** What the model answers in one turn: tool calls, or words. */
export type ScriptedTurn = { toolCalls: Array<{ id: string; name: string; input: unknown }> } | { text: string };

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/** A mock model that answers each turn with `script(prompt)`; its calls are kept in `doGenerateCalls`. */
export function scriptedModel(script: (prompt: ScriptedCall['prompt'], call: ScriptedCall) => ScriptedTurn): MockLanguageModelV4 {
  return new MockLanguageModelV4({
    doGenerate: async (call) => {
      const turn = script(call.prompt, call);
      if ('text' in turn) {
        return { content: [{ type: 'text', text: turn.text }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] };
      }
      return {
        content: turn.toolCalls.map((toolCall) => ({ type: 'tool-call' as const, toolCallId: toolCall.id, toolName: toolCall.name, input: JSON.stringify(toolCall.input) })),
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage,
        warnings: [],
      };
    },
  });
}

/** The tool results in the prompt's last message (what the model reads back this turn). */
export function lastToolResults(prompt: ScriptedCall['prompt']): ScriptedToolResult[] {
  const last = prompt.at(-1);
  if (last?.role !== 'tool') return [];
  return last.content.flatMap((part) => (part.type === 'tool-result' ? [part] : []));
}
