import { describe, expect, it } from 'vitest';
import { ApprovalMismatchError } from '../errors.js';
import { parseApprovers, parsePendingProgress, processApprovedTokenResponse, processBackchannelResponse } from './ciba-responses.js';

const requested = [{ type: 'agent_action', tool: 'create_payout', args_sha256: 'h', nested: { b: 1, a: [1, 2] } }];
const approved = { access_token: 'secret-token', token_type: 'DPoP' as const, expires_in: 120, authorization_details: requested };

describe('processBackchannelResponse', () => {
  it('reads auth_req_id, expires_in and interval', () => {
    expect(processBackchannelResponse({ auth_req_id: 'r', expires_in: 300, interval: 2 })).toEqual({ authReqId: 'r', expiresIn: 300, interval: 2 });
    expect(processBackchannelResponse({ auth_req_id: 'r', expires_in: 300 })).toEqual({ authReqId: 'r', expiresIn: 300, interval: undefined });
  });
});

describe('processApprovedTokenResponse', () => {
  it('accepts the requested details, in any member order, and reads the approvers', () => {
    const grant = processApprovedTokenResponse(
      {
        ...approved,
        scope: 'openid payouts:write',
        authorization_details: [{ nested: { a: [1, 2], b: 1 }, args_sha256: 'h', tool: 'create_payout', type: 'agent_action' }],
        approvers: [{ sub: 'alice', approved_at: 1_700_000_000 }, { sub: 'bob' }],
      },
      requested,
    );
    expect(grant).toMatchObject({ accessToken: 'secret-token', expiresIn: 120, scope: 'openid payouts:write' });
    expect(grant.approvers).toEqual([{ subject: 'alice', approvedAt: 1_700_000_000_000 }, { subject: 'bob' }]);
  });

  it.each([
    ['missing details', { authorization_details: undefined }],
    ['details as a string', { authorization_details: JSON.stringify(requested) }],
    ['an array order change', { authorization_details: [{ ...requested[0], nested: { b: 1, a: [2, 1] } }] }],
    ['a number written as a string', { authorization_details: [{ ...requested[0], nested: { b: '1', a: [1, 2] } }] }],
  ])('refuses %s as a mismatch, without the token in the message', (_name, change) => {
    let error: unknown;
    try {
      processApprovedTokenResponse({ ...approved, ...change } as typeof approved, requested);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApprovalMismatchError);
    expect((error as Error).message).not.toContain('secret-token');
  });
});

describe('parseApprovers and parsePendingProgress', () => {
  it('skips entries that are not approvers', () => {
    expect(parseApprovers([{ sub: 'alice', approved_at: 2 }, null, { sub: '' }, { approved_at: 1 }, 'bob', { sub: 'carol', approved_at: 'x' }])).toEqual([
      { subject: 'alice', approvedAt: 2000 },
      { subject: 'carol' },
    ]);
    expect(parseApprovers(undefined)).toEqual([]);
  });

  it('reads approvals_required and approvals_received', () => {
    expect(parsePendingProgress({ approvals_required: 2, approvals_received: [{ sub: 'alice', approved_at: 3 }] })).toEqual({
      required: 2,
      received: [{ subject: 'alice', approvedAt: 3000 }],
    });
    expect(parsePendingProgress({ approvals_required: 2 })).toEqual({ required: 2, received: [] });
    expect(parsePendingProgress({})).toBeUndefined();
    expect(parsePendingProgress({ approvals_required: '2' })).toBeUndefined();
    expect(parsePendingProgress({ approvals_required: 0 })).toBeUndefined();
  });
});
