import {
  ConfigurationError,
  CountersignError,
  InvalidArgumentsError,
  type ApprovalProgress,
  type GuardedTool,
  type ToolApprovalPending,
  type ToolOutcome,
} from '@countersign/core';
import { argumentsHashOf } from '@countersign/core/adapters';
import { UnknownToolError } from '../errors.js';
import { toolParameters, type ModelToolParameters } from '../tool-parameters.js';

/** One tool call as the model made it, whatever the wire format. */
export interface ModelToolCall {
  /** The model's id of the call (`tool_call_id`, `call_id`). */
  callId: string;
  /** The tool name the model used. */
  name: string;
  /** The arguments as the model sent them: JSON text. */
  arguments: string;
}

/**
 * A model tool call that waits for a human. Plain JSON: keep it (with the conversation) to resume
 * the call after a restart, together with an approval store that survives restarts.
 */
export interface PendingToolCall {
  /** The model's id of the call: the resumed result answers this id. */
  callId: string;
  /** Tool name. */
  tool: string;
  /** The arguments exactly as the model sent them (JSON text). */
  arguments: string;
  approvalId: string;
  /** Who was asked to approve. */
  approver: string;
  /** What the approver is shown. */
  bindingMessage: string;
  /** ISO 8601. */
  expiresAt: string;
  /** SHA-256 (base64url) of the RFC 8785 canonical arguments: what the approval is bound to. */
  argsSha256: string;
  /** Dual-control progress, where the authorization server reports it. */
  progress?: ApprovalProgress | undefined;
  /**
   * The last resume could not reach a decision (for example the authorization server was down);
   * the call stays pending and the next resume tries again.
   */
  lastError?: { code: string; message: string } | undefined;
}

/** Options shared by the Chat Completions, Responses and Agents SDK adapters. */
export interface GuardedToolsOptions {
  /**
   * Strict mode (Structured Outputs) for the tool definitions: `undefined` (default) uses it for
   * every schema it can express; `false` never; `true` requires it (a ConfigurationError otherwise).
   */
  strict?: boolean | undefined;
}

/** Options of one `handle` call. */
export interface HandleOptions {
  /** Aborts the tool calls (the guard's requests and the tool functions that honour it). */
  signal?: AbortSignal | undefined;
}

/** Options of `resume`. */
export interface ResumeOptions {
  signal?: AbortSignal | undefined;
  /**
   * Keep polling at the authorization server's interval until every resumed call is decided,
   * expires, or `signal` aborts, instead of asking once. Default false: one poll per call.
   */
  wait?: boolean | undefined;
  /**
   * Resume these calls (for example saved from {@link PendingToolCall} before a restart) instead
   * of the ones this instance holds.
   */
  calls?: readonly PendingToolCall[] | undefined;
}

/** The outcome of one model tool call. */
export interface ToolCallResult {
  callId: string;
  outcome: ToolOutcome<unknown>;
}

/** A guarded tool with what the model is shown of it. */
export interface GuardedToolEntry {
  guard: GuardedTool;
  parameters: ModelToolParameters;
}

interface PendingRecord {
  call: ModelToolCall;
  entry: GuardedToolEntry;
  args: unknown;
  outcome: ToolApprovalPending;
  lastError?: { code: string; message: string } | undefined;
}

// OpenAI's rule for function names (Chat Completions and Responses alike).
const toolNamePattern = /^[a-zA-Z0-9_-]{1,64}$/;
/**
 * The part every OpenAI adapter shares: which guarded tool a call names, its arguments parsed and
 * mapped back from the model's schema, the guard invoked (never bypassed), and a small record of
 * the calls that wait for a human (call id → approval id and arguments). The guard's approval
 * store holds the real state; this record only remembers what to resume.
 */
export class GuardedToolCalls {
  readonly entries: ReadonlyMap<string, GuardedToolEntry>;
  readonly #pending = new Map<string, PendingRecord>();

