/**
 * A faithful in-memory stand-in for the core guard (`guardTool`), for the adapter's unit tests:
 * same contract (validation, approvals bound to the canonical arguments hash, resume by call id,
 * execution at most once per approval, stored outcomes), with the human side scripted.
 * Not exported from the package.
 */
import type { ZodType, infer as ZodInfer } from 'zod';
import {
  ArgumentsChangedError,
  CountersignError,
  InvalidArgumentsError,
  type AuthorizationDetail,
  type GuardedTool,
  type InvokeOptions,
  type RiskTier,
  type ToolOutcome,
} from '@countersign/core';
import { canonicalSha256 } from '@countersign/core/tools';

export interface GuardedToolDoubleDefinition<Schema extends ZodType, Result> {
  name: string;
  description?: string;
  schema: Schema;
  risk: RiskTier;
  approver?: string;
  describe?: (args: ZodInfer<Schema>) => string;
  execute(args: ZodInfer<Schema>): Promise<Result> | Result;
}

interface ApprovalRecord {
  id: string;
  callId?: string | undefined;
  argsSha256: string;
  bindingMessage: string;
  status: 'pending' | 'approved' | 'denied' | 'expired';
  reason?: string | undefined;
  approvedBy: string[];
  expiresAt: string;
  outcome?: ToolOutcome<unknown> | undefined;
  running?: Promise<ToolOutcome<unknown>> | undefined;
}

export interface GuardedToolDouble<Schema extends ZodType, Result> extends GuardedTool<Schema, Result> {
  /** Every execution of the function, in order. */
  readonly executions: Array<{ args: ZodInfer<Schema>; approvalId?: string | undefined }>;
  /** Approval requests created (one per new irreversible call). */
  readonly approvalRequests: number;
  approve(approvalId: string, approver?: string): void;
  deny(approvalId: string, reason?: string): void;
  expire(approvalId: string): void;
  /** The next poll fails with this error (the call stays pending), as when the server cannot be reached. */
  failNextPoll(error: Error): void;
  /** Approval ids by model call id. */
  approvalFor(callId: string): string | undefined;
}

let approvalCounter = 0;

/** As the guard reports a tool function that threw. */
class ToolExecutionError extends CountersignError {
  override readonly code = 'ERR_TOOL_EXECUTION';
  constructor(tool: string, cause: unknown) {
    super(`tool ${tool} failed: ${cause instanceof Error ? cause.message : 'a non-error value was thrown'}`, { cause });
  }
}

