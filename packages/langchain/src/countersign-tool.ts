import type { ZodType } from 'zod';
import { ToolMessage } from '@langchain/core/messages';
import type { RunnableConfig } from '@langchain/core/runnables';
import { tool, type DynamicStructuredTool } from '@langchain/core/tools';
import { interrupt } from '@langchain/langgraph';
import { ConfigurationError, type ApprovalStore, type GuardedTool, type InvokeOptions, type ToolOutcome } from '@countersign/core';
import { approvalInterrupt, approvalPendingKind, editedArguments } from './approval-interrupt.js';
import { MissingCheckpointerError } from './errors.js';
import { hasCheckpointer, isInsideGraph, scopedCallId, threadIdOf } from './graph-config.js';
import { createPendingCallIndex, type PendingCallIndex } from './pending-calls.js';
import { toolMessageFields } from './tool-messages.js';

/** How a call that waits for approval reaches the agent loop. */
export type ApprovalMode = 'interrupt' | 'message';

/** Options of {@link countersignTool}. */
export interface CountersignToolOptions {
  /**
   * - `interrupt` (default): the call pauses the graph with a LangGraph `interrupt()` whose value is
   *   an {@link ApprovalInterrupt}; resuming the thread with `Command({ resume })` once the human
   *   decided continues the same call, which runs at most once. Needs a checkpointer.
   * - `message`: the call returns a ToolMessage telling the model the action awaits approval (and
   *   by whom), with the structured state in `artifact`; the loop goes on, and a later call of the
   *   tool with the same arguments in the same thread resumes that approval.
   */
  mode?: ApprovalMode | undefined;
  /**
   * Message mode: the agent's approval store (`agent.approvalStore`), so that a later call in the
   * same thread (`configurable.thread_id`) finds its pending approval after a process restart too.
   * Default: this process's memory.
   */
  approvalStore?: ApprovalStore | undefined;
}

/** A guarded tool as a LangChain tool: the same name, description and zod schema. */
export type CountersignLangChainTool<Schema extends ZodType = ZodType> = DynamicStructuredTool<Schema>;

const guardedTools = new WeakMap<object, GuardedTool>();

/**
 * Wraps a Countersign guarded tool (from `guardTool` of `@countersign/core`) as a LangChain tool
 * for `createAgent` from `langchain`, a LangGraph `ToolNode`, or a plain loop. The adapter decides
 * nothing: validation, risk, approval and the once-only execution are the core guard's. It passes
 * the model's tool call id (scoped to the thread) as the guard's `callId`, so LangGraph re-running
 * the tool body on resume continues the stored call instead of asking the human again.
 *
 * Every outcome comes back as a ToolMessage (when called with a tool call): the result, or why the
 * action did not run (denied, expired, invalid or changed arguments), with a
 * {@link CountersignArtifact} in `artifact`.
 *
 * @example
 * ```ts
 * const tools = [countersignTool(listAccounts), countersignTool(createPayout)];
 * const agent = createAgent({ model, tools, middleware: [countersignMiddleware()], checkpointer: new MemorySaver() });
 * ```
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html
 */
