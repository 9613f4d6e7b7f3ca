import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileApprovalStore } from './file-approval-store.js';
import { ApprovalMismatchError, ApprovalStoreError, ArgumentsChangedError, ConfigurationError, NetworkError } from '../errors.js';
import { canonicalSha256 } from '../lib/canonical-json.js';
import { ToolCallInProgressError, ToolExecutionError, StoredToolError } from './errors.js';
import { createTestAgent } from './testing/test-agent.js';
import { errorOf } from './testing/outcomes.js';
import { payout, payoutTool, TREASURY } from './testing/payout-tool.js';
import type { ToolApprovalPending, ToolOutcome } from './types.js';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'countersign-guard-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const idOf = (outcome: ToolOutcome<unknown>) => (outcome as ToolApprovalPending).approvalId;

async function pendingPayout(options: Parameters<typeof createTestAgent>[0] = {}) {
  const harness = createTestAgent({ ...options, server: { interval: 1, ...options.server } });
  const payoutHarness = payoutTool(harness.agent);
  const pending = await payoutHarness.tool.invoke(payout, { callId: 'call-1' });
  expect(pending.status).toBe('approval_pending');
  return { ...harness, ...payoutHarness, approvalId: idOf(pending), request: harness.server.find() };
}

describe('resume', () => {
  it('returns approval_pending again while nobody decided, running nothing', async () => {
    const { tool, approvalId, executions, clock, server, sent } = await pendingPayout();
    expect(await tool.resume(approvalId, payout)).toMatchObject({ status: 'approval_pending', approvalId });
    expect(server.tokenRequests).toHaveLength(0); // the interval had not elapsed
    clock.advance(1_000);
    expect(await tool.resume(approvalId, payout)).toMatchObject({ status: 'approval_pending', approvalId });
    expect(server.tokenRequests).toHaveLength(1);
    expect(executions).toHaveLength(0);
    expect(sent).toHaveLength(0);
  });

  it('runs the function once approved, with a fetch bound to the action token only', async () => {
    const { tool, approvalId, executions, clock, server, request, sent, routineTokens } = await pendingPayout();
    server.approve(request, 'alice');
    clock.advance(1_000);
    const outcome = await tool.resume(approvalId, payout);
    expect(outcome).toEqual({
      status: 'done',
      tool: 'create_payout',
      result: { status: 200, payoutId: 'p1' },
      argsSha256: canonicalSha256(payout),
      approvalId,
      approvers: [{ subject: 'alice', approvedAt: expect.any(Number) }],
    });
    expect(executions).toHaveLength(1);
    const context = executions[0]!.context;
    expect(context).toMatchObject({ approvalId, callId: 'call-1', argsSha256: canonicalSha256(payout) });
    expect(context.token).toMatchObject({ accessToken: request.issuedToken, tokenType: 'DPoP', authorizationDetails: JSON.parse(request.parameters.authorization_details!) });
    expect(sent).toEqual([{ url: `${TREASURY}/payouts`, method: 'POST', body: JSON.stringify(payout), accessToken: request.issuedToken }]);
    expect(routineTokens).toHaveLength(0);
    expect((await tool.resume(approvalId, payout))).toEqual({ ...outcome, approvers: [{ subject: 'alice', approvedAt: expect.any(Number) }] });
  });

  it('does not let the function swap the action token for another', async () => {
    const { agent, server, clock, sent, routineTokens } = createTestAgent({ server: { interval: 1 } });
    const { tool } = payoutTool(agent, {
      execute: async (_args, context) =>
        (await context.fetch(`${TREASURY}/payouts`, { method: 'POST', token: { accessToken: 'other' }, resource: TREASURY, scope: 'admin:keys' } as never)).status,
    });
    const approvalId = idOf(await tool.invoke(payout));
    server.approve(server.find(), 'alice');
    clock.advance(1_000);
    expect(await tool.resume(approvalId, payout)).toMatchObject({ status: 'done', result: 200 });
    expect(sent.map((request) => request.accessToken)).toEqual([server.find().issuedToken]);
    expect(routineTokens).toHaveLength(0);
  });

  it('returns the stored outcome to every later resume, running the function once', async () => {
    const { tool, approvalId, executions, clock, server, request } = await pendingPayout();
    server.approve(request, 'alice');
    clock.advance(1_000);
    const first = await tool.resume(approvalId, payout);
    clock.advance(60_000);
    const second = await tool.resume(approvalId, payout);
    const third = await tool.invoke(payout, { callId: 'call-1' });
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(executions).toHaveLength(1);
    expect(server.tokenRequests).toHaveLength(1);
  });

  it('runs once for two (or ten) resumes at the same time', async () => {
    const { tool, approvalId, executions, clock, server, request, agent } = await pendingPayout();
    server.approve(request, 'alice');
    clock.advance(1_000);
    const other = payoutTool(agent).tool; // a second guard over the same agent and store
    const outcomes = await Promise.all([...Array.from({ length: 5 }, () => tool.resume(approvalId, payout)), ...Array.from({ length: 5 }, () => other.resume(approvalId, payout))]);
    expect(outcomes.every((outcome) => outcome.status === 'done')).toBe(true);
    expect(new Set(outcomes.map((outcome) => JSON.stringify(outcome))).size).toBe(1);
    expect(executions).toHaveLength(1);
    expect(server.tokenRequests).toHaveLength(1);
  });

  it('refuses arguments that hash differently: nothing runs and the approval stays usable', async () => {
    const { tool, approvalId, executions, clock, server, request, events, context } = await pendingPayout();
    server.approve(request, 'alice');
    clock.advance(1_000);
    const changed = await tool.resume(approvalId, { ...payout, amount: 2500 });
    expect(changed).toMatchObject({ status: 'failed', approvalId, error: expect.any(ArgumentsChangedError) });
    expect((errorOf(changed) as Error).message).toMatch(/new approval is needed/);
    expect(server.tokenRequests).toHaveLength(0);
    expect(executions).toHaveLength(0);
    expect(await tool.resume(approvalId, { ...payout, memo: 'added' })).toMatchObject({ error: expect.any(ArgumentsChangedError) });
    // The same arguments in another member order are the same arguments.
    const reordered = { currency: 'EUR', amount: 250, recipient: 'ACME GmbH', accountId: 'acc_ops' };
    expect(await tool.resume(approvalId, reordered)).toMatchObject({ status: 'done' });
    expect(executions).toHaveLength(1);
    await context.audit.flush();
    expect(events.filter((event) => event.event === 'tool.refused')).toEqual([
      expect.objectContaining({ approvalId, outcome: 'error', error: expect.objectContaining({ code: 'ERR_ARGUMENTS_CHANGED' }) }),
      expect.objectContaining({ approvalId, error: expect.objectContaining({ code: 'ERR_ARGUMENTS_CHANGED' }) }),
    ]);
  });

  it('reports denial with the reason and stores it; nothing runs', async () => {
    const { tool, approvalId, executions, clock, server, request, agent, events, context } = await pendingPayout();
    server.deny(request, 'alice', 'unknown vendor');
    clock.advance(1_000);
    const denied = { status: 'denied', tool: 'create_payout', approvalId, reason: 'unknown vendor' };
    expect(await tool.resume(approvalId, payout)).toEqual(denied);
    expect(await tool.resume(approvalId, payout)).toEqual(denied);
    expect(await agent.approvalStore.get(approvalId)).toMatchObject({ state: 'denied' });
    expect(server.tokenRequests).toHaveLength(1);
    expect(executions).toHaveLength(0);
    await context.audit.flush();
    expect(events.filter((event) => event.event.startsWith('tool.')).map((event) => [event.event, event.outcome])).toEqual([
      ['tool.invoked', 'pending'],
      ['tool.refused', 'denied'],
    ]);
  });

  it('reports expiry and stores it; nothing runs', async () => {
    const { tool, approvalId, executions, clock, server, agent } = await pendingPayout({ server: { expiresIn: 60 } });
    clock.advance(60_000);
    expect(await tool.resume(approvalId, payout)).toEqual({ status: 'expired', tool: 'create_payout', approvalId });
    expect(await agent.approvalStore.get(approvalId)).toMatchObject({ state: 'expired' });
    expect(server.tokenRequests).toHaveLength(0);
    expect(executions).toHaveLength(0);
  });

  it('refuses a token granted for other details, for good', async () => {
    const { tool, approvalId, executions, clock, server, request } = await pendingPayout({
      server: { grantDetails: (details) => [{ ...details[0], amount: 1_000_000 }] },
    });
    server.approve(request, 'alice');
    clock.advance(1_000);
    expect(await tool.resume(approvalId, payout)).toMatchObject({ status: 'failed', error: expect.any(ApprovalMismatchError) });
    const again = await tool.resume(approvalId, payout);
    expect(again).toMatchObject({ status: 'failed', error: expect.any(StoredToolError) });
    expect((errorOf(again) as StoredToolError).code).toBe('ERR_APPROVAL_MISMATCH');
    expect(server.revoked).toEqual([request.issuedToken]);
    expect(executions).toHaveLength(0);
  });

  it('stores the function\'s failure and never runs it again', async () => {
    let attempts = 0;
    const { agent, server, clock } = createTestAgent({ server: { interval: 1 } });
    const { tool } = payoutTool(agent, {
      execute: async () => {
        attempts += 1;
        throw new Error('treasury timeout');
      },
    });
    const approvalId = idOf(await tool.invoke(payout));
    server.approve(server.find(), 'alice');
    clock.advance(1_000);
    const first = await tool.resume(approvalId, payout);
    expect(first).toMatchObject({ status: 'failed', approvalId, error: expect.any(ToolExecutionError) });
    expect((first as { retryable?: boolean }).retryable).toBeUndefined();
    const second = await tool.resume(approvalId, payout);
    expect(second).toMatchObject({ status: 'failed', approvalId });
    expect((errorOf(second) as StoredToolError)).toMatchObject({ code: 'ERR_TOOL_EXECUTION', message: 'tool create_payout failed: treasury timeout' });
    expect(attempts).toBe(1);
  });

  it('refuses to run arguments the action token does not name, even when the store was tampered to match them', async () => {
    const { tool, approvalId, executions, clock, server, request, sent, agent } = await pendingPayout();
    server.approve(request, 'alice');
    clock.advance(1_000);
    // Someone with write access to the store swaps the recorded hash for other arguments.
    const other = { ...payout, recipient: 'MALLORY', amount: 99_999 };
    await agent.approvalStore.update(approvalId, (record) => ({ ...record, argsSha256: canonicalSha256(other) }));
    const outcome = await tool.resume(approvalId, other);
    expect(outcome).toMatchObject({ status: 'failed', approvalId, error: expect.any(ApprovalMismatchError) });
    expect(executions).toHaveLength(0);
    expect(sent).toHaveLength(0);
    // Final: the original arguments do not run under it either, the store says failed.
    expect((await agent.approvalStore.get(approvalId))?.state).toBe('failed');
  });

  it('keeps the call pending through a transient polling failure', async () => {
    const { tool, approvalId, executions, clock, server, request, context } = await pendingPayout();
    const tokenRequest = server.tokenRequest.bind(server);
    let failNext = true;
    context.client.tokenRequest = async (...args) => {
      if (failNext) {
        failNext = false;
        throw new NetworkError('authorization server unreachable');
      }
      return tokenRequest(...args);
    };
    clock.advance(1_000);
    expect(await tool.resume(approvalId, payout)).toMatchObject({ status: 'failed', error: expect.any(NetworkError), retryable: true });
    server.approve(request, 'alice');
    clock.advance(1_000);
    expect(await tool.resume(approvalId, payout)).toMatchObject({ status: 'done' });
    expect(executions).toHaveLength(1);
  });

  it('surfaces dual-control progress in the pending outcome', async () => {
    const { tool, approvalId, clock, server, request } = await pendingPayout({ server: { requiredApprovals: () => 2 } });
    server.approve(request, 'alice');
    clock.advance(1_000);
    expect(await tool.resume(approvalId, payout)).toMatchObject({
      status: 'approval_pending',
      progress: { required: 2, received: [{ subject: 'alice', approvedAt: expect.any(Number) }] },
    });
    server.approve(request, 'bob');
    clock.advance(1_000);
    expect(await tool.resume(approvalId, payout)).toMatchObject({ status: 'done', approvers: [{ subject: 'alice' }, { subject: 'bob' }] });
  });

  it('fails clearly for an unknown approval, another tool\'s approval or invalid arguments', async () => {
    const { tool, approvalId, agent } = await pendingPayout();
    expect(await tool.resume('nope', payout)).toMatchObject({ status: 'failed', approvalId: 'nope', error: expect.any(ApprovalStoreError) });
    expect(await tool.resume(approvalId, { amount: 'x' })).toMatchObject({ status: 'failed', approvalId, error: { code: 'ERR_INVALID_ARGUMENTS' } });
    const other = payoutTool(agent).tool;
    const record = (await agent.approvalStore.get(approvalId))!;
    await agent.approvalStore.put({ ...record, id: 'rotation', tool: 'rotate_signing_key', approval: { ...record.approval, id: 'rotation' } });
    expect(await other.resume('rotation', payout)).toMatchObject({ status: 'failed', error: expect.any(ConfigurationError) });
  });

  it('does not run a call another process left executing, and says so', async () => {
    const { tool, approvalId, executions, agent } = await pendingPayout();
    // The other process holds the call's lease and keeps it while it runs.
    const fence = await agent.approvalStore.acquireLease(`approval:${approvalId}`, 60_000);
    await agent.approvalStore.update(approvalId, (current) => ({ ...current, state: 'executing', fence }));
    const outcome = await tool.resume(approvalId, payout, { signal: AbortSignal.timeout(300) });
    expect(outcome).toMatchObject({ status: 'failed', error: expect.any(ToolCallInProgressError), retryable: true });
    expect(executions).toHaveLength(0);
  });

  it('reads the outcome another process stored while this one waited', async () => {
    const { tool, approvalId, executions, agent } = await pendingPayout();
    const fence = await agent.approvalStore.acquireLease(`approval:${approvalId}`, 60_000);
    await agent.approvalStore.update(approvalId, (current) => ({ ...current, state: 'executing', fence }));
    setTimeout(() => {
      void agent.approvalStore.update(approvalId, (current) => ({
        ...current,
        state: 'done',
        outcome: { status: 'done', tool: 'create_payout', approvalId, result: { payoutId: 'elsewhere' }, argsSha256: current.argsSha256 },
      }));
    }, 150).unref();
    expect(await tool.resume(approvalId, payout)).toMatchObject({ status: 'done', result: { payoutId: 'elsewhere' } });
    expect(executions).toHaveLength(0);
  });
});