export function guardedToolDouble<Schema extends ZodType, Result>(
  definition: GuardedToolDoubleDefinition<Schema, Result>,
): GuardedToolDouble<Schema, Result> {
  const approvals = new Map<string, ApprovalRecord>();
  const executions: Array<{ args: ZodInfer<Schema>; approvalId?: string | undefined }> = [];
  let approvalRequests = 0;
  let pollFailure: Error | undefined;

  const validate = (args: unknown): { value: ZodInfer<Schema> } | { outcome: ToolOutcome<Result> } => {
    const parsed = definition.schema.safeParse(args);
    if (parsed.success) return { value: parsed.data as ZodInfer<Schema> };
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '<root>'}: ${issue.message}`);
    return { outcome: { status: 'failed', tool: definition.name, error: new InvalidArgumentsError(definition.name, issues) } };
  };

  const run = async (args: ZodInfer<Schema>, approvalId?: string): Promise<ToolOutcome<Result>> => {
    executions.push({ args, approvalId });
    try {
      const result = await definition.execute(args);
      return { status: 'done', tool: definition.name, result, argsSha256: canonicalSha256(args), approvalId };
    } catch (error) {
      return { status: 'failed', tool: definition.name, error: new ToolExecutionError(definition.name, error), approvalId };
    }
  };

  const pendingOutcome = (record: ApprovalRecord): ToolOutcome<Result> => ({
    status: 'approval_pending',
    tool: definition.name,
    approvalId: record.id,
    bindingMessage: record.bindingMessage,
    approver: definition.approver ?? 'alice',
    expiresAt: record.expiresAt,
    argsSha256: record.argsSha256,
  });

  const poll = async (record: ApprovalRecord, args: ZodInfer<Schema>): Promise<ToolOutcome<Result>> => {
    if (record.outcome) return record.outcome as ToolOutcome<Result>;
    if (record.running) return (await record.running) as ToolOutcome<Result>;
    if (pollFailure) {
      // Like the guard: a failed poll is reported, and the call stays pending in the store.
      const error = pollFailure;
      pollFailure = undefined;
      return { status: 'failed', tool: definition.name, approvalId: record.id, error, retryable: true };
    }
    switch (record.status) {
      case 'pending':
        return pendingOutcome(record);
      case 'denied':
        record.outcome = { status: 'denied', tool: definition.name, approvalId: record.id, reason: record.reason };
        return record.outcome as ToolOutcome<Result>;
      case 'expired':
        record.outcome = { status: 'expired', tool: definition.name, approvalId: record.id };
        return record.outcome as ToolOutcome<Result>;
      case 'approved': {
        record.running = run(args, record.id).then((outcome) =>
          outcome.status === 'done' ? { ...outcome, approvers: record.approvedBy.map((subject) => ({ subject })) } : outcome,
        );
        record.outcome = await record.running;
        return record.outcome as ToolOutcome<Result>;
      }
    }
  };

  const resume = async (approvalId: string, args: unknown, options: InvokeOptions = {}): Promise<ToolOutcome<Result>> => {
    options.signal?.throwIfAborted();
    const record = approvals.get(approvalId);
    if (!record) return { status: 'failed', tool: definition.name, error: new CountersignError(`unknown approval ${approvalId}`) };
    if (record.outcome) return record.outcome as ToolOutcome<Result>;
    const validated = validate(args);
    if ('outcome' in validated) return validated.outcome;
    if (canonicalSha256(validated.value) !== record.argsSha256) {
      return { status: 'failed', tool: definition.name, approvalId, error: new ArgumentsChangedError('the arguments differ from the approved ones') };
    }
    let outcome = await poll(record, validated.value);
    while (options.wait && outcome.status === 'approval_pending') {
      if (options.signal?.aborted) throw options.signal.reason;
      await new Promise((resolve) => setTimeout(resolve, 5));
      outcome = await poll(record, validated.value);
    }
    return outcome;
  };

  const double: GuardedToolDouble<Schema, Result> = {
    name: definition.name,
    description: definition.description ?? `${definition.name} (test double)`,
    schema: definition.schema,
    risk: definition.risk,
    executions,
    get approvalRequests() {
      return approvalRequests;
    },
    async invoke(args, options = {}) {
      options.signal?.throwIfAborted();
      if (definition.risk === 'irreversible' && options.callId) {
        const existing = [...approvals.values()].find((record) => record.callId === options.callId);
        if (existing) return resume(existing.id, args, options);
      }
      const validated = validate(args);
      if ('outcome' in validated) return validated.outcome;
      if (definition.risk !== 'irreversible') return run(validated.value);
      approvalRequests += 1;
      const record: ApprovalRecord = {
        id: `approval-${++approvalCounter}`,
        callId: options.callId,
        argsSha256: canonicalSha256(validated.value),
        bindingMessage: definition.describe?.(validated.value) ?? `run ${definition.name}`,
        status: 'pending',
        approvedBy: [],
        expiresAt: new Date(Date.now() + 300_000).toISOString(),
      };
      approvals.set(record.id, record);
      return options.wait ? resume(record.id, validated.value, options) : pendingOutcome(record);
    },
    resume,
    authorizationDetails(args): AuthorizationDetail[] {
      return [{ type: 'agent_action', tool: definition.name, args_sha256: canonicalSha256(args) }];
    },
    approve(approvalId, approver = 'alice') {
      const record = approvals.get(approvalId)!;
      record.status = 'approved';
      record.approvedBy.push(approver);
    },
    deny(approvalId, reason) {
      const record = approvals.get(approvalId)!;
      record.status = 'denied';
      record.reason = reason;
    },
    expire(approvalId) {
      approvals.get(approvalId)!.status = 'expired';
    },
    failNextPoll(error) {
      pollFailure = error;
    },
    approvalFor(callId) {
      return [...approvals.values()].find((record) => record.callId === callId)?.id;
    },
  };
  return double;
}