export function countersignTool<Schema extends ZodType, Result>(
  guarded: GuardedTool<Schema, Result>,
  options: CountersignToolOptions = {},
): CountersignLangChainTool<Schema> {
  const mode = options.mode ?? 'interrupt';
  if (mode !== 'interrupt' && mode !== 'message') throw new ConfigurationError(`mode must be 'interrupt' or 'message', got ${String(mode)}`);
  const pendingCalls = mode === 'message' ? createPendingCallIndex(guarded, options.approvalStore) : undefined;
  /**
   * Per thread-scoped call id: the edited arguments in order, and how many interrupts the call
   * had raised when the last edit came (this process's memory).
   */
  const editsOf = new Map<string, { args: Record<string, unknown>[]; interrupts: number }>();

  const run = async (input: unknown, config: RunnableConfig & { toolCall?: { id?: string; args?: unknown } }) => {
    const toolCallId = config.toolCall?.id;
    // The raw arguments of the model's call: the guard validates and hashes them itself.
    const args = config.toolCall?.args ?? input;
    const threadId = threadIdOf(config);
    const invokeOptions: InvokeOptions = { callId: scopedCallId(threadId, toolCallId), signal: config.signal };

    let outcome: ToolOutcome<Result>;
    if (pendingCalls !== undefined) {
      outcome = await invokeOrResumeEarlierCall(guarded, args, invokeOptions, pendingCalls, threadId);
    } else {
      // Refuse before anything is asked: no human should approve what can never be resumed.
      if (guarded.risk === 'irreversible' && !hasCheckpointer(config)) throw new MissingCheckpointerError(guarded.name, isInsideGraph(config));
      // Edits already made to this call (a human-in-the-loop `edit` decision): the body re-runs
      // from the start on every resume, and must never poll a superseded approval again.
      const key = invokeOptions.callId;
      const edits = (key === undefined ? undefined : editsOf.get(key)) ?? { args: [], interrupts: 0 };
      const stageOptions = (): InvokeOptions =>
        edits.args.length === 0 || key === undefined ? invokeOptions : { ...invokeOptions, callId: `${key}#edit-${edits.args.length}` };
      // The interrupts up to the last edit return their recorded resume values.
      let interrupts = 0;
      for (; interrupts < edits.interrupts; interrupts += 1) interrupt({ kind: approvalPendingKind, superseded: true });
      let callArgs: unknown = edits.args.at(-1) ?? args;
      outcome = await guarded.invoke(callArgs, stageOptions());
      while (outcome.status === 'approval_pending') {
        // Throws GraphInterrupt the first time. When LangGraph re-runs this body on resume, it
        // returns the resume value. An approve or reject in it is a hint only: the decision is
        // read from the guard (and so the authorization server).
        const resumeValue = interrupt(approvalInterrupt(outcome, toolCallId ?? '', callArgs));
        interrupts += 1;
        const edited = editedArguments(resumeValue, guarded.name);
        if (edited !== undefined && key !== undefined) {
          // An edit is another call: a fresh approval for exactly the edited arguments.
          edits.args.push(edited);
          edits.interrupts = interrupts;
          editsOf.set(key, edits);
          callArgs = edited;
          outcome = await guarded.invoke(callArgs, stageOptions());
          continue;
        }
        outcome = await guarded.resume(outcome.approvalId, callArgs, stageOptions());
      }
    }

    const fields = toolMessageFields(outcome, toolCallId ?? '');
    if (toolCallId === undefined) return fields.content;
    return new ToolMessage({ ...fields, tool_call_id: toolCallId, name: guarded.name });
  };

  const langchainTool = tool(run as never, {
    name: guarded.name,
    description: guarded.description,
    schema: guarded.schema,
    metadata: { countersign: { risk: guarded.risk, mode } },
  }) as unknown as CountersignLangChainTool<Schema>;
  guardedTools.set(langchainTool, guarded as GuardedTool);
  return langchainTool;
}

/**
 * Wraps several guarded tools with the same options.
 *
 * @example
 * ```ts
 * const tools = countersignTools([listAccounts, createPayout], { mode: 'message' });
 * ```
 */
export function countersignTools(
  guarded: ReadonlyArray<GuardedTool<ZodType, unknown>>,
  options: CountersignToolOptions = {},
): CountersignLangChainTool[] {
  return guarded.map((one) => countersignTool(one, options) as unknown as CountersignLangChainTool);
}

/** The guarded tool behind a tool made by {@link countersignTool}, if it is one. */
export function guardedToolOf(langchainTool: unknown): GuardedTool | undefined {
  return typeof langchainTool === 'object' && langchainTool !== null ? guardedTools.get(langchainTool) : undefined;
}

async function invokeOrResumeEarlierCall<Result>(
  guarded: GuardedTool<ZodType, Result>,
  args: unknown,
  invokeOptions: InvokeOptions,
  pendingCalls: PendingCallIndex,
  threadId: string | undefined,
): Promise<ToolOutcome<Result>> {
  const argsSha256 = guarded.risk === 'irreversible' ? pendingCalls.hashOf(args) : undefined;
  if (argsSha256 === undefined) return guarded.invoke(args, invokeOptions);
  const earlier = await pendingCalls.find(threadId, argsSha256);
  const outcome = earlier
    ? await guarded.resume(earlier.approvalId, args, { ...invokeOptions, callId: earlier.callId })
    : await guarded.invoke(args, invokeOptions);
  if (outcome.status === 'approval_pending') {
    pendingCalls.remember(threadId, argsSha256, { approvalId: outcome.approvalId, callId: earlier?.callId ?? invokeOptions.callId });
  } else {
    pendingCalls.forget(threadId, argsSha256);
  }
  return outcome;
}
