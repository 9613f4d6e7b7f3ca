import { ConfigurationError, type GuardedTool, type ToolOutcome } from '@countersign/core';
import type { FunctionTool, RunState, RunToolApprovalItem } from '@openai/agents';
import {
  GuardedToolCalls,
  type GuardedToolEntry,
  type GuardedToolsOptions,
  type ModelToolCall,
  type PendingToolCall,
  type ToolCallResult,
} from './lib/guarded-tool-calls.js';
import { formatToolOutcome } from './tool-output.js';

/** Options of {@link AgentsTools.settle}. */
export interface SettleOptions {
  signal?: AbortSignal | undefined;
  /** Keep polling until every guarded interruption is decided (or expires, or `signal` aborts). Default false. */
  wait?: boolean | undefined;
}

/** What {@link AgentsTools.settle} did with the run's guarded interruptions. */
export interface SettleResult {
  /** Approved by the authorization server and executed (exactly once): approved in the run state. */
  approved: ToolCallResult[];
  /**
   * Not approved, nothing ran: denied or expired (rejected in the run state with the reason as the
   * tool output), or arguments that are not JSON (the SDK answers with its parse error).
   */
  rejected: ToolCallResult[];
  /** Still waiting for a human: left as interruptions. */
  pending: PendingToolCall[];
}

/** Guarded tools for the OpenAI Agents SDK. */
export interface AgentsTools {
  /** Function tools for `new Agent({ tools })`. */
  readonly tools: FunctionTool<unknown, any, string>[];
  /**
   * The guarded calls waiting for a human, read from this instance (no network): binding
   * message, approver, expiry and approval id, to show while the run is interrupted. Restricted
   * to `interruptions` when given (for example `result.interruptions`).
   */
  pendingCalls(interruptions?: readonly RunToolApprovalItem[]): PendingToolCall[];
  /**
   * Applies the authorization server's decisions to the run state: for each guarded interruption
   * it asks the guard (one poll, or until decided with `wait`); an approved call executes exactly
   * once and is approved in `state`; a denied or expired one is rejected with the reason as the
   * tool output. Then continue with `run(agent, state)`. Interruptions of other tools are left
   * alone.
   */
  settle(state: RunState<any, any>, options?: SettleOptions): Promise<SettleResult>;
}

/**
 * Guarded tools for the OpenAI Agents SDK (`@openai/agents`), in its human-in-the-loop idiom: an
 * irreversible call interrupts the run (`needsApproval`), and {@link AgentsTools.settle} turns the
 * authorization server's decision into the SDK's approve or reject. The authorization server stays
 * the one that approves: approving an interruption locally, without it, only makes the tool
 * answer that the call still waits; nothing runs until the server-side approval of these exact
 * arguments.
 *
 * Loads `@openai/agents` (an optional peer dependency) when called.
 *
 * @example
 * ```ts
 * const countersign = await createAgentsTools([listAccounts, createPayout]);
 * const agent = new Agent({ name: 'treasurer', instructions, tools: countersign.tools });
 * let result = await run(agent, 'Pay ACME 250 EUR from acc-1');
 * while (result.interruptions.length > 0) {
 *   for (const call of countersign.pendingCalls(result.interruptions)) console.log(`${call.approver}: ${call.bindingMessage}`);
 *   await countersign.settle(result.state, { wait: true });
 *   result = await run(agent, result.state);
 * }
 * ```
 * @see https://openai.github.io/openai-agents-js/guides/human-in-the-loop/
 */
