import type { RunnableConfig } from '@langchain/core/runnables';
import { Command } from '@langchain/langgraph';
import { ConfigurationError, CountersignError } from '@countersign/core';
import { waitForDecision } from '@countersign/core/adapters';
import type { GuardedTool, ToolOutcome } from '@countersign/core';
import { approvalDecidedKind, isApprovalInterrupt, type ApprovalDecision, type ApprovalDecisionStatus, type ApprovalInterrupt } from './approval-interrupt.js';
import { guardedToolOf } from './countersign-tool.js';
import { scopedCallId, threadIdOf } from './graph-config.js';

/** What the resumer needs of a compiled LangGraph graph or of an agent from `createAgent`. */
export interface InterruptibleGraph<State = unknown> {
  getState(config: RunnableConfig): Promise<{
    values: unknown;
    tasks: ReadonlyArray<{ interrupts: ReadonlyArray<{ id?: string | undefined; value?: unknown }> }>;
  }>;
  // `any`: a resume Command suits every graph, whatever its state and node names.
  invoke(input: Command<unknown, any, any>, config: RunnableConfig): Promise<State>;
}

/** A Countersign interrupt the thread is paused on. */
export interface PendingApprovalInterrupt {
  /** LangGraph's id of the interrupt: its key in a `Command({ resume: { [id]: value } })` map. */
  interruptId: string | undefined;
  value: ApprovalInterrupt;
}

/** How one approval the resumer waited for ended. */
export interface ApprovalSettlement {
  approvalId: string;
  toolCallId: string;
  tool: string;
  status: ApprovalDecisionStatus;
}

/** Options of {@link resumeWhenDecided}. */
export interface ResumeWhenDecidedOptions {
  /**
   * The tools that can raise the interrupts: tools made by `countersignTool`, or the guarded tools
   * themselves. They are matched by name.
   */
  tools: readonly object[];
  /**
   * @deprecated Ignored: the guard polls at the interval the authorization server sets (and its
   * `slow_down`), through core's `waitForDecision`; the resumer keeps no clock of its own.
   */
  pollIntervalMs?: number | undefined;
  /** Stops waiting: the promise rejects with `signal.reason`; the thread stays paused and can be resumed later. */
  signal?: AbortSignal | undefined;
  /** Called with the approvals first seen in a round, for example to tell the user who must approve what. */
  onPending?: ((interrupts: PendingApprovalInterrupt[]) => void | Promise<void>) | undefined;
  /** Called as each approval is settled. */
  onSettled?: ((settlement: ApprovalSettlement) => void | Promise<void>) | undefined;
  /** State key of the message list holding the tool calls (default `messages`). */
  messagesKey?: string | undefined;
}

/** What {@link resumeWhenDecided} did. */
export interface ResumeWhenDecidedResult<State> {
  /** What the last resume of the graph returned; undefined when the thread was not paused on an approval. */
  state: State | undefined;
  /** Every approval waited for, in the order they were settled. */
  settlements: ApprovalSettlement[];
  /** How many times the graph was resumed. */
  resumes: number;
}

/**
 * The Countersign approval interrupts the thread is paused on, read from the graph's state.
 *
 * @example
 * ```ts
 * for (const { value } of await findApprovalInterrupts(agent, config)) console.log(value.bindingMessage);
 * ```
 */
export async function findApprovalInterrupts(graph: InterruptibleGraph<unknown>, config: RunnableConfig): Promise<PendingApprovalInterrupt[]> {
  return approvalInterruptsOf(await graph.getState(config));
}

function approvalInterruptsOf(snapshot: Awaited<ReturnType<InterruptibleGraph['getState']>>): PendingApprovalInterrupt[] {
  return snapshot.tasks.flatMap((task) =>
    task.interrupts.filter((entry) => isApprovalInterrupt(entry.value)).map((entry) => ({ interruptId: entry.id, value: entry.value as ApprovalInterrupt })),
  );
}

/**
 * Drives a thread paused on Countersign approvals to its next stop: it finds the thread's pending
 * approval interrupts, waits for each decision the one way every adapter waits (core's
 * `waitForDecision`: the guard polls at the server's interval, through failed polls, until the
 * approval is decided or expires), then
 * resumes the graph once with `Command({ resume })`, one value per interrupt id. If the resumed run
 * pauses on new approvals (a later tool call, or a call whose interrupt LangGraph surfaced only
 * after the others), it goes on; it returns when the thread is no longer paused on an approval.
 *
 * An approved call runs here, through the guard, exactly once; the resumed tool body then reads the
 * stored outcome instead of running it again. Interrupts of other kinds are left alone.
 *
 * @example
 * ```ts
 * const config = { configurable: { thread_id: 'payout-1' } };
 * await agent.invoke({ messages: [{ role: 'user', content: 'Pay invoice 118' }] }, config);
 * const { state } = await resumeWhenDecided(agent, config, { tools, signal: AbortSignal.timeout(600_000) });
 * ```
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.3
 */
