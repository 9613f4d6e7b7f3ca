// A faithful in-memory stand-in for the core guard (GuardedTool contract of
// packages/core/src/tools/types.ts), with the human side scripted by the test. Test-only.
import type { ZodType, infer as ZodInfer } from 'zod';
import { ArgumentsChangedError, CountersignError, InvalidArgumentsError } from '@countersign/core';
import { canonicalSha256 } from '@countersign/core/tools';
import type { GuardedTool, InvokeOptions, ToolOutcome } from '@countersign/core';

export interface FakeGuardedToolDefinition<Schema extends ZodType, Result> {
  name: string;
  description?: string;
  schema: Schema;
  risk: 'read' | 'write' | 'irreversible';
  approver?: string;
  describe?: (args: ZodInfer<Schema>) => string;
  execute: (args: ZodInfer<Schema>, context: { callId?: string | undefined; approvalId?: string | undefined }) => Promise<Result> | Result;
  /** Lifetime of an approval request, seconds (default 300). */
  expiresInSeconds?: number;
  /** The "server's" poll interval, seconds (default 0: every resume polls). */
  intervalSeconds?: number;
  /** Dual control: approvals required. */
  approvalsRequired?: number;
  clock?: () => number;
}

interface FakeRecord<Result> {
  id: string;
  callId: string | undefined;
  argsSha256: string;
  bindingMessage: string;
  expiresAt: number;
  nextPollAt: number;
  decision: { status: 'approved' } | { status: 'denied'; reason?: string } | { status: 'expired' } | undefined;
  approvedBy: string[];
  outcome: ToolOutcome<Result> | undefined;
  running: Promise<ToolOutcome<Result>> | undefined;
}

export interface FakeGuardedTool<Schema extends ZodType, Result> extends GuardedTool<Schema, Result> {
  /** How many times the function ran. */
  readonly executions: number;
  /** Polls that reached the "authorization server" (the interval was respected). */
  readonly polls: number;
  /** Times of those polls (clock ms). */
  readonly pollTimes: readonly number[];
  /** Approval ids in the order they were requested. */
  readonly requested: readonly string[];
  approve(approvalId: string, approver?: string): void;
  deny(approvalId: string, reason?: string): void;
  expire(approvalId: string): void;
}

