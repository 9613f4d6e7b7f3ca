import type { ZodType } from 'zod';
import { waitForNextPoll } from '../approvals/pending-approval.js';
import { ApprovalTokenUnavailableError } from '../approvals/errors.js';
import { sameAuthorizationDetails } from '../approvals/ciba-responses.js';
import { FINAL_STATES } from '../approvals/stored-tool-call.js';
import type { PendingApproval, StoredToolCall } from '../approvals/types.js';
import type { AuditEventInput } from '../audit/types.js';
import { ApprovalMismatchError, ApprovalStoreError, ArgumentsChangedError, ConfigurationError } from '../errors.js';
import type { AccessToken, Agent } from '../types.js';
import { actionAuthorizationDetails } from './action-binding.js';
import { ToolCallInProgressError, ToolExecutionError } from './errors.js';
import { singleFlight } from './single-flight.js';
import { decodeOutcome, encodeOutcome, type FinalOutcome } from './stored-outcome.js';
import type { ApprovalPolicy, BoundFetch, InvokeOptions, ToolApprovalPending, ToolDefinition, ToolOutcome } from './types.js';

/** How often a call executing elsewhere is looked up again, in milliseconds. */
const SETTLE_POLL_MS = 100;
/** How long to wait for a call executing elsewhere before answering {@link ToolCallInProgressError}. */
const SETTLE_TIMEOUT_MS = 15_000;

/** Records an audit event for this tool. */
export type ToolAudit = (input: AuditEventInput) => void;

/** A validated call: parsed arguments and their hash. */
export interface ParsedCall {
  args: unknown;
  argsSha256: string;
}

/**
 * The irreversible half of the guard: asks for approval, then on resume polls once and, once
 * approved, runs the function exactly once with the action token.
 */
