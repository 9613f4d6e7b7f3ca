import { describe, expect, it } from 'vitest';
import { memoryApprovalStore } from './memory-approval-store.js';
import { createTestAgent } from './testing/test-agent.js';
import { payout, payoutTool } from './testing/payout-tool.js';
import type { ToolApprovalPending, ToolOutcome } from './types.js';

const idOf = (outcome: ToolOutcome<unknown>) => {
  expect(outcome.status).toBe('approval_pending');
  return (outcome as ToolApprovalPending).approvalId;
};

describe('identical pending requests are coalesced', () => {
  it('a second call with the same tool and arguments under another callId waits on the pending approval: one human request, one run, both calls answered', async () => {
    const { agent, server, clock, events } = createTestAgent({ server: { interval: 1 } });
    const { tool, executions } = payoutTool(agent);
    const first = idOf(await tool.invoke(payout, { callId: 'call-1' }));
    const second = idOf(await tool.invoke({ ...payout }, { callId: 'call-2' }));
    const third = idOf(await tool.invoke(payout));
    expect([second, third]).toEqual([first, first]);
    expect(server.requests).toHaveLength(1);
    expect((await agent.approvalStore.get(first))?.sharedWith).toEqual(['call-2']);
    expect(events.filter((event) => event.event === 'tool.invoked' && event.approvalId === first)).toHaveLength(3);

    server.approve(server.find(), 'alice');
    clock.advance(1_000);
    const done = await tool.invoke(payout, { callId: 'call-2' });
    expect(done).toMatchObject({ status: 'done', approvalId: first, result: { payoutId: 'p1' } });
    expect(await tool.invoke(payout, { callId: 'call-1' })).toEqual(done);
    expect(await tool.resume(first, payout)).toEqual(done);
    expect(executions).toHaveLength(1);
    expect(executions[0]!.args).toEqual(payout);
    // A re-run of the coalesced call after the run answers the stored outcome; it never asks again.
    expect(await tool.invoke(payout, { callId: 'call-2' })).toEqual(done);
    expect(server.requests).toHaveLength(1);
  });

  it('concurrent identical calls ask once', async () => {
    const { agent, server } = createTestAgent({ server: { interval: 1 } });
    const { tool } = payoutTool(agent);
    const outcomes = await Promise.all(['a', 'b', 'c', 'd'].map((callId) => tool.invoke(payout, { callId })));
    expect(new Set(outcomes.map(idOf)).size).toBe(1);
    expect(server.requests).toHaveLength(1);
  });

  it('other arguments, a decided request, or another agent sharing the store ask again', async () => {
    const store = memoryApprovalStore();
    const one = createTestAgent({ server: { interval: 1 }, store });
    const { tool } = payoutTool(one.agent);
    const first = idOf(await tool.invoke(payout, { callId: 'call-1' }));
    expect(idOf(await tool.invoke({ ...payout, amount: 251 }, { callId: 'call-2' }))).not.toBe(first);
    expect(one.server.requests).toHaveLength(2);

    const other = createTestAgent({ server: { interval: 1 }, store });
    Object.assign(other.agent, { clientId: 'other-agent' });
    const otherId = idOf(await payoutTool(other.agent).tool.invoke(payout, { callId: 'call-3' }));
    expect(otherId).not.toBe(first);
    expect(other.server.requests).toHaveLength(1);

    one.server.deny(one.server.find('Pay 250 EUR to ACME GmbH'), 'alice', 'no');
    one.clock.advance(1_000);
    expect(await tool.resume(first, payout)).toMatchObject({ status: 'denied' });
    // Denied is final for that request: the same call made afresh asks a human again.
    expect(idOf(await tool.invoke(payout, { callId: 'call-4' }))).not.toBe(first);
    expect(one.server.requests).toHaveLength(3);
  });

  it('does not join a request about to expire', async () => {
    const { agent, server, clock } = createTestAgent({ server: { interval: 1 } });
    const { tool } = payoutTool(agent, { approval: { requestedExpiry: 60 } });
    const first = idOf(await tool.invoke(payout, { callId: 'call-1' }));
    clock.advance(59_500);
    expect(idOf(await tool.invoke(payout, { callId: 'call-2' }))).not.toBe(first);
    expect(server.requests).toHaveLength(2);
  });

  it('a store without findPending is searched through list()', async () => {
    const base = memoryApprovalStore();
    const { findPending: _findPending, ...withoutLookup } = base;
    const { agent, server } = createTestAgent({ server: { interval: 1 }, store: withoutLookup });
    const { tool } = payoutTool(agent);
    const first = idOf(await tool.invoke(payout, { callId: 'call-1' }));
    expect(idOf(await tool.invoke(payout, { callId: 'call-2' }))).toBe(first);
    expect(server.requests).toHaveLength(1);
  });
});
