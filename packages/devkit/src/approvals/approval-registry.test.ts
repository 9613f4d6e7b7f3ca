import { afterEach, describe, expect, it } from 'vitest';
import { DevkitError } from '../errors.js';
import { createApprovalRegistry, type ApprovalRecord, type ApprovalRegistry, type NewApproval } from './approval-registry.js';
import { actionPolicy } from './dual-control-policy.js';
import type { ApprovalView } from './types.js';

const hash = 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg';

function harness(options: { failOutcome?: boolean; maxRecords?: number } = {}) {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const delivered: Array<{ kind: 'approved' | 'denied'; record: ApprovalRecord }> = [];
  const registry = createApprovalRegistry({
    clock: () => now,
    maxRecords: options.maxRecords,
    outcomes: {
      async approved(record) {
        if (options.failOutcome) throw new Error('authorization server unavailable');
        delivered.push({ kind: 'approved', record: structuredClone(record) });
      },
      async denied(record) {
        if (options.failOutcome) throw new Error('authorization server unavailable');
        delivered.push({ kind: 'denied', record: structuredClone(record) });
      },
    },
  });
  const add = (overrides: Partial<NewApproval> & { amount?: number; tool?: string } = {}) => {
    const { amount = 500, tool = 'create_payout', ...rest } = overrides;
    const action = { type: 'agent_action' as const, tool, args: { amount, currency: 'EUR' }, args_sha256: hash, amount, currency: 'EUR' };
    return registry.add({
      authReqId: `req-${Math.random()}`,
      clientId: 'payout-agent',
      loginHint: 'alice',
      bindingMessage: `Pay ${amount} EUR`,
      scope: 'openid payouts:write',
      resource: 'http://127.0.0.1:4001',
      authorizationDetails: [action],
      action,
      policy: actionPolicy(action, { dualControlThreshold: 1000 }),
      expiresAt: now + 60_000,
      ...rest,
    });
  };
  return { registry, delivered, add, advance: (ms: number) => (now += ms) };
}

/** Asserts that `operation` throws a DevkitError with `code`, and that it changed nothing. */
async function refusedWithoutChange(registry: ApprovalRegistry, id: string, code: string, operation: () => Promise<unknown>) {
  const before = registry.get(id);
  const error = await operation().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DevkitError);
  expect((error as DevkitError).code).toBe(code);
  expect(registry.get(id)).toEqual(before);
}

let current: ApprovalRegistry | undefined;
afterEach(() => current?.close());