export async function createAgentsTools(tools: readonly GuardedTool[], options: GuardedToolsOptions = {}): Promise<AgentsTools> {
  const { tool } = await import('@openai/agents');
  const calls = new GuardedToolCalls(tools, options);
  /** Final outcomes reached before the SDK runs the tool (in `needsApproval` or `settle`), by call id. */
  const decided = new Map<string, ToolOutcome<unknown>>();
  const bySdkName = new Map<string, GuardedToolEntry>();

  const functionTools = [...calls.entries.values()].map((entry) => {
    const { guard, parameters } = entry;
    const functionTool = tool({
      name: guard.name,
      description: guard.description,
      parameters: parameters.parameters as never,
      strict: parameters.strict,
      needsApproval:
        guard.risk === 'irreversible'
          ? async (_context: unknown, input: unknown, callId?: string) => needsHumanApproval(entry, input, callId)
          : false,
      async execute(input: unknown, _context: unknown, details?: { toolCall?: { callId?: string }; signal?: AbortSignal }) {
        const callId = details?.toolCall?.callId;
        const known = callId === undefined ? undefined : decided.get(callId);
        if (callId !== undefined && known) {
          decided.delete(callId);
          return formatToolOutcome(known);
        }
        // Also the path of an interruption approved locally, without settle(): the guard asks the
        // authorization server, and a call it has not approved still answers approval_pending.
        const args = parameters.toToolArguments(input);
        const outcome = await calls.invoke(entry, args, callId, { signal: details?.signal });
        if (callId !== undefined) calls.remember(modelCall(guard.name, callId, input), entry, args, outcome);
        return formatToolOutcome(outcome);
      },
    }) as FunctionTool<unknown, any, string>;
    // The SDK rewrites names it does not accept (a '-' becomes '_'); the model calls the rewritten one.
    if (bySdkName.has(functionTool.name)) throw new ConfigurationError(`two tools are named ${functionTool.name} in the Agents SDK`);
    bySdkName.set(functionTool.name, entry);
    return functionTool;
  });

  async function needsHumanApproval(entry: GuardedToolEntry, input: unknown, callId: string | undefined): Promise<boolean> {
    // Without a call id there is nothing to bind a decision to: interrupt, settle() will see it.
    if (callId === undefined) return true;
    if (decided.has(callId)) return false;
    if (calls.pendingCall(callId)) return true;
    const args = entry.parameters.toToolArguments(input);
    const outcome = await calls.invoke(entry, args, callId);
    calls.remember(modelCall(entry.guard.name, callId, input), entry, args, outcome);
    if (outcome.status === 'approval_pending') return true;
    decided.set(callId, outcome);
    return false;
  }

  async function settle(state: RunState<any, any>, settleOptions: SettleOptions = {}): Promise<SettleResult> {
    const result: SettleResult = { approved: [], rejected: [], pending: [] };
    const items = new Map<string, RunToolApprovalItem>();
    const toResume: PendingToolCall[] = [];
    const outcomes: ToolCallResult[] = [];

    for (const item of state.getInterruptions()) {
      const raw = item.rawItem;
      if (raw.type !== 'function_call') continue;
      const entry = bySdkName.get(raw.name);
      if (!entry) continue;
      items.set(raw.callId, item);
      const prepared = calls.prepare({ callId: raw.callId, name: entry.guard.name, arguments: raw.arguments });
      if ('outcome' in prepared) {
        // Unparsable arguments: the SDK interrupts because it cannot inspect them. Letting it go on
        // makes the SDK answer with its own parse error (a rejection would be redacted to "not
        // approved"); the tool function is never called with them, and the guard would refuse them.
        state.approve(item);
        result.rejected.push({ callId: raw.callId, outcome: prepared.outcome });
        continue;
      }
      const known = calls.pendingCall(raw.callId);
      if (known) {
        toResume.push(known);
        continue;
      }
      // Not seen by this process (a restart): the guard finds the call by its id in its store.
      const outcome = await calls.invoke(prepared.entry, prepared.args, raw.callId, settleOptions);
      calls.remember({ callId: raw.callId, name: entry.guard.name, arguments: raw.arguments }, prepared.entry, prepared.args, outcome);
      if (outcome.status !== 'approval_pending') outcomes.push({ callId: raw.callId, outcome });
    }
    if (toResume.length > 0) outcomes.push(...(await calls.resume({ calls: toResume, signal: settleOptions.signal, wait: settleOptions.wait })));

    for (const { callId, outcome } of outcomes) {
      const item = items.get(callId)!;
      // Approved on the server (it ran, or failed while running): approve. Never approved: reject.
      if (outcome.status === 'done' || (outcome.status === 'failed' && outcome.approvalId !== undefined)) {
        decided.set(callId, outcome);
        state.approve(item);
        result.approved.push({ callId, outcome });
      } else {
        state.reject(item, { message: formatToolOutcome(outcome) });
        result.rejected.push({ callId, outcome });
      }
    }
    result.pending = calls.pendingCalls().filter((pending) => items.has(pending.callId));
    return result;
  }

  return {
    tools: functionTools,
    pendingCalls(interruptions) {
      const pending = calls.pendingCalls();
      if (!interruptions) return pending;
      const ids = new Set(interruptions.flatMap((item) => (item.rawItem.type === 'function_call' ? [item.rawItem.callId] : [])));
      return pending.filter((call) => ids.has(call.callId));
    },
    settle,
  };
}

function modelCall(name: string, callId: string, input: unknown): ModelToolCall {
  return { callId, name, arguments: typeof input === 'string' ? input : JSON.stringify(input) };
}
