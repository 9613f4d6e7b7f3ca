/**
 * Approvals (OpenID CIBA poll mode + RFC 9396 authorization_details) against the devkit's real
 * authorization server and treasury API: the agent asks, a dev approver decides through the
 * stack's approval registry, and the action token is used at the real enforcement point.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, TREASURY_SCOPES, type DevStack } from '@countersign/devkit';
import { createAgent } from '../packages/core/src/agent.js';
import { resumeApproval } from '../packages/core/src/approvals/request-approval.js';
import type { PendingApproval } from '../packages/core/src/approvals/types.js';
import { ApprovalDeniedError, ApprovalExpiredError, InsufficientScopeError, ResourceChallengeError } from '../packages/core/src/errors.js';
import { canonicalSha256 } from '../packages/core/src/lib/canonical-json.js';
import type { AuthorizationDetail } from '../packages/core/src/types.js';
import { createDevAgent, type DevAgent } from './helpers/dev-agent.js';

let stack: DevStack;
let dev: Omit<DevAgent, 'stack'>;
let sequence = 0;

beforeAll(async () => {
  stack = await startDevStack({ port: 0, toolApiPort: 0, pollInterval: 1 });
  dev = await createDevAgent(stack, [...TREASURY_SCOPES]);
});
afterAll(async () => {
  await dev?.close();
  await stack?.close();
});

/** Payout arguments and the approval request for them, unique per call. */
function payoutRequest(amount: number, loginHint = 'alice') {
  const args = { accountId: 'acc_operating', recipient: `Vendor ${++sequence}`, amount, currency: 'EUR' };
  const authorizationDetails: AuthorizationDetail[] = [
    { type: 'agent_action', tool: 'create_payout', args, args_sha256: canonicalSha256(args), amount, currency: 'EUR', recipient: args.recipient },
  ];
  const bindingMessage = `Pay ${amount} EUR to ${args.recipient}`;
  return { args, request: { loginHint, bindingMessage, authorizationDetails, scope: 'payouts:write', resource: stack.toolApiUrl } };
}