describe('createApprovalRegistry', () => {
  it('turns a request into a view without the auth_req_id, and lists newest first', () => {
    const { registry, add } = harness();
    current = registry;
    const first = add({ authReqId: 'secret-auth-req-id' });
    const second = add({ amount: 20 });
    expect(JSON.stringify(registry.list())).not.toContain('secret-auth-req-id');
    expect(registry.list().map((view) => view.id)).toEqual([second.id, first.id]);
    expect(first).toMatchObject({
      status: 'pending',
      clientId: 'payout-agent',
      loginHint: 'alice',
      tool: 'create_payout',
      argsSha256: hash,
      summary: { amount: 500, currency: 'EUR' },
      requiredApprovals: 1,
      approvals: [],
      expiresAt: '2026-01-01T00:01:00.000Z',
    });
  });

  it('approves with one approver under the threshold and delivers the decision once', async () => {
    const { registry, add, delivered } = harness();
    current = registry;
    const view = add({ loginHint: 'bob' });
    const approved = await registry.approve(view.id, 'bob');
    expect(approved.status).toBe('approved');
    expect(approved.approvals).toEqual([{ approver: 'bob', at: '2026-01-01T00:00:00.000Z' }]);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.kind).toBe('approved');
    expect(registry.progressByAuthReqId(delivered[0]!.record.authReqId)).toMatchObject({
      status: 'approved',
      approvers: [{ sub: 'bob', approved_at: 1767225600 }],
    });
  });

  it('needs two distinct approvers above the threshold; the same person twice does not count', async () => {
    const { registry, add, delivered, advance } = harness();
    current = registry;
    const view = add({ amount: 1500 });
    expect(view.requiredApprovals).toBe(2);
    expect((await registry.approve(view.id, 'alice')).status).toBe('pending');
    await refusedWithoutChange(registry, view.id, 'already_approved', () => registry.approve(view.id, 'alice'));
    expect(delivered).toHaveLength(0);
    advance(2000);
    const done = await registry.approve(view.id, 'bob');
    expect(done.status).toBe('approved');
    expect(done.approvals.map((decision) => decision.approver)).toEqual(['alice', 'bob']);
    expect(delivered).toHaveLength(1);
  });

  it('refuses an approver whose role does not fit, changing nothing', async () => {
    const { registry, add } = harness();
    current = registry;
    const payout = add();
    await refusedWithoutChange(registry, payout.id, 'not_allowed', () => registry.approve(payout.id, 'carol'));
    await refusedWithoutChange(registry, payout.id, 'not_allowed', () => registry.deny(payout.id, 'carol'));
    const rotation = add({ tool: 'rotate_signing_key' });
    await registry.approve(rotation.id, 'alice');
    await refusedWithoutChange(registry, rotation.id, 'not_allowed', () => registry.approve(rotation.id, 'bob'));
    expect((await registry.approve(rotation.id, 'carol')).status).toBe('approved');
  });

  it('refuses unknown approvers and unknown ids', async () => {
    const { registry, add } = harness();
    current = registry;
    const view = add();
    await refusedWithoutChange(registry, view.id, 'unknown_approver', () => registry.approve(view.id, 'mallory'));
    await refusedWithoutChange(registry, view.id, 'unknown_approver', () => registry.deny(view.id, 'Alice'));
    await expect(registry.approve('nope', 'alice')).rejects.toMatchObject({ code: 'not_found', status: 404 });
    expect(() => registry.get('nope')).toThrow(DevkitError);
  });

  it('refuses deciding a request that is already approved or denied', async () => {
    const { registry, add, delivered } = harness();
    current = registry;
    const approved = add();
    await registry.approve(approved.id, 'alice');
    await refusedWithoutChange(registry, approved.id, 'already_decided', () => registry.approve(approved.id, 'bob'));
    await refusedWithoutChange(registry, approved.id, 'already_decided', () => registry.deny(approved.id, 'bob'));
    const denied = add({ loginHint: 'bob' });
    const view = await registry.deny(denied.id, 'bob', 'not this supplier');
    expect(view).toMatchObject({ status: 'denied', denial: { approver: 'bob', reason: 'not this supplier' } });
    await refusedWithoutChange(registry, denied.id, 'already_decided', () => registry.approve(denied.id, 'alice'));
    expect(delivered.map((entry) => entry.kind)).toEqual(['approved', 'denied']);
  });

  it('expires on time: an expired request cannot be decided', async () => {
    const { registry, add, advance, delivered } = harness();
    current = registry;
    const view = add();
    advance(60_000);
    expect(registry.get(view.id).status).toBe('expired');
    await refusedWithoutChange(registry, view.id, 'expired', () => registry.approve(view.id, 'alice'));
    await refusedWithoutChange(registry, view.id, 'expired', () => registry.deny(view.id, 'alice'));
    expect(delivered).toHaveLength(0);
  });

  it('keeps one approval of two when the other expires first, and reports progress', async () => {
    const { registry, add, advance } = harness();
    current = registry;
    const view = add({ amount: 5000, authReqId: 'req-progress' });
    await registry.approve(view.id, 'alice');
    expect(registry.progressByAuthReqId('req-progress')).toEqual({
      id: view.id,
      status: 'pending',
      requiredApprovals: 2,
      approvers: [{ sub: 'alice', approved_at: 1767225600 }],
      waitingFor: ['bob'],
      denialReason: undefined,
    });
    advance(61_000);
    expect(registry.progressByAuthReqId('req-progress')?.status).toBe('expired');
  });

  it('lets only the addressee decide a single-approver request, and says so', async () => {
    const { registry, add, delivered } = harness();
    current = registry;
    const view = add();
    expect(view).toMatchObject({ mayApprove: ['alice'], mayDeny: ['alice'] });
    expect(view.decisionRule).toContain('Only alice may approve or deny: the agent addressed this request to alice');
    await refusedWithoutChange(registry, view.id, 'not_allowed', () => registry.approve(view.id, 'bob'));
    await refusedWithoutChange(registry, view.id, 'not_allowed', () => registry.deny(view.id, 'bob', 'not mine'));
    await expect(registry.approve(view.id, 'bob')).rejects.toThrow('this request is addressed to alice: only alice may approve or deny it');
    expect(delivered).toHaveLength(0);
    expect((await registry.approve(view.id, 'alice')).status).toBe('approved');
  });

  it('needs the addressee among the two approvers under dual control; anyone eligible may deny', async () => {
    const { registry, add } = harness();
    current = registry;
    const first = add({ amount: 5000, loginHint: 'alice' });
    expect(first).toMatchObject({ mayApprove: ['alice', 'bob'], mayDeny: ['alice', 'bob'] });
    expect(first.decisionRule).toContain('2 different people must approve, alice (the agent addressed the request to alice) and one more of: bob');
    const afterBob = await registry.approve(first.id, 'bob');
    expect(afterBob).toMatchObject({ status: 'pending', mayApprove: ['alice'] });
    expect((await registry.approve(first.id, 'alice')).status).toBe('approved');
    const denied = add({ amount: 5000, loginHint: 'alice' });
    expect((await registry.deny(denied.id, 'bob', 'unknown supplier')).status).toBe('denied');
  });

  it("refuses the agent owner's own approval, and names who else may decide", async () => {
    const { registry, add } = harness();
    current = registry;
    const view = add({ amount: 5000, loginHint: 'bob', agentOwner: 'alice' });
    expect(view.mayApprove).toEqual(['bob']);
    expect(view.decisionRule).toContain('alice owns the agent and may not approve its actions');
    await refusedWithoutChange(registry, view.id, 'not_allowed', () => registry.approve(view.id, 'alice'));
    await expect(registry.approve(view.id, 'alice')).rejects.toThrow("alice owns the agent that asks: an agent's owner may not approve its actions");
  });

  it('counts open requests per agent and per addressee', async () => {
    const { registry, add, advance } = harness();
    current = registry;
    add();
    add({ loginHint: 'bob' });
    const decided = add();
    await registry.approve(decided.id, 'alice');
    add({ clientId: 'other-agent' });
    expect(registry.openRequests({ clientId: 'payout-agent' })).toBe(2);
    expect(registry.openRequests({ loginHint: 'alice' })).toBe(2);
    expect(registry.openRequests({ loginHint: 'bob' })).toBe(1);
    advance(61_000);
    expect(registry.openRequests({ clientId: 'payout-agent' })).toBe(0);
  });

  it('refuses a denial reason with control characters or too long', async () => {
    const { registry, add } = harness();
    current = registry;
    const view = add();
    await refusedWithoutChange(registry, view.id, 'invalid_request', () => registry.deny(view.id, 'alice', 'line one\nline two'));
    await refusedWithoutChange(registry, view.id, 'invalid_request', () => registry.deny(view.id, 'alice', 'x'.repeat(201)));
  });

  it('rolls a decision back when the authorization server does not take it', async () => {
    const { registry, add } = harness({ failOutcome: true });
    current = registry;
    const view = add();
    const before = registry.get(view.id);
    await expect(registry.approve(view.id, 'alice')).rejects.toThrow('authorization server unavailable');
    await expect(registry.deny(view.id, 'alice')).rejects.toThrow('authorization server unavailable');
    expect(registry.get(view.id)).toEqual(before);
  });

  it('lets only one of two concurrent final approvals through', async () => {
    const { registry, add, delivered } = harness();
    current = registry;
    const view = add({ amount: 1 });
    const results = await Promise.allSettled([registry.approve(view.id, 'alice'), registry.approve(view.id, 'bob')]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(delivered).toHaveLength(1);
  });

  it('notifies subscribers of every change until they unsubscribe', async () => {
    const { registry, add, advance } = harness();
    current = registry;
    const seen: Array<Pick<ApprovalView, 'status' | 'approvals'>> = [];
    const unsubscribe = registry.subscribe((view) => seen.push({ status: view.status, approvals: view.approvals }));
    registry.subscribe(() => {
      throw new Error('a broken listener');
    });
    const view = add({ amount: 1500 });
    await registry.approve(view.id, 'alice');
    await registry.approve(view.id, 'bob');
    const other = add();
    advance(60_000);
    registry.get(other.id);
    unsubscribe();
    add();
    expect(seen.map((entry) => `${entry.status}:${entry.approvals.length}`)).toEqual(['pending:0', 'pending:1', 'approved:2', 'pending:0', 'expired:0']);
  });
});

