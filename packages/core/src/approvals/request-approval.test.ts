import { describe, expect, it } from 'vitest';
import { ConfigurationError, OAuthError, ResponseError } from '../errors.js';
import { requestApproval } from './request-approval.js';
import { withOpenidScope } from './backchannel-parameters.js';
import { createApprovalHarness } from './testing/approval-harness.js';
import type { ApprovalRequest } from './types.js';

const resource = 'http://127.0.0.1:4001';
const details = [{ type: 'agent_action', tool: 'create_payout', args_sha256: 'abc', amount: 250, currency: 'EUR' }];
const request = (overrides: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  loginHint: 'alice',
  bindingMessage: 'Pay 250 EUR to ACME',
  authorizationDetails: details,
  scope: 'payouts:write',
  resource,
  ...overrides,
});

describe('requestApproval', () => {
  it('sends a CIBA poll-mode request with every parameter and returns a pending approval', async () => {
    const { context, server, clock } = createApprovalHarness({ interval: 2, expiresIn: 120 });
    const pending = await requestApproval(context, request({ requestedExpiry: 90 }));
    const sent = server.find();
    expect(sent.parameters).toEqual({
      scope: 'openid payouts:write',
      login_hint: 'alice',
      binding_message: 'Pay 250 EUR to ACME',
      authorization_details: JSON.stringify(details),
      resource,
      requested_expiry: '90',
    });
    expect(pending.status).toBe('pending');
    expect(pending.loginHint).toBe('alice');
    expect(pending.bindingMessage).toBe('Pay 250 EUR to ACME');
    expect(pending.authorizationDetails).toEqual(details);
    expect(pending.expiresAt).toBe(clock.now() + 90_000);
    expect(pending.token).toBeUndefined();
    expect(pending.progress).toBeUndefined();
    expect(pending.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(pending.id).not.toBe(sent.authReqId);
    expect(JSON.stringify(pending)).toContain(sent.authReqId);
  });

  it('gives each request its own random id', async () => {
    const { context } = createApprovalHarness();
    const [first, second] = await Promise.all([requestApproval(context, request()), requestApproval(context, request())]);
    expect(first.id).not.toBe(second.id);
  });

  it('records approval.requested without the auth_req_id', async () => {
    const { context, server, events } = createApprovalHarness();
    const pending = await requestApproval(context, request());
    await context.audit.flush();
    expect(events).toEqual([
      expect.objectContaining({
        event: 'approval.requested',
        approvalId: pending.id,
        tool: 'create_payout',
        argsSha256: 'abc',
        scope: 'openid payouts:write',
        resource,
        outcome: 'pending',
        agent: 'payout-agent',
      }),
    ]);
    expect(JSON.stringify(events)).not.toContain(server.find().authReqId);
  });

  it.each([
    ['an empty login hint', { loginHint: ' ' }],
    ['an empty binding message', { bindingMessage: '' }],
    ['a binding message over 128 characters', { bindingMessage: 'x'.repeat(129) }],
    ['a binding message on two lines', { bindingMessage: 'Pay 250\nEUR' }],
    ['no authorization details', { authorizationDetails: [] }],
    ['a detail without a type', { authorizationDetails: [{ tool: 'x' } as never] }],
    ['a detail that is not JSON', { authorizationDetails: [{ type: 'agent_action', amount: Number.NaN }] }],
    ['a fractional requested expiry', { requestedExpiry: 1.5 }],
    ['a negative requested expiry', { requestedExpiry: -1 }],
    ['a relative resource', { resource: '/payouts' }],
    ['a resource with a fragment', { resource: 'http://127.0.0.1:4001/#x' }],
  ])('refuses %s before sending anything', async (_name, overrides) => {
    const { context, server, events } = createApprovalHarness();
    await expect(requestApproval(context, request(overrides))).rejects.toBeInstanceOf(ConfigurationError);
    expect(server.requests).toHaveLength(0);
    await context.audit.flush();
    expect(events).toHaveLength(0);
  });

  it.each([
    ['no auth_req_id', (response: object) => ({ ...response, auth_req_id: undefined })],
    ['an empty auth_req_id', (response: object) => ({ ...response, auth_req_id: '' })],
    ['a numeric auth_req_id', (response: object) => ({ ...response, auth_req_id: 42 })],
    ['no expires_in', (response: object) => ({ ...response, expires_in: undefined })],
    ['a zero expires_in', (response: object) => ({ ...response, expires_in: 0 })],
    ['a string expires_in', (response: object) => ({ ...response, expires_in: '300' })],
    ['a negative interval', (response: object) => ({ ...response, interval: -1 })],
    ['an array', () => []],
    ['null', () => null],
  ])('refuses a backchannel response with %s', async (_name, backchannelResponse) => {
    const { context, events, server } = createApprovalHarness({ backchannelResponse });
    const error = await requestApproval(context, request()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ResponseError);
    await context.audit.flush();
    expect(events).toEqual([expect.objectContaining({ event: 'approval.requested', outcome: 'error', error: expect.objectContaining({ code: 'ERR_RESPONSE' }) })]);
    expect(JSON.stringify(events)).not.toContain(server.find().authReqId);
  });

  it('passes OAuth errors of the backchannel endpoint through, and records them', async () => {
    const { context, events } = createApprovalHarness();
    const error = await requestApproval(context, request({ loginHint: 'nobody' })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).error).toBe('unknown_user_id');
    await context.audit.flush();
    expect(events[0]).toMatchObject({ event: 'approval.requested', outcome: 'error', error: { code: 'ERR_OAUTH' } });
  });

  it('stops at an aborted signal', async () => {
    const { context } = createApprovalHarness();
    await expect(requestApproval(context, request({ signal: AbortSignal.abort() }))).rejects.toThrow(/abort/i);
  });

  it('keeps the details sent as JSON, dropping undefined members, for the later comparison', async () => {
    const { context } = createApprovalHarness();
    const pending = await requestApproval(context, request({ authorizationDetails: [{ type: 'agent_action', memo: undefined, tool: 't' }] }));
    expect(pending.authorizationDetails).toEqual([{ type: 'agent_action', tool: 't' }]);
    expect(Object.keys(pending.authorizationDetails[0]!)).not.toContain('memo');
  });
});

describe('withOpenidScope', () => {
  it.each([
    [undefined, 'openid'],
    ['', 'openid'],
    ['payouts:write', 'openid payouts:write'],
    ['payouts:write  openid', 'payouts:write openid'],
    ['openid', 'openid'],
  ])('%j becomes %j', (scope, expected) => {
    expect(withOpenidScope(scope)).toBe(expected);
  });
});
