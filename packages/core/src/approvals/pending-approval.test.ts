import { describe, expect, it } from 'vitest';
import { ApprovalGrantRefusedError } from './errors.js';
import { ApprovalDeniedError, ApprovalExpiredError, ApprovalMismatchError, NetworkError, OAuthError } from '../errors.js';
import { ApprovalTokenUnavailableError, MalformedApprovalError } from './errors.js';
import { CIBA_GRANT_TYPE } from './pending-approval.js';
import { requestApproval, resumeApproval } from './request-approval.js';
import { createApprovalHarness } from './testing/approval-harness.js';
import type { FakeAuthorizationServerOptions } from './testing/fake-authorization-server.js';

const details = [{ type: 'agent_action', tool: 'create_payout', args_sha256: 'hash-1', amount: 250 }];

async function started(options: Omit<FakeAuthorizationServerOptions, 'clock'> = {}) {
  const harness = createApprovalHarness(options);
  const pending = await requestApproval(harness.context, {
    loginHint: 'alice',
    bindingMessage: 'Pay 250 EUR',
    authorizationDetails: details,
    scope: 'payouts:write',
    resource: 'http://127.0.0.1:4001',
  });
  return { ...harness, pending, request: harness.server.find() };
}

describe('PendingApproval.poll', () => {
  it('sends nothing before the interval elapsed, then exactly one CIBA token request', async () => {
    const { pending, server, clock, request } = await started({ interval: 3 });
    expect(await pending.poll()).toBe('pending');
    clock.advance(2_999);
    expect(await pending.poll()).toBe('pending');
    expect(server.tokenRequests).toHaveLength(0);
    clock.advance(1);
    expect(await pending.poll()).toBe('pending');
    expect(server.tokenRequests).toEqual([{ grantType: CIBA_GRANT_TYPE, parameters: { auth_req_id: request.authReqId } }]);
    expect(await pending.poll()).toBe('pending');
    expect(server.tokenRequests).toHaveLength(1);
  });

  it('waits 5 seconds between polls when the server gives no interval', async () => {
    const { pending, server, clock } = await started({ interval: null });
    expect(pending.toJSON().interval).toBe(5);
    clock.advance(4_999);
    await pending.poll();
    expect(server.tokenRequests).toHaveLength(0);
    clock.advance(1);
    await pending.poll();
    expect(server.tokenRequests).toHaveLength(1);
  });

  it('never polls more often than once a second, whatever the server says', async () => {
    const { pending } = await started({ interval: 0 });
    expect(pending.toJSON().interval).toBe(1);
  });

  it('shares one request between concurrent polls', async () => {
    const { pending, server, clock } = await started({ interval: 1 });
    clock.advance(1_000);
    const statuses = await Promise.all([pending.poll(), pending.poll(), pending.poll()]);
    expect(statuses).toEqual(['pending', 'pending', 'pending']);
    expect(server.tokenRequests).toHaveLength(1);
  });

  it('lets a poll in flight decide, even when the expiry passes meanwhile', async () => {
    const { pending, server, clock, request } = await started({ interval: 1, expiresIn: 10 });
    server.approve(request, 'alice');
    clock.advance(1_000);
    const first = pending.poll();
    clock.advance(20_000);
    expect(await pending.poll()).toBe('approved');
    expect(await first).toBe('approved');
    expect(server.tokenRequests).toHaveLength(1);
  });

  it('adds 5 seconds to the interval on slow_down, from then on', async () => {
    const { pending, server, clock, request } = await started({ interval: 2 });
    // A poll the server considers too early (its view: 2 s since the last poll not elapsed).
    clock.advance(2_000);
    await pending.poll();
    request.lastPollAt = clock.now();
    clock.advance(2_000);
    request.lastPollAt = clock.now() - 1;
    expect(await pending.poll()).toBe('pending');
    expect(server.tokenRequests).toHaveLength(2);
    expect(pending.toJSON().interval).toBe(7);
    clock.advance(6_999);
    await pending.poll();
    expect(server.tokenRequests).toHaveLength(2);
    clock.advance(1);
    await pending.poll();
    expect(server.tokenRequests).toHaveLength(3);
    // Still 7 s afterwards, even after a normal pending answer.
    expect(pending.toJSON().interval).toBe(7);
    expect(pending.toJSON().nextPollAt).toBe(clock.now() + 7_000);
  });

  it('returns the DPoP action token with the granted details once approved, then polls no more', async () => {
    const { pending, server, clock, request, events, context } = await started({ interval: 1, tokenTtl: 60 });
    const approvedAt = clock.now();
    server.approve(request, 'alice');
    clock.advance(1_000);
    expect(await pending.poll()).toBe('approved');
    expect(pending.token).toEqual({
      accessToken: request.issuedToken,
      tokenType: 'DPoP',
      expiresAt: clock.now() + 60_000,
      scope: 'openid payouts:write',
      resource: 'http://127.0.0.1:4001',
      authorizationDetails: details,
    });
    expect(pending.progress).toEqual({ required: 1, received: [{ subject: 'alice', approvedAt: Math.floor(approvedAt / 1000) * 1000 }] });
    clock.advance(10_000);
    expect(await pending.poll()).toBe('approved');
    expect(server.tokenRequests).toHaveLength(1);
    await context.audit.flush();
    expect(events.at(-1)).toMatchObject({
      event: 'approval.approved',
      approvalId: pending.id,
      tool: 'create_payout',
      argsSha256: 'hash-1',
      approvers: [{ subject: 'alice' }],
      outcome: 'ok',
    });
    const evidence = JSON.stringify(events);
    expect(evidence).not.toContain(request.issuedToken);
    expect(evidence).not.toContain(request.authReqId);
  });

  it('accepts granted details that differ only in member order', async () => {
    const { pending, server, clock, request } = await started({
      interval: 1,
      grantDetails: () => [{ amount: 250, args_sha256: 'hash-1', tool: 'create_payout', type: 'agent_action' }],
    });
    server.approve(request, 'alice');
    clock.advance(1_000);
    expect(await pending.poll()).toBe('approved');
  });

  it.each([
    ['different', () => [{ ...details[0], amount: 25_000 }]],
    ['extra', () => [...details, { type: 'agent_action', tool: 'rotate_signing_key' }]],
    ['missing', () => undefined],
  ])('refuses and revokes a token with %s authorization details', async (_name, grantDetails) => {
    const { pending, server, clock, request, events, context } = await started({ interval: 1, grantDetails: grantDetails as never });
    server.approve(request, 'alice');
    clock.advance(1_000);
    const error = await pending.poll().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApprovalMismatchError);
    expect(pending.token).toBeUndefined();
    expect(pending.status).toBe('denied');
    expect(server.revoked).toEqual([request.issuedToken]);
    await expect(pending.poll()).rejects.toBe(error);
    await expect(pending.wait()).rejects.toBe(error);
    expect(server.tokenRequests).toHaveLength(1);
    await context.audit.flush();
    expect(events.at(-1)).toMatchObject({ event: 'approval.denied', outcome: 'error', error: { code: 'ERR_APPROVAL_MISMATCH' } });
    expect(String((error as Error).message)).not.toContain(request.issuedToken!);
  });

  it('reports denial with the reason, and wait() throws ApprovalDeniedError', async () => {
    const { pending, server, clock, request, events, context } = await started({ interval: 1 });
    server.deny(request, 'alice', 'not this vendor');
    clock.advance(1_000);
    expect(await pending.poll()).toBe('denied');
    const error = await pending.wait().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApprovalDeniedError);
    expect(error).toMatchObject({ approvalId: pending.id, reason: 'not this vendor', code: 'ERR_APPROVAL_DENIED' });
    expect(server.tokenRequests).toHaveLength(1);
    await context.audit.flush();
    expect(events.at(-1)).toMatchObject({ event: 'approval.denied', approvalId: pending.id, outcome: 'denied' });
  });

  it('expires locally at expires_in without another request', async () => {
    const { pending, server, clock, events, context } = await started({ interval: 1, expiresIn: 30 });
    clock.advance(30_000);
    expect(await pending.poll()).toBe('expired');
    expect(server.tokenRequests).toHaveLength(0);
    await expect(pending.wait()).rejects.toBeInstanceOf(ApprovalExpiredError);
    await context.audit.flush();
    expect(events.filter((event) => event.event === 'approval.expired')).toHaveLength(1);
  });

  it('reads expired_token as expired', async () => {
    const { pending, server, clock, request } = await started({ interval: 1, expiresIn: 30 });
    request.expiresAt = clock.now() + 1_000; // the server's clock runs ahead of ours
    clock.advance(1_000);
    expect(await pending.poll()).toBe('expired');
    expect(server.tokenRequests).toHaveLength(1);
  });

  it('reads invalid_grant close to the expiry as expired (servers drop expired requests)', async () => {
    const { pending, clock, request } = await started({ interval: 1, expiresIn: 30, dropExpired: true });
    request.expiresAt = clock.now() + 26_000;
    clock.advance(26_000);
    expect(await pending.poll()).toBe('expired');
  });

  it('settles for good on invalid_grant far from expiry (consumed or unknown request)', async () => {
    const { pending, clock, request, server } = await started({ interval: 1, expiresIn: 300 });
    request.consumed = true;
    clock.advance(1_000);
    const error = await pending.poll().catch((caught: unknown) => caught);
    // Says what most likely happened: redeemed by an earlier poll whose token was lost, or revoked.
    expect(error).toBeInstanceOf(ApprovalGrantRefusedError);
    expect(error).toMatchObject({ code: 'ERR_APPROVAL_GRANT_REFUSED', error: 'invalid_grant', approvalId: pending.id });
    expect((error as Error).message).toMatch(/redeemed already: an earlier poll received its action token .* or it was revoked/);
    expect((error as Error).cause).toBeInstanceOf(OAuthError);
    expect(((error as Error).cause as OAuthError).error).toBe('invalid_grant');
    expect(pending.status).toBe('denied');
    expect(pending.toJSON().reason).toMatch(/invalid_grant/);
    clock.advance(10_000);
    await expect(pending.poll()).rejects.toBe(error);
    expect(server.tokenRequests).toHaveLength(1);
  });

  it('passes other failures through, stays pending and waits the interval before trying again', async () => {
    const { pending, clock, server, context } = await started({ interval: 2 });
    const tokenRequest = server.tokenRequest.bind(server);
    let calls = 0;
    context.client.tokenRequest = async (...args) => {
      calls += 1;
      if (calls === 1) throw new NetworkError('authorization server unreachable');
      return tokenRequest(...args);
    };
    clock.advance(2_000);
    await expect(pending.poll()).rejects.toBeInstanceOf(NetworkError);
    expect(pending.status).toBe('pending');
    expect(await pending.poll()).toBe('pending');
    expect(calls).toBe(1);
    clock.advance(2_000);
    expect(await pending.poll()).toBe('pending');
    expect(calls).toBe(2);
  });
});