describe('forgetting old requests', () => {
  it('keeps a decided request until its CIBA request expired, so the kill switch still finds an approved one and nothing is decided twice', async () => {
    const { registry, add, advance } = harness({ maxRecords: 2 });
    const approved = add({ authReqId: 'req-approved' });
    await registry.approve(approved.id, 'alice');
    const denied = add({ authReqId: 'req-denied' });
    await registry.deny(denied.id, 'alice', 'no');
    const later = add({ authReqId: 'req-later' });
    // Over the limit, but both decided requests are still alive at the authorization server.
    expect(registry.list().map((view) => view.id).sort()).toEqual([approved.id, denied.id, later.id].sort());
    expect(registry.progressByAuthReqId('req-approved')?.status).toBe('approved');
    expect(registry.revokeClient('payout-agent', 'disabled')).toContain('req-approved');
    expect(registry.get(approved.id).status).toBe('denied');

    advance(61_000);
    add({ authReqId: 'req-after-expiry' });
    // Expired at the server too: forgotten now, oldest first, and never decidable again.
    expect(registry.list().map((view) => view.id)).not.toContain(approved.id);
    expect(registry.progressByAuthReqId('req-approved')).toBeUndefined();
    await expect(registry.approve(approved.id, 'alice')).rejects.toMatchObject({ code: 'not_found' });
    await expect(registry.deny(denied.id, 'alice')).rejects.toMatchObject({ code: 'not_found' });
  });
});