  constructor(tools: readonly GuardedTool[], options: GuardedToolsOptions = {}) {
    if (tools.length === 0) throw new ConfigurationError('at least one guarded tool is required');
    const entries = new Map<string, GuardedToolEntry>();
    for (const guard of tools) {
      if (!toolNamePattern.test(guard.name)) {
        throw new ConfigurationError(`tool name ${JSON.stringify(guard.name)} must match ${toolNamePattern.source} for OpenAI`);
      }
      if (entries.has(guard.name)) throw new ConfigurationError(`two tools are named ${guard.name}`);
      entries.set(guard.name, { guard, parameters: toolParameters(guard.schema, { strict: options.strict }) });
    }
    this.entries = entries;
  }

  /** Finds the tool and parses its arguments; a failed outcome when the call is malformed. */
  prepare(call: ModelToolCall): { entry: GuardedToolEntry; args: unknown } | { outcome: ToolOutcome<unknown> } {
    const entry = this.entries.get(call.name);
    if (!entry) return { outcome: { status: 'failed', tool: call.name, error: new UnknownToolError(call.name, [...this.entries.keys()]) } };
    const parsed = parseArguments(call.name, call.arguments);
    if ('error' in parsed) return { outcome: { status: 'failed', tool: call.name, error: parsed.error } };
    return { entry, args: entry.parameters.toToolArguments(parsed.value) };
  }

  /** The guard's `invoke`; a guard that throws becomes a failed outcome rather than a lost call. */
  async invoke(
    entry: GuardedToolEntry,
    args: unknown,
    callId: string | undefined,
    options: HandleOptions & { wait?: boolean | undefined } = {},
  ): Promise<ToolOutcome<unknown>> {
    try {
      return await entry.guard.invoke(args, { callId, signal: options.signal, ...(options.wait ? { wait: true } : {}) });
    } catch (error) {
      if (isAbort(error, options.signal)) throw error;
      return { status: 'failed', tool: entry.guard.name, error: asError(error) };
    }
  }

  /** Runs one model tool call through its guard and remembers it when it waits for a human. */
  async run(call: ModelToolCall, options: HandleOptions = {}): Promise<ToolOutcome<unknown>> {
    const prepared = this.prepare(call);
    if ('outcome' in prepared) return prepared.outcome;
    // The model was told that calling again with the same arguments checks on the waiting call:
    // resume that approval rather than asking the approver a second time.
    const waiting = this.#waitingWithSameArguments(prepared.entry, prepared.args);
    const outcome = waiting
      ? await this.#resumeFor(waiting, prepared.args, call.callId, options)
      : await this.invoke(prepared.entry, prepared.args, call.callId, options);
    this.remember(call, prepared.entry, prepared.args, outcome);
    return outcome;
  }

  #waitingWithSameArguments(entry: GuardedToolEntry, args: unknown): PendingRecord | undefined {
    if (entry.guard.risk !== 'irreversible') return undefined;
    const argsSha256 = argumentsHashOf(entry.guard, args);
    if (argsSha256 === undefined) return undefined;
    return [...this.#pending.values()].find((record) => record.entry === entry && record.outcome.argsSha256 === argsSha256);
  }