describe('dual control', () => {
  it('surfaces approvals required and received while pending, and every approver once approved', async () => {
    const { pending, server, clock, request, events, context } = await started({ interval: 1, requiredApprovals: () => 2 });
    clock.advance(1_000);
    expect(await pending.poll()).toBe('pending');
    expect(pending.progress).toEqual({ required: 2, received: [] });
    server.approve(request, 'alice');
    server.approve(request, 'alice');
    clock.advance(1_000);
    expect(await pending.poll()).toBe('pending');
    expect(pending.progress).toMatchObject({ required: 2, received: [{ subject: 'alice' }] });
    clock.advance(1_000);
    expect(await pending.poll()).toBe('pending');
    server.approve(request, 'bob');
    clock.advance(1_000);
    expect(await pending.poll()).toBe('approved');
    expect(pending.progress).toMatchObject({ required: 2, received: [{ subject: 'alice' }, { subject: 'bob' }] });
    await context.audit.flush();
    // Progress is evidence, polling is not: one pending record when alice's approval arrived.
    expect(events.map((event) => event.event)).toEqual(['approval.requested', 'approval.pending', 'approval.approved']);
    expect(events[1]).toMatchObject({ approvers: [{ subject: 'alice' }], outcome: 'pending' });
    expect(events[2]).toMatchObject({ approvers: [{ subject: 'alice' }, { subject: 'bob' }] });
  });

  it('records no repeated progress when a handle is restored from saved state before each poll', async () => {
    const { pending, server, clock, request, events, context } = await started({ interval: 1, requiredApprovals: () => 2 });
    let saved = pending.toJSON();
    const pollRestored = async () => {
      clock.advance(1_000);
      const restored = resumeApproval(context, saved);
      const status = await restored.poll();
      saved = restored.toJSON();
      return status;
    };
    for (let poll = 0; poll < 3; poll += 1) expect(await pollRestored()).toBe('pending');
    server.approve(request, 'alice');
    for (let poll = 0; poll < 3; poll += 1) expect(await pollRestored()).toBe('pending');
    await context.audit.flush();
    expect(events.map((event) => event.event)).toEqual(['approval.requested', 'approval.pending']);
    expect(events[1]).toMatchObject({ approvers: [{ subject: 'alice' }] });
  });
});

