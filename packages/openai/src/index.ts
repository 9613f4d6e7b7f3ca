/**
 * Countersign guarded tools for OpenAI tool calling: Chat Completions, the Responses API and the
 * Agents SDK. A thin adapter: every decision (validation, risk, approval, execution) is the core
 * guard's; this package translates between the model's tool calls and the guard's outcomes.
 *
 * @packageDocumentation
 */
export { createChatCompletionsTools, replaceToolMessages, type ChatCompletionsTools } from './chat-completions.js';
export { createResponsesTools, replaceFunctionCallOutputs, type ResponsesTools, type FunctionCallOutput } from './responses.js';
export { createAgentsTools, type AgentsTools, type SettleOptions, type SettleResult } from './agents.js';
export type {
  GuardedToolsOptions,
  HandleOptions,
  ResumeOptions,
  PendingToolCall,
  ToolCallResult,
} from './lib/guarded-tool-calls.js';
export { toolParameters, type ModelToolParameters, type ToolParametersOptions, type JsonSchema } from './tool-parameters.js';
export { toolCallContent, formatToolOutcome, type ToolCallContent } from './tool-output.js';
export { UnknownToolError } from './errors.js';