  async #resumeFor(waiting: PendingRecord, args: unknown, callId: string, options: HandleOptions): Promise<ToolOutcome<unknown>> {
    try {
      return await waiting.entry.guard.resume(waiting.outcome.approvalId, args, { callId, signal: options.signal });
    } catch (error) {
      if (isAbort(error, options.signal)) throw error;
      return { status: 'failed', tool: waiting.entry.guard.name, error: asError(error) };
    }
  }

  /** Records a pending call, or forgets one that reached a final outcome. */
  remember(call: ModelToolCall, entry: GuardedToolEntry, args: unknown, outcome: ToolOutcome<unknown>): void {
    const known = this.#pending.get(call.callId);
    if (outcome.status === 'approval_pending') this.#pending.set(call.callId, { call, entry, args, outcome });
    else if (known && outcome.status === 'failed' && outcome.retryable) this.#stillWaiting(known, outcome.error);
    else this.#pending.delete(call.callId);
  }

  /** The calls that wait for a human, oldest first. */
  pendingCalls(): PendingToolCall[] {
    return [...this.#pending.values()].map(({ call, outcome, lastError }) => ({
      callId: call.callId,
      tool: call.name,
      arguments: call.arguments,
      approvalId: outcome.approvalId,
      approver: outcome.approver,
      bindingMessage: outcome.bindingMessage,
      expiresAt: outcome.expiresAt,
      argsSha256: outcome.argsSha256,
      ...(outcome.progress ? { progress: outcome.progress } : {}),
      ...(lastError ? { lastError } : {}),
    }));
  }

  /** The pending call with this id, if this instance holds one. */
  pendingCall(callId: string): PendingToolCall | undefined {
    return this.pendingCalls().find((pending) => pending.callId === callId);
  }

  /**
   * Asks the guard about every pending call (one poll each, or until decided with `wait`). The
   * guard runs an approved call exactly once and returns the stored outcome after that. Returns
   * the calls that reached a final outcome, in the order they were made; the others stay pending.
   */
  async resume(options: ResumeOptions = {}): Promise<ToolCallResult[]> {
    const failures: ToolCallResult[] = [];
    let callIds: string[];
    if (options.calls) {
      callIds = [];
      for (const saved of options.calls) {
        const call = { callId: saved.callId, name: saved.tool, arguments: saved.arguments };
        const prepared = this.prepare(call);
        if ('outcome' in prepared) {
          failures.push({ callId: saved.callId, outcome: prepared.outcome });
          continue;
        }
        const outcome: ToolApprovalPending = {
          status: 'approval_pending',
          tool: saved.tool,
          approvalId: saved.approvalId,
          approver: saved.approver,
          bindingMessage: saved.bindingMessage,
          expiresAt: saved.expiresAt,
          argsSha256: saved.argsSha256,
          progress: saved.progress,
        };
        if (!this.#pending.has(saved.callId)) this.#pending.set(saved.callId, { call, entry: prepared.entry, args: prepared.args, outcome });
        callIds.push(saved.callId);
      }
    } else {
      callIds = [...this.#pending.keys()];
    }
    const order = options.calls ? options.calls.map((saved) => saved.callId) : callIds;
    const resumed = await Promise.all(callIds.map((callId) => this.#resumeOne(callId, options)));
    const results = [...failures, ...resumed.filter((result): result is ToolCallResult => result !== undefined)];
    return results.sort((left, right) => order.indexOf(left.callId) - order.indexOf(right.callId));
  }

  async #resumeOne(callId: string, options: ResumeOptions): Promise<ToolCallResult | undefined> {
    const record = this.#pending.get(callId);
    if (!record) return undefined;
    const resume = () => record.entry.guard.resume(record.outcome.approvalId, record.args, { callId, signal: options.signal, wait: options.wait });
    let outcome: ToolOutcome<unknown>;
    try {
      outcome = await resume();
    } catch (error) {
      if (isAbort(error, options.signal)) throw error;
      // A guard that throws decided nothing: keep the call, report why, try again next time.
      return this.#stillWaiting(record, asError(error));
    }
    if (outcome.status === 'approval_pending') {
      this.#pending.set(callId, { ...record, outcome, lastError: undefined });
      return undefined;
    }
    // Nothing was decided (a failed poll, the call running elsewhere): keep waiting.
    if (outcome.status === 'failed' && outcome.retryable) return this.#stillWaiting(record, outcome.error);
    this.#pending.delete(callId);
    return { callId, outcome };
  }

  #stillWaiting(record: PendingRecord, error: Error): undefined {
    record.lastError = describe(error);
    return undefined;
  }
}

/** The caller aborted: that is theirs to handle, not a tool outcome to show the model. */
function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && error === signal.reason;
}

function errorCode(error: Error): string {
  return CountersignError.isInstance(error) ? error.code : 'ERR_TOOL_FAILED';
}

function parseArguments(tool: string, text: string): { value: unknown } | { error: InvalidArgumentsError } {
  // Some models send an empty string for a call without arguments.
  if (text.trim() === '') return { value: {} };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    // The parser's message quotes the input; the model already has it, logs need not.
    return { error: new InvalidArgumentsError(tool, ['the arguments are not valid JSON'], { cause: error }) };
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new CountersignError(`a tool guard threw a non-error value: ${String(error)}`);
}

function describe(error: Error): { code: string; message: string } {
  return { code: errorCode(error), message: error.message };
}