describe('PendingApproval.wait', () => {
  it('polls at the interval until approved and resolves with the action token', async () => {
    const { pending, server, clock, request } = await started({ interval: 2 });
    let polls = 0;
    const tokenRequest = server.tokenRequest.bind(server);
    server.tokenRequest = async (...args) => {
      polls += 1;
      if (polls === 3) server.approve(request, 'alice');
      return tokenRequest(...args);
    };
    const token = await pending.wait();
    expect(token.accessToken).toBe(request.issuedToken);
    expect(polls).toBe(3);
    expect(clock.sleeps).toEqual([2_000, 2_000, 2_000]);
  });

  it('sleeps no longer than the expiry and then throws ApprovalExpiredError without polling again', async () => {
    const { pending, server, clock } = await started({ interval: 4, expiresIn: 10 });
    await expect(pending.wait()).rejects.toBeInstanceOf(ApprovalExpiredError);
    expect(clock.sleeps).toEqual([4_000, 4_000, 2_000]);
    expect(server.tokenRequests).toHaveLength(2);
  });

  it('stops when its signal aborts', async () => {
    const { pending, server } = await started({ interval: 2 });
    const controller = new AbortController();
    const waiting = pending.wait({ signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    const before = server.tokenRequests.length;
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(server.tokenRequests).toHaveLength(before);
    expect(pending.status).toBe('pending');
  });

  it('with real timers, waits the interval and can be aborted mid-sleep', async () => {
    const harness = createApprovalHarness({ interval: 1 });
    const context = { ...harness.context, clock: Date.now, sleep: undefined };
    harness.server.options.clock = Date.now;
    const pending = await requestApproval(context, { loginHint: 'alice', bindingMessage: 'Pay', authorizationDetails: details });
    const started = Date.now();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 50).unref();
    await expect(pending.wait({ signal: controller.signal })).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(900);
    expect(harness.server.tokenRequests).toHaveLength(0);
  });
});

describe('toJSON and resumeApproval', () => {
  it('carries a pending approval across a restart, holding no token', async () => {
    const { pending, server, clock, request, context } = await started({ interval: 1 });
    const saved = JSON.stringify(pending);
    server.approve(request, 'alice');
    clock.advance(1_000);
    const restored = resumeApproval(context, saved);
    expect(restored.id).toBe(pending.id);
    expect(restored.status).toBe('pending');
    expect(restored.expiresAt).toBe(pending.expiresAt);
    const token = await restored.wait();
    expect(token.accessToken).toBe(request.issuedToken);
    const after = JSON.stringify(restored.toJSON());
    expect(after).not.toContain(request.issuedToken!);
    expect(restored.toJSON()).toMatchObject({ status: 'approved', progress: { required: 1 } });
  });

  it('keeps slow_down and the next poll time across a restart', async () => {
    const { pending, clock, request, context, server } = await started({ interval: 2 });
    clock.advance(2_000);
    request.lastPollAt = clock.now();
    await pending.poll();
    const restored = resumeApproval(context, pending.toJSON());
    expect(restored.toJSON().interval).toBe(7);
    clock.advance(6_000);
    await restored.poll();
    expect(server.tokenRequests).toHaveLength(1);
  });

  it('accepts the object form too, and copies it', async () => {
    const { pending, context } = await started();
    const saved = pending.toJSON();
    const restored = resumeApproval(context, saved);
    saved.bindingMessage = 'changed';
    expect(restored.bindingMessage).toBe('Pay 250 EUR');
  });

  it('cannot hand out the token of an approval that was approved before the restart', async () => {
    const { pending, server, clock, request, context } = await started({ interval: 1 });
    server.approve(request, 'alice');
    clock.advance(1_000);
    await pending.wait();
    const restored = resumeApproval(context, pending.toJSON());
    expect(restored.status).toBe('approved');
    expect(await restored.poll()).toBe('approved');
    await expect(restored.wait()).rejects.toBeInstanceOf(ApprovalTokenUnavailableError);
    expect(server.tokenRequests).toHaveLength(1);
  });

  it.each([
    ['text that is not JSON', '{"version":1,'],
    ['an array', '[]'],
    ['another version', { version: 2 }],
    ['no auth_req_id', { authReqId: undefined }],
    ['an unknown status', { status: 'maybe' }],
    ['a string expiry', { expiresAt: '2025-01-01' }],
    ['a zero interval', { interval: 0 }],
    ['empty details', { authorizationDetails: [] }],
    ['a detail without type', { authorizationDetails: [{ tool: 'x' }] }],
    ['a numeric scope', { scope: 5 }],
    ['malformed progress', { progress: { required: 2, received: [{ subject: '' }] } }],
    ['a zero required count', { progress: { required: 0, received: [] } }],
  ])('refuses %s with MalformedApprovalError', async (_name, change) => {
    const { pending, context } = await started();
    const saved = typeof change === 'string' ? change : { ...pending.toJSON(), ...change };
    const error = (() => {
      try {
        resumeApproval(context, saved as never);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(MalformedApprovalError);
    expect((error as Error).message).not.toContain(pending.toJSON().authReqId);
  });
});