export async function resumeWhenDecided<State>(
  graph: InterruptibleGraph<State>,
  config: RunnableConfig,
  options: ResumeWhenDecidedOptions,
): Promise<ResumeWhenDecidedResult<State>> {
  const tools = toolsByName(options.tools);
  const threadId = threadIdOf(config);
  const seen = new Set<string>();
  const settlements: ApprovalSettlement[] = [];
  let state: State | undefined;
  let resumes = 0;

  for (;;) {
    options.signal?.throwIfAborted();
    const snapshot = await graph.getState(config);
    const pending = approvalInterruptsOf(snapshot);
    if (pending.length === 0) return { state, settlements, resumes };

    const fresh = pending.filter((entry) => !seen.has(entry.value.approvalId));
    for (const entry of fresh) seen.add(entry.value.approvalId);
    if (fresh.length > 0) await options.onPending?.(fresh);

    const waits = pending.map((entry) => {
      const guarded = tools.get(entry.value.tool);
      if (guarded === undefined) throw new ConfigurationError(`the thread waits on tool ${entry.value.tool}, which was not given to the resumer`);
      const args = toolCallArguments(snapshot.values, options.messagesKey ?? 'messages', entry.value.toolCallId);
      if (args === undefined) throw new CountersignError(`the thread's state has no tool call ${entry.value.toolCallId} to resume`);
      return { entry, guarded, args, callId: scopedCallId(threadId, entry.value.toolCallId) };
    });

    const decided = new Map<string, ApprovalDecisionStatus>();
    await Promise.all(
      waits.map(async ({ entry, guarded, args, callId }) => {
        const outcome = await waitForDecision(guarded, { approvalId: entry.value.approvalId, callId }, args, { signal: options.signal });
        const status = settledStatus(outcome);
        decided.set(entry.value.approvalId, status);
        const settlement = { approvalId: entry.value.approvalId, toolCallId: entry.value.toolCallId, tool: entry.value.tool, status };
        settlements.push(settlement);
        await options.onSettled?.(settlement);
      }),
    );

    state = await graph.invoke(new Command({ resume: resumeValue(pending, decided) }), config);
    resumes += 1;
  }
}

function toolsByName(tools: readonly object[]): Map<string, GuardedTool> {
  const byName = new Map<string, GuardedTool>();
  for (const candidate of tools) {
    const guarded = guardedToolOf(candidate) ?? (isGuardedTool(candidate) ? candidate : undefined);
    if (guarded === undefined) throw new ConfigurationError('tools must be guarded tools or tools made by countersignTool');
    byName.set(guarded.name, guarded);
  }
  return byName;
}

function isGuardedTool(value: object): value is GuardedTool {
  const candidate = value as Partial<GuardedTool>;
  return typeof candidate.name === 'string' && typeof candidate.invoke === 'function' && typeof candidate.resume === 'function' && typeof candidate.authorizationDetails === 'function';
}

function settledStatus(outcome: ToolOutcome<unknown>): ApprovalDecisionStatus {
  return outcome.status === 'approval_pending' ? 'failed' : outcome.status;
}

/** The arguments of tool call `toolCallId`, from the newest message that holds it. */
function toolCallArguments(values: unknown, messagesKey: string, toolCallId: string): unknown {
  const messages = Array.isArray(values) ? values : (values as Record<string, unknown> | undefined)?.[messagesKey];
  if (!Array.isArray(messages)) return undefined;
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const toolCalls = (messages[index] as { tool_calls?: unknown } | undefined)?.tool_calls;
    if (!Array.isArray(toolCalls)) continue;
    const match = toolCalls.find((call) => (call as { id?: unknown }).id === toolCallId) as { args?: unknown } | undefined;
    if (match !== undefined) return match.args;
  }
  return undefined;
}

/** One value per interrupt id; a bare value only when LangGraph gave no id and one interrupt waits. */
function resumeValue(pending: PendingApprovalInterrupt[], decided: Map<string, ApprovalDecisionStatus>): unknown {
  const decision = (value: ApprovalInterrupt): ApprovalDecision => ({ kind: approvalDecidedKind, approvalId: value.approvalId, status: decided.get(value.approvalId)! });
  if (pending.every((entry) => entry.interruptId !== undefined)) {
    return Object.fromEntries(pending.map((entry) => [entry.interruptId, decision(entry.value)]));
  }
  if (pending.length === 1) return decision(pending[0]!.value);
  throw new CountersignError('several approval interrupts wait but LangGraph gave them no ids, so they cannot be resumed one by one');
}
