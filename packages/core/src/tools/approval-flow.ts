import type { ZodType } from 'zod';
import { sleep } from '../lib/sleep.js';
import { describeApprovalProgress } from '../approvals/approval-progress.js';
import { timeLeft, waitForNextPoll } from '../approvals/pending-approval.js';
import { ApprovalTokenUnavailableError } from '../approvals/errors.js';
import { sameAuthorizationDetails } from '../oauth/ciba-responses.js';
import { FINAL_STATES } from './stored-tool-call.js';
import type { PendingApproval } from '../approvals/types.js';
import type { StoredToolCall } from './tool-call-ledger.js';
import type { AuditEventInput } from '../audit/types.js';
import { AgentRevokedError, ApprovalMismatchError, ApprovalStoreError, ArgumentsChangedError, ConfigurationError } from '../errors.js';
import type { AccessToken } from '../tokens/types.js';
import { actionAuthorizationDetails } from './action-binding.js';
import { ToolCallInProgressError, ToolExecutionError, ToolOutcomeUnknownError } from './errors.js';
import type { ToolCallPorts } from './ports.js';
import { joinablePendingCall, shareCall } from './coalesced-calls.js';
import { asError, errorFields } from './error-fields.js';
import { singleFlight } from './single-flight.js';
import { decodeOutcome, encodeOutcome, type FinalOutcome } from './stored-outcome.js';
import type { ApprovalPolicy, BoundFetch, InvokeOptions, ToolApprovalPending, ToolDefinition, ToolOutcome } from './types.js';

