import { canonicalSha256 } from '@countersign/core/tools';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalView } from '../approvals/types.js';
import { DevkitError } from '../errors.js';
import { startDevStack } from '../stack.js';
import type { DevStack } from '../types.js';
import { createTestAgent, decodePayload, type TestAgent, type TestResponse } from './testing/test-agent.js';

const CIBA = 'urn:openid:params:grant-type:ciba';
let stack: DevStack;
let counter = 0;

beforeAll(async () => {
  stack = await startDevStack({ port: 0, toolApiPort: 0 });
});
afterAll(async () => {
  await stack?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function registeredAgent(scopes = ['accounts:read', 'payouts:write', 'admin:keys']): Promise<TestAgent> {
  const agent = await createTestAgent(`ciba-agent-${++counter}`, { issuer: stack.issuer });
  stack.registerAgent({ clientId: agent.clientId, jwks: agent.jwks, scopes });
  return agent;
}

function payout(args: { amount: number; recipient?: string }) {
  const body = { accountId: 'acc_operating', recipient: args.recipient ?? 'ACME Ltd', amount: args.amount, currency: 'EUR' };
  const detail = { type: 'agent_action', tool: 'create_payout', args: body, args_sha256: canonicalSha256(body), amount: body.amount, currency: 'EUR', recipient: body.recipient };
  return { body, detail };
}

interface AskOptions {
  loginHint?: string;
  details?: unknown;
  scope?: string;
  bindingMessage?: string | undefined;
  requestedExpiry?: number;
}

async function ask(agent: TestAgent, options: AskOptions = {}): Promise<TestResponse> {
  const form: Record<string, string> = {
    scope: options.scope ?? 'openid payouts:write',
    resource: stack.toolApiUrl,
    login_hint: options.loginHint ?? 'alice',
  };
  const bindingMessage = 'bindingMessage' in options ? options.bindingMessage : 'Pay 250.00 EUR to ACME Ltd';
  if (bindingMessage !== undefined) form.binding_message = bindingMessage;
  if (options.details !== undefined) form.authorization_details = typeof options.details === 'string' ? options.details : JSON.stringify(options.details);
  if (options.requestedExpiry !== undefined) form.requested_expiry = String(options.requestedExpiry);
  return agent.post(`${stack.issuer}/backchannel`, form, { dpop: false });
}

function viewOf(agent: TestAgent): ApprovalView {
  const view = stack.approvals.list().find((candidate) => candidate.clientId === agent.clientId);
  if (view === undefined) throw new Error('no approval request for this agent');
  return view;
}

const poll = (agent: TestAgent, authReqId: string, extra: Record<string, string> = {}) =>
  agent.post(`${stack.issuer}/token`, { grant_type: CIBA, auth_req_id: authReqId, ...extra });

async function expectRefused(code: string, operation: () => Promise<unknown>): Promise<void> {
  const error = await operation().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DevkitError);
  expect((error as DevkitError).code).toBe(code);
}

describe('CIBA backchannel authentication request', () => {
  it('answers with auth_req_id, expires_in and the interval the server enforces', async () => {
    const agent = await registeredAgent();
    const { detail } = payout({ amount: 250 });
    const response = await ask(agent, { details: [detail] });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ auth_req_id: expect.any(String), expires_in: 300, interval: 1 });
    const view = viewOf(agent);
    expect(view).toMatchObject({
      status: 'pending',
      loginHint: 'alice',
      bindingMessage: 'Pay 250.00 EUR to ACME Ltd',
      scope: 'openid payouts:write',
      tool: 'create_payout',
      argsSha256: detail.args_sha256,
      summary: { amount: 250, currency: 'EUR', recipient: 'ACME Ltd' },
      requiredApprovals: 1,
      authorizationDetails: [detail],
    });
    expect(JSON.stringify(view)).not.toContain(response.body.auth_req_id);
  });

  it.each([
    ['a hash that is not 43 base64url characters', [{ type: 'agent_action', tool: 'create_payout', args: {}, args_sha256: 'abc' }], 'invalid_authorization_details'],
    ['an unknown member', [{ type: 'agent_action', tool: 'create_payout', args: {}, args_sha256: canonicalSha256({}), extra: 1 }], 'invalid_authorization_details'],
    ['no args beside the hash', [{ type: 'agent_action', tool: 'create_payout', args_sha256: canonicalSha256({}) }], 'invalid_authorization_details'],
    ['args that are not the hashed ones', [{ ...payout({ amount: 5 }).detail, args: { ...payout({ amount: 5 }).body, recipient: 'Mallory Ltd', amount: 50000 } }], 'invalid_authorization_details'],
    ['two actions in one request', [payout({ amount: 1 }).detail, payout({ amount: 2 }).detail], 'invalid_authorization_details'],
    ['an unsupported type', [{ type: 'payment_initiation', instructedAmount: 1 }], 'invalid_authorization_details'],
    ['a value that is not JSON', '[{"type":', 'invalid_authorization_details'],
    ['an object instead of an array', { type: 'agent_action' }, 'invalid_authorization_details'],
  ])('refuses authorization_details with %s, and records nothing', async (_case, details, error) => {
    const agent = await registeredAgent();
    const response = await ask(agent, { details });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe(error);
    expect(stack.approvals.list().some((view) => view.clientId === agent.clientId)).toBe(false);
  });

  it.each([
    0x2028, 0x2029, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x2060, 0xfeff, 0x00ad, 0x061c, 0x202e, 0x2067, 0xe0000, 0xe0041, 0xe007f,
    0x115f, 0x1160, 0x3164, 0xffa0, 0x034f, 0xfe0f, 0xe0100, 0x17b4, 0x0009, 0x0085,
  ])('refuses a binding message holding code point %s, naming it, and records nothing', async (codePoint) => {
    const agent = await registeredAgent();
    const { detail } = payout({ amount: 5 });
    const bindingMessage = `Pay 5 EUR to ACME${String.fromCodePoint(codePoint)} Ltd`;
    const label = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
    const response = await ask(agent, { details: [detail], bindingMessage });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_binding_message', error_description: expect.stringContaining(`${label} at character 18`) });
    const recipient = await ask(agent, { details: [{ ...detail, recipient: `ACME${String.fromCodePoint(codePoint)} Ltd` }] });
    expect(recipient.body).toMatchObject({ error: 'invalid_authorization_details', error_description: expect.stringContaining(`${label} at character 5`) });
    expect(stack.approvals.list().some((view) => view.clientId === agent.clientId)).toBe(false);
  });

  it('refuses requests that are malformed for CIBA', async () => {
    const agent = await registeredAgent();
    const { detail } = payout({ amount: 5 });
    expect((await ask(agent, { details: [detail], scope: 'payouts:write' })).body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/openid/) });
    expect((await ask(agent, { details: [detail], bindingMessage: undefined })).body.error).toBe('invalid_binding_message');
    expect((await ask(agent, { details: [detail], bindingMessage: 'Pay 5 EUR\nto someone else' })).body.error).toBe('invalid_binding_message');
    expect((await ask(agent, { details: [detail], bindingMessage: 'x'.repeat(129) })).body.error).toBe('invalid_binding_message');
    expect((await ask(agent, { details: [detail], loginHint: 'mallory' })).body.error).toBe('unknown_user_id');
    expect((await ask(agent, { details: [detail], loginHint: 'carol' })).body).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringMatching(/carol does not hold the treasury role/),
    });
    const narrow = await registeredAgent(['accounts:read']);
    expect((await ask(narrow, { details: [detail] })).body.error).toBe('invalid_scope');
    expect(stack.approvals.list().some((view) => view.clientId === agent.clientId || view.clientId === narrow.clientId)).toBe(false);
  });
});

