import type { RunnableConfig } from '@langchain/core/runnables';

// LangGraph puts these in `configurable` of every task it runs; they are how a tool can tell
// whether it runs in a graph that can pause (interrupt) and resume it.
const checkpointerKey = '__pregel_checkpointer';
const scratchpadKey = '__pregel_scratchpad';

/** The `thread_id` the run belongs to, when it has one. */
export function threadIdOf(config: RunnableConfig | undefined): string | undefined {
  const threadId: unknown = config?.configurable?.thread_id;
  return typeof threadId === 'string' || typeof threadId === 'number' ? String(threadId) : undefined;
}

/** True when the call runs in a LangGraph task whose graph has a checkpointer. */
export function hasCheckpointer(config: RunnableConfig | undefined): boolean {
  return Boolean(config?.configurable?.[checkpointerKey]);
}

/** True when the call runs in a LangGraph task. */
export function isInsideGraph(config: RunnableConfig | undefined): boolean {
  return config?.configurable?.[scratchpadKey] !== undefined;
}

/**
 * The call id handed to the core guard: the model's tool call id, scoped to the thread so that two
 * conversations whose models reuse an id (scripted models do) never share a stored call.
 */
export function scopedCallId(threadId: string | undefined, toolCallId: string | undefined): string | undefined {
  if (toolCallId === undefined || toolCallId === '') return undefined;
  return threadId === undefined ? toolCallId : `${encodeURIComponent(threadId)}/${toolCallId}`;
}