/** How often a call executing elsewhere is looked up again, in milliseconds. */
const SETTLE_POLL_MS = 100;
/** How long to wait for a call executing elsewhere before answering {@link ToolCallInProgressError}. */
const SETTLE_TIMEOUT_MS = 15_000;
/** Lease on a call being polled or run, when the store names none, in milliseconds. */
const DEFAULT_LEASE_MS = 30_000;

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
export function createApprovalFlow<Result>(ports: ToolCallPorts, definition: ToolDefinition<ZodType, Result>, audit: ToolAudit, clientId: string) {
  const tool = definition.name;
  const policy = definition.approval as ApprovalPolicy<unknown>;
  const store = ports.ledger;
  const leaseMs = store.leaseMs ?? DEFAULT_LEASE_MS;
  const leftOf = (record: StoredToolCall) => timeLeft(ports.resumeApproval(record.approval));
  /** Audit with the stored call's model tool call id, when the caller did not pass it again. */
  const auditCall = (callId: string | undefined) => (input: AuditEventInput) => audit(callId === undefined ? input : { callId, ...input });

  /**
   * Asks for approval of `call`, unless the same agent already waits on an approval of the same
   * tool with the same arguments hash: then this call waits on that one (coalesced; it shares its
   * single run) instead of asking a human again. The lease on the arguments makes this hold across
   * every user of the store: whoever takes it asks, the others join what it stored.
   */
  async function request(call: ParsedCall, options: InvokeOptions): Promise<ToolOutcome<Result>> {
    const lease = `args:${tool}:${call.argsSha256}:${clientId}`;
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const fence = await store.acquireLease(lease, leaseMs);
      if (fence !== undefined) {
        let outcome: ToolOutcome<Result>;
        try {
          const existing = await joinablePendingCall(store, tool, call.argsSha256, clientId, leftOf);
          outcome = existing !== undefined ? await join(existing, call, { ...options, wait: false }) : await ask(call, { ...options, wait: false });
        } finally {
          await releaseQuietly(lease, fence);
        }
        return options.wait && outcome.status === 'approval_pending' ? resume(outcome.approvalId, call, options) : outcome;
      }
      const existing = await joinablePendingCall(store, tool, call.argsSha256, clientId, leftOf);
      if (existing !== undefined) return join(existing, call, options);
      if (Date.now() >= deadline || options.signal?.aborted) {
        return { status: 'failed', tool, error: new ToolCallInProgressError(`for an identical call of tool ${tool}`), retryable: true };
      }
      await pause(SETTLE_POLL_MS, options.signal);
    }
  }

  /** Waits on the pending approval of an identical call instead of asking again. */
  async function join(existing: StoredToolCall, call: ParsedCall, options: InvokeOptions): Promise<ToolOutcome<Result>> {
    const callId = options.callId;
    const record = callId === undefined ? existing : await store.update(existing.id, (current) => shareCall(current, callId));
    audit({ event: 'tool.invoked', approvalId: record.id, outcome: 'pending' });
    if (options.wait || record.state !== 'pending') return resume(record.id, call, options);
    return pendingOutcome(record);
  }

  async function ask(call: ParsedCall, options: InvokeOptions): Promise<ToolOutcome<Result>> {
    const loginHint = typeof policy.approver === 'function' ? policy.approver(call.args) : policy.approver;
    if (typeof loginHint !== 'string' || loginHint.trim() === '') {
      throw new ConfigurationError(`approval.approver of tool ${tool} must give a non-empty login hint`);
    }
    const pending = await ports.requestApproval({
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
      clientId,
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
   * Asks for approval of the model's tool call `callId` once across every user of the store:
   * whoever takes the call's lease asks; the others wait for its record and resume it.
   */
  async function requestOnce(callId: string, call: ParsedCall, options: InvokeOptions): Promise<ToolOutcome<Result>> {
    // The client id is in the name: another agent's call with the same id is another call.
    const lease = `call:${tool}:${clientId}:${callId}`;
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const fence = await store.acquireLease(lease, leaseMs);
      if (fence !== undefined) {
        let outcome: ToolOutcome<Result>;
        try {
          const existing = await findOwnCall(callId);
          if (existing !== undefined) outcome = await resume(existing.id, call, options);
          else outcome = await request(call, { ...options, callId, wait: false });
        } finally {
          await releaseQuietly(lease, fence);
        }
        return options.wait && outcome.status === 'approval_pending' ? resume(outcome.approvalId, call, options) : outcome;
      }
      const existing = await findOwnCall(callId);
      if (existing !== undefined) return resume(existing.id, call, options);
      if (Date.now() >= deadline || options.signal?.aborted) {
        return { status: 'failed', tool, error: new ToolCallInProgressError(`for tool call ${callId}`), retryable: true };
      }
      await pause(SETTLE_POLL_MS);
    }
  }

  /**
   * Resumes the call stored under `approvalId`. Arguments are compared with the approved hash
   * first, so a caller with other arguments never shares another caller's run.
   */
  async function resume(approvalId: string, call: ParsedCall, options: InvokeOptions): Promise<ToolOutcome<Result>> {
    const record = await store.get(approvalId);
    if (record === undefined) throw new ApprovalStoreError(`no stored tool call for approval ${approvalId}`);
    if (record.tool !== tool) throw new ConfigurationError(`approval ${approvalId} belongs to tool ${record.tool}, not ${tool}`);
    // Another agent's call: its approval is not this agent's to poll, run or settle.
    if (record.clientId !== undefined && record.clientId !== clientId) {
      throw new ApprovalMismatchError(`approval ${approvalId} was asked for by another agent; nothing ran, a new approval is needed`);
    }
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

  /**
   * One poll at most, then whatever follows from its answer. Only the holder of the call's lease
   * polls and runs it, so the authorization server hands its one action token to the process that
   * will run the call; the others wait for the stored outcome.
   */
  async function step(approvalId: string, call: ParsedCall, options: InvokeOptions): Promise<{ outcome: ToolOutcome<Result>; approval?: PendingApproval }> {
    const turn = await takeTurn(approvalId, options.signal);
    if ('outcome' in turn) return { outcome: turn.outcome };
    try {
      return await stepHoldingLease(approvalId, turn.fence, turn.record, call, options);
    } finally {
      await releaseQuietly(leaseOf(approvalId), turn.fence);
    }
  }

  /**
   * Waits until this process holds the lease of a pending call, or the call left `pending`
   * (then answers its outcome).
   */
  async function takeTurn(approvalId: string, signal?: AbortSignal): Promise<{ fence: number; record: StoredToolCall } | { outcome: ToolOutcome<Result> }> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const fence = await store.acquireLease(leaseOf(approvalId), leaseMs);
      let record: StoredToolCall | undefined;
      try {
        record = await store.get(approvalId);
        if (record === undefined) throw new ApprovalStoreError(`no stored tool call for approval ${approvalId}`);
        if (fence !== undefined && record.state === 'pending') return { fence, record };
        // Holding the lease of an executing call: its executor stopped renewing it.
        if (fence !== undefined && record.state === 'executing') return { outcome: await settleUnknown(approvalId) };
      } finally {
        if (fence !== undefined && record?.state !== 'pending') await releaseQuietly(leaseOf(approvalId), fence);
      }
      if (FINAL_STATES.has(record.state)) return { outcome: decodeOutcome<Result>(record) };
      if (record.state === 'executing') return { outcome: await settledElsewhere(approvalId, signal) };
      // Pending, and another process is polling it right now.
      if (Date.now() >= deadline || signal?.aborted) return { outcome: inProgress(approvalId) };
      await pause(SETTLE_POLL_MS, signal);
    }
  }

  async function stepHoldingLease(
    approvalId: string,
    fence: number,
    record: StoredToolCall,
    call: ParsedCall,
    options: InvokeOptions,
  ): Promise<{ outcome: ToolOutcome<Result>; approval?: PendingApproval }> {
    const approval = ports.resumeApproval(record.approval);
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
      if (AgentRevokedError.isInstance(pollError)) {
        // The server refused the agent itself (disabled, or a key it does not know): this approval
        // can never be redeemed by it, so the call ends here, final.
        return { outcome: await settle(approvalId, approval, failed(approvalId, asError(pollError))) };
      }
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
      return { outcome: await claimAndExecute(approvalId, fence, approval, approval.token, call, options) };
    }
    if (pollError !== undefined) return { outcome: await settle(approvalId, approval, failed(approvalId, asError(pollError))) };
    if (approval.status === 'denied') {
      return { outcome: await settle(approvalId, approval, { status: 'denied', tool, approvalId, reason: approval.toJSON().reason }) };
    }
    return { outcome: await settle(approvalId, approval, { status: 'expired', tool, approvalId }) };
  }

  async function claimAndExecute(
    approvalId: string,
    fence: number,
    approval: PendingApproval,
    token: AccessToken,
    call: ParsedCall,
    options: InvokeOptions,
  ): Promise<ToolOutcome<Result>> {
    let claimed = false;
    const record = await store.update(approvalId, (current) => {
      claimed = false; // a store may call this more than once; the last call counts
      if (current.state !== 'pending') return current;
      claimed = true;
      return { ...current, state: 'executing', fence, approval: approval.toJSON(), updatedAt: Date.now() };
    });
    if (!claimed) return FINAL_STATES.has(record.state) ? decodeOutcome<Result>(record) : settledElsewhere(approvalId, options.signal);
    const approvers = approval.progress?.received;
    const boundFetch: BoundFetch = (url, init) => {
      const { token: _token, resource: _resource, scope: _scope, ...rest } = (init ?? {}) as Record<string, unknown>;
      return ports.fetch(url, { ...rest, token });
    };
    let outcome: FinalOutcome<Result>;
    // Renewed while the function runs: a lease that lapses means this process is gone.
    const heartbeat = setInterval(() => void store.renewLease(leaseOf(approvalId), fence, leaseMs).catch(() => false), Math.max(10, leaseMs / 3));
    heartbeat.unref();
    try {
      const result = await definition.execute(call.args as never, {
        fetch: boundFetch,
        token,
        argsSha256: call.argsSha256,
        approvalId,
        idempotencyKey: approvalId,
        callId: record.callId,
        signal: options.signal,
      });
      outcome = { status: 'done', tool, result, argsSha256: call.argsSha256, approvalId, approvers };
      auditCall(record.callId)({ event: 'tool.executed', approvalId, approvers, outcome: 'ok' });
    } catch (error) {
      const failure = new ToolExecutionError(tool, error);
      outcome = { status: 'failed', tool, approvalId, error: failure };
      auditCall(record.callId)({ event: 'tool.failed', approvalId, approvers, outcome: 'error', error: errorFields(failure) });
    } finally {
      clearInterval(heartbeat);
    }
    try {
      // Fenced: only the claim this run holds is completed. A claim already settled as `unknown`
      // (the lease lapsed while the function ran) gets its true outcome.
      await store.update(approvalId, (current) =>
        (current.state === 'executing' || current.state === 'unknown') && current.fence === fence
          ? { ...current, state: outcome.status, outcome: encodeOutcome(outcome), updatedAt: Date.now() }
          : current,
      );
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
      settled = false;
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

  /**
   * Waits for a call executing in another process to reach a final state. An executor that stops
   * renewing its lease (it crashed) leaves the call `unknown`, never run again.
   */
  async function settledElsewhere(approvalId: string, signal?: AbortSignal): Promise<ToolOutcome<Result>> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    while (Date.now() < deadline && !signal?.aborted) {
      await pause(SETTLE_POLL_MS, signal);
      if (signal?.aborted) break;
      const record = await store.get(approvalId);
      if (record !== undefined && FINAL_STATES.has(record.state)) return decodeOutcome<Result>(record);
      if (record?.state !== 'executing') continue;
      const fence = await store.acquireLease(leaseOf(approvalId), leaseMs);
      if (fence === undefined) continue;
      try {
        return await settleUnknown(approvalId);
      } finally {
        await releaseQuietly(leaseOf(approvalId), fence);
      }
    }
    return inProgress(approvalId);
  }

  /** Settles a call whose executor's lease lapsed as `unknown` (called holding the lease). */
  async function settleUnknown(approvalId: string): Promise<ToolOutcome<Result>> {
    let settled = false;
    const record = await store.update(approvalId, (current) => {
      settled = false;
      if (current.state !== 'executing') return current;
      settled = true;
      return { ...current, state: 'unknown', outcome: { status: 'unknown', tool, approvalId }, updatedAt: Date.now() };
    });
    if (settled) {
      const error = new ToolOutcomeUnknownError(approvalId);
      auditCall(record.callId)({ event: 'tool.failed', approvalId, outcome: 'error', error: errorFields(error) });
    }
    return FINAL_STATES.has(record.state) ? decodeOutcome<Result>(record) : inProgress(approvalId);
  }

  function inProgress(approvalId: string): ToolOutcome<Result> {
    return { status: 'failed', tool, approvalId, error: new ToolCallInProgressError(approvalId), retryable: true };
  }

  async function releaseQuietly(lease: string, fence: number): Promise<void> {
    // A lease that cannot be released lapses on its own.
    await store.releaseLease(lease, fence).catch(() => undefined);
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
    if (record.approval.progress !== undefined) {
      outcome.progress = record.approval.progress;
      outcome.progressText = describeApprovalProgress(record.approval.progress);
    }
    return outcome;
  }

  /**
   * This agent's record for the model tool call `callId`. Another agent's record is not found, even
   * from a store that ignores the client id: agents sharing a store may reuse call ids.
   */
  async function findOwnCall(callId: string): Promise<StoredToolCall | undefined> {
    const found = await store.findByCall(tool, callId, clientId);
    return found === undefined || (found.clientId !== undefined && found.clientId !== clientId) ? undefined : found;
  }

  return { request, requestOnce, resume, findOwnCall };
}

/** The lease name of an approval's call. */
function leaseOf(approvalId: string): string {
  return `approval:${approvalId}`;
}

/**
 * Waits between reads of a call another process holds. The timer is ref'd: a caller awaiting that
 * call must keep the process alive until it settles (an unref'd timer let Node exit mid-await).
 * Resolves early, without throwing, when `signal` aborts; the callers check it.
 */
function pause(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return sleep(milliseconds, signal).catch(() => undefined);
}