describe('CIBA approval and the action token', () => {
  it('issues, after one approval, a DPoP-bound action token carrying the details exactly as requested and its approver', async () => {
    const agent = await registeredAgent();
    const { body, detail } = payout({ amount: 250 });
    const requested = [{ ...detail, locations: [stack.toolApiUrl] }];
    const { body: started } = await ask(agent, { details: requested });
    const approved = await stack.approvals.approve(viewOf(agent).id, 'alice');
    expect(approved.status).toBe('approved');

    const response = await poll(agent, started.auth_req_id);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'DPoP', scope: 'payouts:write' });
    expect(response.body.expires_in).toBeLessThanOrEqual(120);
    expect(JSON.stringify(response.body.authorization_details)).toBe(JSON.stringify(requested));
    expect(response.body.approvers).toEqual([{ sub: 'alice', approved_at: expect.any(Number) }]);
    expect(Math.abs(response.body.approvers[0].approved_at - Date.now() / 1000)).toBeLessThan(5);

    const jwks = await (await fetch(`${stack.issuer}/jwks`)).json();
    const { payload } = await jwtVerify(response.body.access_token, createLocalJWKSet(jwks), { issuer: stack.issuer, audience: stack.toolApiUrl, typ: 'at+jwt' });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(120);
    expect(payload).toMatchObject({ client_id: agent.clientId, cnf: { jkt: agent.dpopThumbprint }, approvers: response.body.approvers });
    expect(JSON.stringify(payload.authorization_details)).toBe(JSON.stringify(requested));

    const executed = await agent.call('POST', `${stack.toolApiUrl}/payouts`, response.body.access_token, body);
    expect(executed.status).toBe(201);

    const again = await poll(agent, started.auth_req_id);
    expect(again.body.error).toBe('invalid_grant');
  });

  it('reports dual-control progress while pending, and needs two distinct people', async () => {
    const agent = await registeredAgent();
    const { detail } = payout({ amount: 1500 });
    const { body: started } = await ask(agent, { details: [detail], bindingMessage: 'Pay 1,500.00 EUR to ACME Ltd' });
    const id = viewOf(agent).id;
    expect(viewOf(agent).requiredApprovals).toBe(2);

    const first = await poll(agent, started.auth_req_id);
    expect(first.status).toBe(400);
    expect(first.body).toMatchObject({ error: 'authorization_pending', approvals_required: 2, approvals_received: [] });

    await stack.approvals.approve(id, 'alice');
    const before = stack.approvals.get(id);
    await expectRefused('already_approved', () => stack.approvals.approve(id, 'alice'));
    await expectRefused('not_allowed', () => stack.approvals.approve(id, 'carol'));
    expect(stack.approvals.get(id)).toEqual(before);

    await sleep(1000);
    const second = await poll(agent, started.auth_req_id);
    expect(second.body).toMatchObject({ error: 'authorization_pending', approvals_required: 2, approvals_received: [{ sub: 'alice', approved_at: expect.any(Number) }] });

    await stack.approvals.approve(id, 'bob');
    const token = await poll(agent, started.auth_req_id);
    expect(token.status).toBe(200);
    expect(token.body.approvers.map((approver: { sub: string }) => approver.sub)).toEqual(['alice', 'bob']);
    expect(decodePayload(token.body.access_token).approvers).toEqual(token.body.approvers);
  });

  it('always asks two people for a key rotation, one from security, even when the agent asks single', async () => {
    const agent = await registeredAgent();
    const args = { keyId: 'signing-2026', reason: 'scheduled rotation' };
    const detail = { type: 'agent_action', tool: 'rotate_signing_key', args, args_sha256: canonicalSha256(args), keyId: args.keyId, approval: 'single' };
    const { body: started } = await ask(agent, { details: [detail], scope: 'openid admin:keys', bindingMessage: 'Rotate signing key signing-2026' });
    const id = viewOf(agent).id;
    expect(viewOf(agent).requiredApprovals).toBe(2);
    await stack.approvals.approve(id, 'alice');
    await expectRefused('not_allowed', () => stack.approvals.approve(id, 'bob'));
    expect((await stack.approvals.approve(id, 'carol')).status).toBe('approved');
    const token = await poll(agent, started.auth_req_id);
    expect(token.body.approvers.map((approver: { sub: string }) => approver.sub)).toEqual(['alice', 'carol']);
    const rotated = await agent.call('POST', `${stack.toolApiUrl}/admin/keys/rotate`, token.body.access_token, args);
    expect(rotated.status).toBeLessThan(300);
  });

  it('gives an agent that asks for dual control two approvers, even for a small payout', async () => {
    const agent = await registeredAgent();
    const { detail } = payout({ amount: 10 });
    await ask(agent, { details: [{ ...detail, approval: 'dual' }] });
    expect(viewOf(agent).requiredApprovals).toBe(2);
  });

  it('answers access_denied with the reason after a denial, which then cannot be approved', async () => {
    const agent = await registeredAgent();
    const { body: started } = await ask(agent, { details: [payout({ amount: 50 }).detail], loginHint: 'bob' });
    const id = viewOf(agent).id;
    const denied = await stack.approvals.deny(id, 'bob', 'unknown supplier');
    expect(denied).toMatchObject({ status: 'denied', denial: { approver: 'bob', reason: 'unknown supplier' } });
    await expectRefused('already_decided', () => stack.approvals.approve(id, 'alice'));
    expect(stack.approvals.get(id)).toEqual(denied);
    const response = await poll(agent, started.auth_req_id);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'access_denied', error_description: 'the approver denied the request: unknown supplier' });
  });

  it('answers expired_token once the request expired, and refuses a late approval', async () => {
    const agent = await registeredAgent();
    const { body: started } = await ask(agent, { details: [payout({ amount: 50 }).detail], requestedExpiry: 1 });
    expect(started.expires_in).toBe(1);
    const id = viewOf(agent).id;
    await sleep(1500);
    await expectRefused('expired', () => stack.approvals.approve(id, 'alice'));
    expect(stack.approvals.get(id).status).toBe('expired');
    const response = await poll(agent, started.auth_req_id);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('expired_token');
  });

  it('refuses unknown ids and unknown approvers, changing nothing', async () => {
    const agent = await registeredAgent();
    await ask(agent, { details: [payout({ amount: 50 }).detail] });
    const id = viewOf(agent).id;
    const before = stack.approvals.get(id);
    await expectRefused('not_found', () => stack.approvals.approve('no-such-id', 'alice'));
    await expectRefused('unknown_approver', () => stack.approvals.approve(id, 'eve'));
    await expectRefused('unknown_approver', () => stack.approvals.deny(id, 'eve', 'no'));
    expect(stack.approvals.get(id)).toEqual(before);
    expect(stack.approvals.approvers().map((approver) => approver.id)).toEqual(['alice', 'bob', 'carol']);
  });

  it('answers slow_down to a poll that comes too early, and adds 5 seconds', async () => {
    const agent = await registeredAgent();
    const { body: started } = await ask(agent, { details: [payout({ amount: 50 }).detail] });
    expect((await poll(agent, started.auth_req_id)).body.error).toBe('authorization_pending');
    const early = await poll(agent, started.auth_req_id);
    expect(early.status).toBe(400);
    expect(early.body).toMatchObject({ error: 'slow_down', interval: 6 });
  });

  it('denies every request of an agent disabled since it asked (the kill switch): none can be approved any more', async () => {
    const agent = await registeredAgent();
    await ask(agent, { details: [payout({ amount: 50 }).detail] });
    await ask(agent, { details: [payout({ amount: 60 }).detail] });
    const [second, first] = stack.approvals.list().filter((view) => view.clientId === agent.clientId);
    stack.disableAgent(agent.clientId);
    for (const request of [first!, second!]) {
      expect(stack.approvals.get(request.id)).toMatchObject({ status: 'denied', denial: { approver: 'countersign-dev', reason: 'the agent was disabled (kill switch)' } });
    }
    await expectRefused('already_decided', () => stack.approvals.approve(first!.id, 'alice'));
    await expectRefused('already_decided', () => stack.approvals.deny(second!.id, 'alice', 'agent retired'));
  });

  it('issues a token for a plain CIBA request without authorization_details, never without DPoP', async () => {
    const agent = await registeredAgent();
    const { body: started } = await ask(agent, { bindingMessage: 'Let the agent read the accounts', scope: 'openid accounts:read', loginHint: 'carol' });
    expect(viewOf(agent)).toMatchObject({ tool: undefined, requiredApprovals: 1, authorizationDetails: [] });
    await stack.approvals.approve(viewOf(agent).id, 'carol');
    const bearer = await agent.post(`${stack.issuer}/token`, { grant_type: CIBA, auth_req_id: started.auth_req_id }, { dpop: false });
    expect(bearer.body).toEqual({ error: 'invalid_grant', error_description: 'DPoP proof JWT not provided' });
    const token = await poll(agent, started.auth_req_id);
    expect(token.status).toBe(200);
    expect(token.body.authorization_details).toBeUndefined();
    expect(token.body).toMatchObject({ scope: 'accounts:read', approvers: [{ sub: 'carol' }] });
  });

  it('refuses a poll by another client and one that adds authorization_details', async () => {
    const agent = await registeredAgent();
    const thief = await registeredAgent();
    const { detail } = payout({ amount: 50 });
    const { body: started } = await ask(agent, { details: [detail] });
    await stack.approvals.approve(viewOf(agent).id, 'alice');
    expect((await poll(thief, started.auth_req_id)).body.error).toBe('invalid_grant');
    const widened = await poll(agent, started.auth_req_id, { authorization_details: JSON.stringify([{ ...detail, amount: 5000 }]) });
    expect(widened.body.error).toBe('invalid_authorization_details');
    const token = await poll(agent, started.auth_req_id);
    expect(token.status).toBe(200);
    expect(token.body.authorization_details).toEqual([detail]);
  });
});