describe('waiting and restarts', () => {
  it('with wait: true, polls at the interval until approved, then runs', async () => {
    const { agent, server, clock } = createTestAgent({ server: { interval: 2 } });
    const { tool, executions } = payoutTool(agent);
    const tokenRequest = server.tokenRequest.bind(server);
    server.tokenRequest = async (...args) => {
      if (server.tokenRequests.length === 2) server.approve(server.find(), 'alice');
      return tokenRequest(...args);
    };
    const outcome = await tool.invoke(payout, { wait: true });
    expect(outcome).toMatchObject({ status: 'done' });
    expect(executions).toHaveLength(1);
    expect(clock.sleeps).toEqual([2_000, 2_000, 2_000]);
  });

  it('with wait: true, returns denied or expired when that is the decision', async () => {
    const { agent, server } = createTestAgent({ server: { interval: 5, expiresIn: 12 } });
    const { tool } = payoutTool(agent);
    expect(await tool.invoke(payout, { wait: true })).toMatchObject({ status: 'expired' });
    const tokenRequest = server.tokenRequest.bind(server);
    server.tokenRequest = async (...args) => {
      server.deny(server.find(), 'alice', 'no');
      return tokenRequest(...args);
    };
    expect(await tool.invoke({ ...payout, amount: 1 }, { wait: true })).toMatchObject({ status: 'denied', reason: 'no' });
  });

  it('with wait: true, stops when the signal aborts and leaves the call pending', async () => {
    const { agent } = createTestAgent({ server: { interval: 2 } });
    const { tool, executions } = payoutTool(agent);
    const pending = await tool.invoke(payout);
    const controller = new AbortController();
    const waiting = tool.resume(idOf(pending), payout, { wait: true, signal: controller.signal });
    controller.abort(new Error('user went away'));
    await expect(waiting).rejects.toThrow('user went away');
    expect(await agent.approvalStore.get(idOf(pending))).toMatchObject({ state: 'pending' });
    expect(executions).toHaveLength(0);
  });

  it('resumes after a restart from a file store: a new agent, the same call', async () => {
    const path = join(directory, 'restart', 'approvals.json');
    const before = createTestAgent({ server: { interval: 1 }, store: fileApprovalStore(path) });
    const first = payoutTool(before.agent);
    const pending = await first.tool.invoke(payout, { callId: 'call-7' });

    // The process stops; the human approves meanwhile; a new process starts on the same file.
    before.server.approve(before.server.find(), 'bob');
    before.clock.advance(5_000);
    const after = createTestAgent({ harness: before, store: fileApprovalStore(path) });
    const second = payoutTool(after.agent);
    const resumed = await second.tool.invoke(payout, { callId: 'call-7' });
    expect(resumed).toMatchObject({ status: 'done', approvalId: idOf(pending), approvers: [{ subject: 'bob' }] });
    expect(first.executions).toHaveLength(0);
    expect(second.executions).toHaveLength(1);
    expect(await fileApprovalStore(path).get(idOf(pending))).toMatchObject({ state: 'done', outcome: { status: 'done', result: { payoutId: 'p1' } } });
    const third = payoutTool(createTestAgent({ harness: before, store: fileApprovalStore(path) }).agent);
    expect(await third.tool.resume(idOf(pending), payout)).toMatchObject({ status: 'done', result: { payoutId: 'p1' } });
    expect(third.executions).toHaveLength(0);
  });
});