export function createApprovalFlow<Result>(agent: Agent, definition: ToolDefinition<ZodType, Result>, audit: ToolAudit) {
  const tool = definition.name;
  const policy = definition.approval as ApprovalPolicy<unknown>;
  const store = agent.approvalStore;
  /** Audit with the stored call's model tool call id, when the caller did not pass it again. */
  const auditCall = (callId: string | undefined) => (input: AuditEventInput) => audit(callId === undefined ? input : { callId, ...input });

  async function request(call: ParsedCall, options: InvokeOptions): Promise<ToolOutcome<Result>> {
    const loginHint = typeof policy.approver === 'function' ? policy.approver(call.args) : policy.approver;
    if (typeof loginHint !== 'string' || loginHint.trim() === '') {
      throw new ConfigurationError(`approval.approver of tool ${tool} must give a non-empty login hint`);
    }
    const pending = await agent.requestApproval({
      loginHint,
      bindingMessage: policy.describe(call.args),
      authorizationDetails: actionAuthorizationDetails(tool, call.argsSha256, policy, call.args),
      scope: definition.scope,
      resource: definition.resource,
      requestedExpiry: policy.requestedExpiry,
      signal: options.signal,
    });
    const record: StoredToolCall = {
      id: pending.id,
      tool,
      argsSha256: call.argsSha256,
      approval: pending.toJSON(),
      state: 'pending',
      updatedAt: Date.now(),
    };
    if (options.callId !== undefined) record.callId = options.callId;
    await store.put(record);
    audit({ event: 'tool.invoked', approvalId: pending.id, outcome: 'pending' });
    if (options.wait) return resume(pending.id, call, options);
    return pendingOutcome(record);
  }

  /**
   * Resumes the call stored under `approvalId`. Arguments are compared with the approved hash
   * first, so a caller with other arguments never shares another caller's run.
   */
  async function resume(approvalId: string, call: ParsedCall, options: InvokeOptions): Promise<ToolOutcome<Result>> {
    const record = await store.get(approvalId);
    if (record === undefined) throw new ApprovalStoreError(`no stored tool call for approval ${approvalId}`);
    if (record.tool !== tool) throw new ConfigurationError(`approval ${approvalId} belongs to tool ${record.tool}, not ${tool}`);
    if (record.argsSha256 !== call.argsSha256) {
      const error = new ArgumentsChangedError(
        `arguments of tool ${tool} differ from the ones approved under ${approvalId}; nothing ran, a new approval is needed`,
      );
      auditCall(record.callId)({ event: 'tool.refused', approvalId, outcome: 'error', error: { code: error.code, message: error.message } });
      return { status: 'failed', tool, approvalId, error };
    }
    for (;;) {
      const { outcome, approval } = await singleFlight(store, `approval:${approvalId}`, () => step(approvalId, call, options));
      if (outcome.status !== 'approval_pending' || !options.wait || approval === undefined) return outcome;
      await waitForNextPoll(approval, options.signal);
    }
  }

  /** One poll at most, then whatever follows from its answer. */
  async function step(approvalId: string, call: ParsedCall, options: InvokeOptions): Promise<{ outcome: ToolOutcome<Result>; approval?: PendingApproval }> {
    const record = await store.get(approvalId);
    if (record === undefined) throw new ApprovalStoreError(`no stored tool call for approval ${approvalId}`);
    if (FINAL_STATES.has(record.state)) return { outcome: decodeOutcome<Result>(record) };
    if (record.state === 'executing') return { outcome: await settledElsewhere(approvalId, options.signal) };
    const approval = agent.resumeApproval(record.approval);
    let pollError: unknown;
    try {
      await approval.poll({ signal: options.signal });
    } catch (error) {
      pollError = error;
    }
    if (approval.status === 'pending') {
      const state = approval.toJSON();
      const saved =
        JSON.stringify(state) === JSON.stringify(record.approval)
          ? record
          : await store.update(approvalId, (current) => (current.state === 'pending' ? { ...current, approval: state, updatedAt: Date.now() } : current));
      if (pollError !== undefined) {
        // Nothing was decided (network, server trouble): report it, keep the call pending.
        auditCall(record.callId)({ event: 'tool.failed', approvalId, outcome: 'error', error: errorFields(pollError) });
        return { outcome: { status: 'failed', tool, approvalId, error: asError(pollError), retryable: true } };
      }
      return { outcome: pendingOutcome(saved), approval };
    }
    if (approval.status === 'approved') {
      if (approval.token === undefined) return { outcome: await settle(approvalId, approval, failed(approvalId, new ApprovalTokenUnavailableError(approvalId))) };
      // The token must name the very call about to run, not only match what the store recorded:
      // a tampered store (another hash, other arguments) fails closed here.
      if (!sameAuthorizationDetails(approval.token.authorizationDetails, actionAuthorizationDetails(tool, call.argsSha256, policy, call.args))) {
        const mismatch = new ApprovalMismatchError(
          `the action token approved under ${approvalId} does not name these arguments of tool ${tool}; nothing ran`,
        );
        return { outcome: await settle(approvalId, approval, failed(approvalId, mismatch)) };
      }
      return { outcome: await claimAndExecute(approvalId, approval, approval.token, call, options) };
    }
    if (pollError !== undefined) return { outcome: await settle(approvalId, approval, failed(approvalId, asError(pollError))) };
    if (approval.status === 'denied') {
      return { outcome: await settle(approvalId, approval, { status: 'denied', tool, approvalId, reason: approval.toJSON().reason }) };
    }
    return { outcome: await settle(approvalId, approval, { status: 'expired', tool, approvalId }) };
  }

  async function claimAndExecute(
    approvalId: string,
    approval: PendingApproval,
    token: AccessToken,
    call: ParsedCall,
    options: InvokeOptions,
  ): Promise<ToolOutcome<Result>> {
    let claimed = false;
    const record = await store.update(approvalId, (current) => {
      if (current.state !== 'pending') return current;
      claimed = true;
      return { ...current, state: 'executing', approval: approval.toJSON(), updatedAt: Date.now() };
    });
    if (!claimed) return FINAL_STATES.has(record.state) ? decodeOutcome<Result>(record) : settledElsewhere(approvalId, options.signal);
    const approvers = approval.progress?.received;
    const boundFetch: BoundFetch = (url, init) => {
      const { token: _token, resource: _resource, scope: _scope, ...rest } = (init ?? {}) as Record<string, unknown>;
      return agent.fetch(url, { ...rest, token });
    };
    let outcome: FinalOutcome<Result>;
    try {
      const result = await definition.execute(call.args as never, {
        fetch: boundFetch,
        token,
        argsSha256: call.argsSha256,
        approvalId,
        callId: record.callId,
        signal: options.signal,
      });
      outcome = { status: 'done', tool, result, argsSha256: call.argsSha256, approvalId, approvers };
      auditCall(record.callId)({ event: 'tool.executed', approvalId, approvers, outcome: 'ok' });
    } catch (error) {
      const failure = new ToolExecutionError(tool, error);
      outcome = { status: 'failed', tool, approvalId, error: failure };
      auditCall(record.callId)({ event: 'tool.failed', approvalId, approvers, outcome: 'error', error: errorFields(failure) });
    }
    try {
      await store.update(approvalId, (current) => ({ ...current, state: outcome.status, outcome: encodeOutcome(outcome), updatedAt: Date.now() }));
    } catch (error) {
      // The function ran; the call stays `executing` so it can never run again.
      auditCall(record.callId)({ event: 'tool.failed', approvalId, outcome: 'error', error: errorFields(error) });
    }
    return outcome;
  }

  /** Stores a final outcome decided by the approval (denied, expired, refused token). */
  async function settle(approvalId: string, approval: PendingApproval, outcome: FinalOutcome<Result>): Promise<ToolOutcome<Result>> {
    let settled = false;
    const record = await store.update(approvalId, (current) => {
      if (current.state !== 'pending') return current;
      settled = true;
      return { ...current, state: outcome.status, outcome: encodeOutcome(outcome), approval: approval.toJSON(), updatedAt: Date.now() };
    });
    if (!settled) return FINAL_STATES.has(record.state) ? decodeOutcome<Result>(record) : settledElsewhere(approvalId);
    const outcomeField = outcome.status === 'denied' ? 'denied' : outcome.status === 'expired' ? 'expired' : 'error';
    auditCall(record.callId)({
      event: 'tool.refused',
      approvalId,
      outcome: outcomeField,
      error: outcome.status === 'failed' ? errorFields(outcome.error) : undefined,
    });
    return outcome;
  }

  /** Waits for a call executing in another process (or interrupted) to reach a final state. */
  async function settledElsewhere(approvalId: string, signal?: AbortSignal): Promise<ToolOutcome<Result>> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    while (Date.now() < deadline && !signal?.aborted) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS).unref());
      const record = await store.get(approvalId);
      if (record !== undefined && FINAL_STATES.has(record.state)) return decodeOutcome<Result>(record);
    }
    return { status: 'failed', tool, approvalId, error: new ToolCallInProgressError(approvalId), retryable: true };
  }

  function failed(approvalId: string, error: Error): FinalOutcome<Result> {
    return { status: 'failed', tool, approvalId, error };
  }

  function pendingOutcome(record: StoredToolCall): ToolApprovalPending {
    const outcome: ToolApprovalPending = {
      status: 'approval_pending',
      tool,
      approvalId: record.id,
      bindingMessage: record.approval.bindingMessage,
      approver: record.approval.loginHint,
      expiresAt: new Date(record.approval.expiresAt).toISOString(),
      argsSha256: record.argsSha256,
    };
    if (record.approval.progress !== undefined) outcome.progress = record.approval.progress;
    return outcome;
  }

  return { request, resume };
}

/** `{ code, message }` of an error for the audit trail. */
export function errorFields(error: unknown): { code: string; message: string } {
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && error instanceof Error) {
    return { code: (error as Error & { code: string }).code, message: error.message };
  }
  return error instanceof Error ? { code: error.name, message: error.message } : { code: 'ERR_UNKNOWN', message: 'non-error value thrown' };
}

/** `error` as an Error (a thrown non-error is wrapped). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error('non-error value thrown', { cause: error });
}