export function fakeGuardedTool<Schema extends ZodType, Result>(definition: FakeGuardedToolDefinition<Schema, Result>): FakeGuardedTool<Schema, Result> {
  const clock = definition.clock ?? Date.now;
  const records = new Map<string, FakeRecord<Result>>();
  const requested: string[] = [];
  const pollTimes: number[] = [];
  let executions = 0;

  const parse = (args: unknown): { ok: true; value: ZodInfer<Schema> } | { ok: false; error: InvalidArgumentsError } => {
    const parsed = definition.schema.safeParse(args);
    if (parsed.success) return { ok: true, value: parsed.data as ZodInfer<Schema> };
    return { ok: false, error: new InvalidArgumentsError(definition.name, parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)) };
  };
  const record = (approvalId: string): FakeRecord<Result> => {
    const found = records.get(approvalId);
    if (!found) throw new Error(`unknown approval ${approvalId}`);
    return found;
  };
  const pending = (entry: FakeRecord<Result>): ToolOutcome<Result> => ({
    status: 'approval_pending',
    tool: definition.name,
    approvalId: entry.id,
    bindingMessage: entry.bindingMessage,
    approver: definition.approver ?? 'alice',
    expiresAt: new Date(entry.expiresAt).toISOString(),
    argsSha256: entry.argsSha256,
    progress: (definition.approvalsRequired ?? 1) > 1 ? { required: definition.approvalsRequired!, received: entry.approvedBy.map((subject) => ({ subject })) } : undefined,
  });

  const guarded: FakeGuardedTool<Schema, Result> = {
    name: definition.name,
    description: definition.description ?? `${definition.name} (fake guarded tool)`,
    schema: definition.schema,
    risk: definition.risk,
    get executions() {
      return executions;
    },
    get polls() {
      return pollTimes.length;
    },
    pollTimes,
    requested,
    authorizationDetails(args) {
      const parsed = parse(args);
      if (!parsed.ok) throw parsed.error;
      return [{ type: 'agent_action', tool: definition.name, args_sha256: canonicalSha256(parsed.value) }];
    },
    async invoke(args: unknown, options: InvokeOptions = {}) {
      const parsed = parse(args);
      if (!parsed.ok) return { status: 'failed', tool: definition.name, error: parsed.error };
      const argsSha256 = canonicalSha256(parsed.value);
      if (definition.risk !== 'irreversible') {
        executions += 1;
        const result = await definition.execute(parsed.value, { callId: options.callId });
        return { status: 'done', tool: definition.name, result, argsSha256 };
      }
      if (options.callId !== undefined) {
        const existing = [...records.values()].find((entry) => entry.callId === options.callId);
        if (existing) return guarded.resume(existing.id, args, options);
      }
      await Promise.resolve(); // the real guard makes a backchannel request here
      const id = `approval-${records.size + 1}`;
      const entry: FakeRecord<Result> = {
        id,
        callId: options.callId,
        argsSha256,
        bindingMessage: definition.describe?.(parsed.value) ?? `Run ${definition.name}`,
        expiresAt: clock() + (definition.expiresInSeconds ?? 300) * 1000,
        nextPollAt: clock() + (definition.intervalSeconds ?? 0) * 1000,
        decision: undefined,
        approvedBy: [],
        outcome: undefined,
        running: undefined,
      };
      records.set(id, entry);
      requested.push(id);
      return pending(entry);
    },
    async resume(approvalId: string, args: unknown, options: InvokeOptions = {}) {
      const entry = records.get(approvalId);
      if (!entry) return { status: 'failed', tool: definition.name, error: new CountersignError(`unknown approval ${approvalId}`), approvalId };
      if (entry.outcome) return entry.outcome;
      if (entry.running) return entry.running;
      const parsed = parse(args);
      if (!parsed.ok) return { status: 'failed', tool: definition.name, error: parsed.error, approvalId };
      if (canonicalSha256(parsed.value) !== entry.argsSha256) {
        return { status: 'failed', tool: definition.name, error: new ArgumentsChangedError(`arguments of ${definition.name} differ from the approved ones`), approvalId };
      }
      const now = clock();
      if (now < entry.nextPollAt) return pending(entry);
      pollTimes.push(now);
      entry.nextPollAt = now + (definition.intervalSeconds ?? 0) * 1000;
      const decision = entry.decision ?? (now >= entry.expiresAt ? { status: 'expired' as const } : undefined);
      if (decision === undefined) return pending(entry);
      if (decision.status === 'denied') return (entry.outcome = { status: 'denied', tool: definition.name, approvalId, reason: decision.reason });
      if (decision.status === 'expired') return (entry.outcome = { status: 'expired', tool: definition.name, approvalId });
      entry.running = (async (): Promise<ToolOutcome<Result>> => {
        executions += 1;
        try {
          const result = await definition.execute(parsed.value, { callId: options.callId ?? entry.callId, approvalId });
          return { status: 'done', tool: definition.name, result, argsSha256: entry.argsSha256, approvalId };
        } catch (error) {
          return { status: 'failed', tool: definition.name, error: error as Error, approvalId };
        }
      })();
      entry.outcome = await entry.running;
      entry.running = undefined;
      return entry.outcome;
    },
    approve(approvalId, approver = 'alice') {
      const entry = record(approvalId);
      if (!entry.approvedBy.includes(approver)) entry.approvedBy.push(approver);
      if (entry.approvedBy.length >= (definition.approvalsRequired ?? 1)) entry.decision = { status: 'approved' };
    },
    deny(approvalId, reason) {
      record(approvalId).decision = { status: 'denied', reason };
    },
    expire(approvalId) {
      record(approvalId).decision = { status: 'expired' };
    },
  };
  return guarded;
}