/** The devkit's view of the pending request with this binding message. */
function viewOf(bindingMessage: string) {
  const view = stack.approvals.list().find((candidate) => candidate.bindingMessage === bindingMessage);
  if (view === undefined) throw new Error(`no approval request shows "${bindingMessage}"`);
  return view;
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function operatingBalance(): Promise<number> {
  const response = await dev.agent.fetch(`${stack.toolApiUrl}/accounts`, { resource: stack.toolApiUrl, scope: 'accounts:read' });
  const body = (await response.json()) as { accounts: { id: string; balance: number }[] };
  return body.accounts.find((account) => account.id === 'acc_operating')!.balance;
}

async function postPayout(args: unknown, token: Awaited<ReturnType<PendingApproval['wait']>>) {
  return dev.agent.fetch(`${stack.toolApiUrl}/payouts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(args),
    token,
  });
}

describe('approvals on the devkit authorization server', () => {
  it('approved: the DPoP-bound action token carries the exact details and approvers, and pays once', async () => {
    const { args, request } = payoutRequest(125);
    const pending = await dev.agent.requestApproval(request);
    expect(pending.status).toBe('pending');
    const view = viewOf(request.bindingMessage);
    expect(view).toMatchObject({ status: 'pending', loginHint: 'alice', tool: 'create_payout', argsSha256: canonicalSha256(args), requiredApprovals: 1 });
    expect(JSON.stringify(view)).not.toContain(pending.toJSON().authReqId);
    // Polled before the server's interval elapsed: answered locally, no request.
    expect(await pending.poll()).toBe('pending');

    await stack.approvals.approve(view.id, 'alice');
    const token = await pending.wait();
    expect(token).toMatchObject({ tokenType: 'DPoP', authorizationDetails: request.authorizationDetails, resource: stack.toolApiUrl });
    expect(pending.progress?.received.map((approver) => approver.subject)).toEqual(['alice']);
    const claims = claimsOf(token.accessToken);
    expect(claims).toMatchObject({ aud: stack.toolApiUrl, cnf: { jkt: dev.agent.dpopThumbprint }, authorization_details: request.authorizationDetails });
    expect(claims.approvers).toEqual([{ sub: 'alice', approved_at: expect.any(Number) }]);
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(120);

    const before = await operatingBalance();
    const paid = await postPayout(args, token);
    expect(paid.status).toBe(201);
    expect(await paid.json()).toMatchObject({ status: 'executed', amount: 125, approvers: [{ sub: 'alice' }] });
    // The same action token again: refused by the tool API, nothing paid twice.
    const replay = await postPayout(args, token).catch((error: unknown) => error);
    expect(replay).toBeInstanceOf(ResourceChallengeError);
    expect((replay as ResourceChallengeError).error).toBe('invalid_token');
    expect(await operatingBalance()).toBe(before - 125);

    await dev.agent.audit.flush();
    const approvalEvents = dev.events.filter((event) => event.approvalId === pending.id);
    expect(approvalEvents.map((event) => event.event)).toEqual(['approval.requested', 'approval.approved']);
    expect(approvalEvents.at(-1)).toMatchObject({ approvers: [{ subject: 'alice' }], tool: 'create_payout', argsSha256: canonicalSha256(args) });
    expect(JSON.stringify(dev.events)).not.toContain(pending.toJSON().authReqId);
    expect(JSON.stringify(dev.events)).not.toContain(token.accessToken);
  });

  it('refuses the approved token for another body at the tool API (and it stays unspent)', async () => {
    const { args, request } = payoutRequest(75);
    const pending = await dev.agent.requestApproval(request);
    await stack.approvals.approve(viewOf(request.bindingMessage).id, 'alice');
    const token = await pending.wait();
    const before = await operatingBalance();
    const other = await postPayout({ ...args, amount: 7500 }, token).catch((error: unknown) => error);
    expect(other).toBeInstanceOf(InsufficientScopeError);
    expect((other as Error).message).toMatch(/args_sha256/);
    expect(await operatingBalance()).toBe(before);
    expect((await postPayout(args, token)).status).toBe(201);
  });

  it('denied: wait() throws ApprovalDeniedError with the approver\'s reason', async () => {
    const { request } = payoutRequest(90);
    const pending = await dev.agent.requestApproval(request);
    await stack.approvals.deny(viewOf(request.bindingMessage).id, 'alice', 'unknown vendor');
    const error = await pending.wait().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApprovalDeniedError);
    expect((error as ApprovalDeniedError).reason).toMatch(/unknown vendor/);
    expect(pending.status).toBe('denied');
    expect(pending.token).toBeUndefined();
  });

  it('expired: a request nobody decides ends with ApprovalExpiredError at its requested expiry', async () => {
    const { request } = payoutRequest(60);
    const started = Date.now();
    const pending = await dev.agent.requestApproval({ ...request, requestedExpiry: 2 });
    expect(pending.expiresAt).toBeGreaterThanOrEqual(started + 2_000);
    expect(pending.expiresAt).toBeLessThanOrEqual(Date.now() + 2_000);
    await expect(pending.wait()).rejects.toBeInstanceOf(ApprovalExpiredError);
    expect(pending.status).toBe('expired');
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(stack.approvals.approve(viewOf(request.bindingMessage).id, 'alice')).rejects.toMatchObject({ code: 'expired' });
  });

  it('slow_down from the server: the interval grows by 5 seconds from then on', async () => {
    const { request } = payoutRequest(40);
    const pending = await dev.agent.requestApproval(request);
    // Two handles on the same request, both told they may poll now: the second poll comes too early.
    const early = { ...pending.toJSON(), nextPollAt: 0 };
    const first = dev.agent.resumeApproval(early);
    expect(await first.poll()).toBe('pending');
    const second = dev.agent.resumeApproval(early);
    expect(await second.poll()).toBe('pending');
    expect(second.toJSON().interval).toBe(6);
    expect(second.toJSON().nextPollAt - Date.now()).toBeGreaterThan(5_000);
    // The grown interval is honoured: no further request before it elapses.
    expect(await second.poll()).toBe('pending');
    expect(second.toJSON().nextPollAt - Date.now()).toBeGreaterThan(5_000);
  });

  it('dual control: pending shows 1 of 2, the same approver twice does not count, two distinct approvers complete it', async () => {
    const { args, request } = payoutRequest(5_000);
    const pending = await dev.agent.requestApproval(request);
    const view = viewOf(request.bindingMessage);
    expect(view.requiredApprovals).toBe(2);
    await stack.approvals.approve(view.id, 'alice');
    await expect(stack.approvals.approve(view.id, 'alice')).rejects.toMatchObject({ code: 'already_approved' });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await pending.poll()).toBe('pending');
    expect(pending.progress).toMatchObject({ required: 2, received: [{ subject: 'alice' }] });
    await stack.approvals.approve(view.id, 'bob');
    const token = await pending.wait();
    expect(pending.progress?.received.map((approver) => approver.subject)).toEqual(['alice', 'bob']);
    const paid = await postPayout(args, token);
    expect(paid.status).toBe(201);
    expect((await paid.json()).approvers.map((approver: { sub: string }) => approver.sub)).toEqual(['alice', 'bob']);
  });

  it('carries a pending request across a restart: a new agent instance resumes it from JSON', async () => {
    const { args, request } = payoutRequest(33);
    const pending = await dev.agent.requestApproval(request);
    const saved = JSON.stringify(pending);
    expect(saved).not.toMatch(/access_token|accessToken/);

    const restarted = await createAgent({ issuer: stack.issuer, clientId: dev.clientId, key: dev.identity });
    try {
      const resumed = restarted.resumeApproval(saved);
      expect(resumed.id).toBe(pending.id);
      await stack.approvals.approve(viewOf(request.bindingMessage).id, 'alice');
      const token = await resumed.wait();
      // Bound to the new instance's DPoP key, usable by it and only by it.
      expect(claimsOf(token.accessToken)).toMatchObject({ cnf: { jkt: restarted.dpopThumbprint } });
      expect(restarted.dpopThumbprint).not.toBe(dev.agent.dpopThumbprint);
      const paid = await restarted.fetch(`${stack.toolApiUrl}/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args), token });
      expect(paid.status).toBe(201);
    } finally {
      await restarted.close();
    }
  });

  it('refuses a malformed saved approval before contacting the server', () => {
    expect(() => dev.agent.resumeApproval('{"version":1,"id":"x"}')).toThrow(/serialized approval/);
    expect(() => resumeApproval({} as never, 'not json')).toThrow(/not valid JSON/);
  });
});
