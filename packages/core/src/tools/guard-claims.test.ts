import { describe, expect, it } from 'vitest';
import { memoryApprovalStore } from './memory-approval-store.js';
import { ToolCallInProgressError, ToolOutcomeUnknownError } from './errors.js';
import { createTestAgent } from './testing/test-agent.js';
import { payout, payoutTool } from './testing/payout-tool.js';
import type { ToolApprovalPending } from './types.js';

/** Two agents (think: two replicas) sharing one store and one authorization server. */
function replicas(leaseMs: number) {
  const store = memoryApprovalStore({ leaseMs });
  const first = createTestAgent({ store, server: { interval: 1 } });
  const second = createTestAgent({ store, harness: first });
  return { store, first, second };
}

const later = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('claims with leases and fencing tokens', () => {
  it('gives the function the approval id as its idempotency key and records the fence it ran under', async () => {
    const { first, store } = replicas(5_000);
    const { tool, executions } = payoutTool(first.agent);
    const pending = (await tool.invoke(payout, { callId: 'call-1' })) as ToolApprovalPending;
    first.server.approve(first.server.find(), 'alice');
    first.clock.advance(1_000);
    expect(await tool.resume(pending.approvalId, payout)).toMatchObject({ status: 'done' });
    expect(executions[0]!.context.idempotencyKey).toBe(pending.approvalId);
    const record = (await store.get(pending.approvalId))!;
    expect(record).toMatchObject({ state: 'done' });
    expect(record.fence).toBeGreaterThan(0);
    // The lease was given back: nobody holds the call any more.
    expect(await store.acquireLease(`approval:${pending.approvalId}`, 10)).toBeGreaterThan(record.fence!);
  });

  it('while one replica runs the call, another waits and reads its outcome; it never runs twice', async () => {
    const { first, second } = replicas(5_000);
    let finish!: () => void;
    const running = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const a = payoutTool(first.agent, { execute: async () => (await running, { payoutId: 'p-a' }) });
    const b = payoutTool(second.agent);
    const pending = (await a.tool.invoke(payout, { callId: 'call-1' })) as ToolApprovalPending;
    first.server.approve(first.server.find(), 'alice');
    first.clock.advance(1_000);
    const resumedA = a.tool.resume(pending.approvalId, payout);
    await later(50);
    const resumedB = b.tool.resume(pending.approvalId, payout);
    await later(150);
    finish();
    expect(await resumedA).toMatchObject({ status: 'done', result: { payoutId: 'p-a' } });
    expect(await resumedB).toMatchObject({ status: 'done', result: { payoutId: 'p-a' } });
    expect(a.executions).toHaveLength(1);
    expect(b.executions).toHaveLength(0);
    expect(first.server.tokenRequests).toHaveLength(1); // only the lease holder polled
  });

  it('a call whose executor stopped renewing its lease becomes unknown and is never run again', async () => {
    const { first, second, store } = replicas(200);
    const a = payoutTool(first.agent);
    const b = payoutTool(second.agent);
    const pending = (await a.tool.invoke(payout, { callId: 'call-1' })) as ToolApprovalPending;
    // A replica claimed the call under a lease, then went silent (it was killed mid-run).
    const fence = await store.acquireLease(`approval:${pending.approvalId}`, 200);
    await store.update(pending.approvalId, (current) => ({ ...current, state: 'executing', fence }));
    first.server.approve(first.server.find(), 'alice');
    first.clock.advance(1_000);

    const outcome = await b.tool.resume(pending.approvalId, payout);
    expect(outcome).toMatchObject({ status: 'failed', retryable: false, error: expect.any(ToolOutcomeUnknownError) });
    expect((outcome as unknown as { error: ToolOutcomeUnknownError }).error).toMatchObject({ code: 'ERR_TOOL_OUTCOME_UNKNOWN', approvalId: pending.approvalId });
    expect(await a.tool.invoke(payout, { callId: 'call-1' })).toMatchObject({ status: 'failed', error: { code: 'ERR_TOOL_OUTCOME_UNKNOWN' } });
    expect(a.executions).toHaveLength(0);
    expect(b.executions).toHaveLength(0);
    expect(first.server.tokenRequests).toHaveLength(0);
    expect((await store.get(pending.approvalId))!.state).toBe('unknown');
    await first.agent.audit.flush();
    expect(first.events.filter((event) => event.approvalId === pending.approvalId).at(-1)).toMatchObject({
      event: 'tool.failed',
      error: { code: 'ERR_TOOL_OUTCOME_UNKNOWN' },
    });
  });

  it('an executor cut off from the store (its lease lapsed) still records its true outcome over unknown, under its fence', async () => {
    const store = memoryApprovalStore({ leaseMs: 150 });
    // Replica A cannot renew its lease (think: a network partition from the store).
    const cutOff = { ...store, renewLease: async () => false };
    const first = createTestAgent({ store: cutOff, server: { interval: 1 } });
    const second = createTestAgent({ store, harness: first });
    let finish!: () => void;
    const running = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const a = payoutTool(first.agent, { execute: async () => (await running, { payoutId: 'p-a' }) });
    const b = payoutTool(second.agent);
    const pending = (await a.tool.invoke(payout, { callId: 'call-1' })) as ToolApprovalPending;
    first.server.approve(first.server.find(), 'alice');
    first.clock.advance(1_000);
    const resumedA = a.tool.resume(pending.approvalId, payout);
    await later(50);
    expect(await b.tool.resume(pending.approvalId, payout)).toMatchObject({ status: 'failed', error: { code: 'ERR_TOOL_OUTCOME_UNKNOWN' } });
    finish();
    expect(await resumedA).toMatchObject({ status: 'done', result: { payoutId: 'p-a' } });
    expect(await b.tool.resume(pending.approvalId, payout)).toMatchObject({ status: 'done', result: { payoutId: 'p-a' } });
    expect(a.executions).toHaveLength(1);
    expect(b.executions).toHaveLength(0);
  });

  it('a replica that merely held the lease of a pending call makes the others wait, then lets them poll once it lapses', async () => {
    const { first, second, store } = replicas(300);
    const b = payoutTool(second.agent);
    const pending = (await payoutTool(first.agent).tool.invoke(payout, { callId: 'call-1' })) as ToolApprovalPending;
    await store.acquireLease(`approval:${pending.approvalId}`, 300); // then it died before polling
    first.server.approve(first.server.find(), 'alice');
    first.clock.advance(1_000);
    const started = Date.now();
    expect(await b.tool.resume(pending.approvalId, payout)).toMatchObject({ status: 'done' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(b.executions).toHaveLength(1);
  });

  it('the same model tool call invoked at once by two replicas asks for approval once', async () => {
    const { first, second } = replicas(5_000);
    const a = payoutTool(first.agent);
    const b = payoutTool(second.agent);
    const [fromA, fromB] = await Promise.all([a.tool.invoke(payout, { callId: 'call-7' }), b.tool.invoke(payout, { callId: 'call-7' })]);
    expect(fromA).toMatchObject({ status: 'approval_pending' });
    expect(fromB).toMatchObject({ status: 'approval_pending', approvalId: (fromA as ToolApprovalPending).approvalId });
    expect(first.server.requests).toHaveLength(1);
  });

  it('a held call lease that never yields a record ends in a retryable in-progress answer, not a second request', async () => {
    const { first, store } = replicas(60_000);
    await store.acquireLease('call:create_payout:payout-agent:call-9', 60_000);
    const outcome = await payoutTool(first.agent).tool.invoke(payout, { callId: 'call-9', signal: AbortSignal.timeout(300) });
    expect(outcome).toMatchObject({ status: 'failed', retryable: true, error: expect.any(ToolCallInProgressError) });
    expect(first.server.requests).toHaveLength(0);
  });
});
