import { ToolMessage } from '@langchain/core/messages';
import type { ToolCall } from '@langchain/core/messages/tool';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { isGraphBubbleUp } from '@langchain/langgraph';
import type { AgentMiddleware } from 'langchain';
import { CountersignError } from '@countersign/core';

// The brand createMiddleware() sets (Symbol.for, so no runtime import of `langchain` is needed).
const middlewareBrand = Symbol.for('AgentMiddleware');

/** Errors that mean the agent is set up wrong: the run must stop instead of the model reading them. */
function isSetupError(error: unknown): boolean {
  return CountersignError.isInstance(error) && error.code === 'ERR_MISSING_CHECKPOINTER';
}

/** What LangChain's tool node does with a tool error by default: a ToolMessage for the model. */
function errorToolMessage(error: unknown, toolCall: ToolCall): ToolMessage {
  return new ToolMessage({ content: `${String(error)}\n Please fix your mistakes.`, tool_call_id: toolCall.id ?? '', name: toolCall.name, status: 'error' });
}

/** Options of {@link countersignMiddleware}. */
export interface CountersignMiddlewareOptions {
  /** Tools to register with the agent through the middleware (for example from `countersignTools`). */
  tools?: readonly StructuredToolInterface[] | undefined;
}

/**
 * Middleware for `createAgent` from `langchain`. LangChain's tool node turns every error a tool
 * throws into a ToolMessage for the model, LangGraph's own "No checkpointer set" included, so a
 * misconfigured agent fails silently. With this middleware a {@link MissingCheckpointerError} is
 * thrown out of `agent.invoke()`; other tool errors still become ToolMessages as before, and
 * interrupts pass through. Put it last in `middleware` (innermost) so that retry middleware around
 * it still sees ordinary errors.
 *
 * @example
 * ```ts
 * const agent = createAgent({ model, tools, middleware: [countersignMiddleware()], checkpointer: new MemorySaver() });
 * ```
 */
export function countersignMiddleware(options: CountersignMiddlewareOptions = {}): AgentMiddleware {
  const middleware = {
    [middlewareBrand]: true,
    name: 'CountersignMiddleware',
    tools: options.tools === undefined ? undefined : [...options.tools],
    async wrapToolCall(request: { toolCall: ToolCall }, handler: (request: { toolCall: ToolCall }) => Promise<unknown>) {
      try {
        return await handler(request);
      } catch (error) {
        // Interrupts must reach LangGraph; LangChain formats invalid tool input itself.
        if (isBubbleUp(error) || isToolInvocationError(error)) throw error;
        if (isSetupError(error)) throw error;
        return errorToolMessage(error, request.toolCall);
      }
    },
  };
  return middleware as unknown as AgentMiddleware;
}

function isBubbleUp(error: unknown): boolean {
  return typeof error === 'object' && error !== null && isGraphBubbleUp(error as Error);
}

function isToolInvocationError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as Record<string, unknown>)['~brand'] === 'ToolInvocationError';
}
