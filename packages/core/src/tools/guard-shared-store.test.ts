import { describe, expect, it } from 'vitest';
import { ApprovalMismatchError } from '../errors.js';
import { MAX_SHARED_CALLS } from './coalesced-calls.js';
import { memoryApprovalStore } from './memory-approval-store.js';
import { createTestAgent } from './testing/test-agent.js';
import { errorOf } from './testing/outcomes.js';
import { payout, payoutTool } from './testing/payout-tool.js';
import type { ToolApprovalPending, ToolOutcome } from './types.js';

const idOf = (outcome: ToolOutcome<unknown>) => {
  expect(outcome.status).toBe('approval_pending');
  return (outcome as ToolApprovalPending).approvalId;
};

/** Two agents (different client ids) sharing one store and one fake authorization server. */
function twoAgents() {
  const store = memoryApprovalStore();
  const first = createTestAgent({ store, server: { interval: 1 } });
  const second = createTestAgent({ store, harness: first });
  const other = { ...second.agent, clientId: 'other-agent' };
  return { store, first, a: payoutTool(first.agent), b: payoutTool(other) };
}

describe('agents sharing one store', () => {
  it('the same model call id names two calls: neither agent sees, polls or settles the other one', async () => {
    const { store, first, a, b } = twoAgents();
    const { server, clock } = first;
    const mine = idOf(await a.tool.invoke(payout, { callId: 'call_0' }));
    const theirs = idOf(await b.tool.invoke(payout, { callId: 'call_0' }));
    expect(theirs).not.toBe(mine);
    expect(server.requests).toHaveLength(2);
    expect((await store.findByCall('create_payout', 'call_0', 'payout-agent'))?.id).toBe(mine);
    expect((await store.findByCall('create_payout', 'call_0', 'other-agent'))?.id).toBe(theirs);

    // The other agent resuming this agent's approval is refused before any poll: nothing changes.
    clock.advance(1_000);
    const polls = server.tokenRequests.length;
    const refused = await b.tool.resume(mine, payout);
    expect(refused).toMatchObject({ status: 'failed', approvalId: mine });
    expect(errorOf(refused)).toBeInstanceOf(ApprovalMismatchError);
    expect(server.tokenRequests).toHaveLength(polls);
    expect((await store.get(mine))?.state).toBe('pending');

    server.approve(server.requests[0]!, 'alice');
    clock.advance(1_000);
    const done = await a.tool.invoke(payout, { callId: 'call_0' });
    expect(done).toMatchObject({ status: 'done', approvalId: mine });
    expect(a.executions).toHaveLength(1);

    // The other agent's re-run of `call_0` finds its own pending call, never this agent's result.
    expect(await b.tool.invoke(payout, { callId: 'call_0' })).toMatchObject({ status: 'approval_pending', approvalId: theirs });
    expect(errorOf(await b.tool.resume(mine, payout))).toBeInstanceOf(ApprovalMismatchError);
    expect(b.executions).toHaveLength(0);
    expect((await store.get(mine))?.state).toBe('done');
    expect((await store.get(theirs))?.state).toBe('pending');
    expect(await a.tool.invoke(payout, { callId: 'call_0' })).toEqual(done);
  });
});

describe('coalescing is capped', () => {
  it(`records at most ${MAX_SHARED_CALLS} joined call ids; a later identical call still waits on the approval`, async () => {
    const { agent, server } = createTestAgent({ server: { interval: 1 } });
    const { tool } = payoutTool(agent);
    const first = idOf(await tool.invoke(payout, { callId: 'call-first' }));
    for (let index = 0; index < MAX_SHARED_CALLS + 5; index++) {
      expect(idOf(await tool.invoke(payout, { callId: `call-${index}` }))).toBe(first);
    }
    expect(server.requests).toHaveLength(1);
    const shared = (await agent.approvalStore.get(first))?.sharedWith;
    expect(shared).toHaveLength(MAX_SHARED_CALLS);
    expect(shared?.at(-1)).toBe(`call-${MAX_SHARED_CALLS - 1}`);
    expect(await agent.approvalStore.findByCall('create_payout', `call-${MAX_SHARED_CALLS}`)).toBeUndefined();
  });
});
