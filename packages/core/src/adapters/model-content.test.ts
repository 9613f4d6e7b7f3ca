import { describe, expect, it } from 'vitest';
import { CountersignError, InvalidArgumentsError } from '../errors.js';
import { modelContent } from './model-content.js';

describe('modelContent', () => {
  it('shows a pending approval with approver, binding message, expiry, approval id and dual-control progress', () => {
    const content = modelContent({
      status: 'approval_pending',
      tool: 'create_payout',
      approvalId: 'apr-1',
      bindingMessage: 'Pay 5000 EUR to ACME',
      approver: 'alice',
      expiresAt: '2030-01-01T00:00:00.000Z',
      argsSha256: 'abc',
      progress: { required: 2, received: [{ subject: 'alice', approvedAt: 1 }] },
    });
    expect(content).toEqual({
      status: 'approval_pending',
      tool: 'create_payout',
      approvalId: 'apr-1',
      approver: 'alice',
      bindingMessage: 'Pay 5000 EUR to ACME',
      expiresAt: '2030-01-01T00:00:00.000Z',
      progress: { required: 2, approvedBy: ['alice'] },
      note: expect.stringContaining('call create_payout again with exactly the same arguments: that never asks the approver twice'),
    });
  });

  it('names who approved a done call, and carries denial reasons and expiry', () => {
    expect(
      modelContent({ status: 'done', tool: 't', result: { id: 1 }, argsSha256: 'h', approvalId: 'a', approvers: [{ subject: 'alice' }, { subject: 'bob' }] }),
    ).toEqual({ status: 'done', tool: 't', result: { id: 1 }, approvalId: 'a', approvedBy: ['alice', 'bob'] });
    expect(modelContent({ status: 'denied', tool: 't', approvalId: 'a', reason: 'no' })).toMatchObject({ status: 'denied', reason: 'no' });
    expect(modelContent({ status: 'expired', tool: 't', approvalId: 'a' })).toMatchObject({ status: 'expired', approvalId: 'a' });
  });

  it('describes failures by code and message, with schema issues for invalid arguments', () => {
    expect(modelContent({ status: 'failed', tool: 't', error: new InvalidArgumentsError('t', ['amount: too small']) })).toMatchObject({
      error: { code: 'ERR_INVALID_ARGUMENTS', issues: ['amount: too small'] },
      note: expect.stringContaining('Fix the arguments'),
    });
    const plain = modelContent({ status: 'failed', tool: 't', error: new Error('boom') });
    expect(plain).toMatchObject({ error: { code: 'ERR_TOOL_FAILED', message: 'boom' } });
    expect(plain.status === 'failed' && plain.error).not.toHaveProperty('issues');
    expect(modelContent({ status: 'failed', tool: 't', error: new CountersignError('x') })).toMatchObject({ error: { code: 'ERR_COUNTERSIGN' } });
  });

  it('carries the dual-control progress line', () => {
    const content = modelContent({
      status: 'approval_pending',
      tool: 'create_payout',
      approvalId: 'req-1',
      bindingMessage: 'Pay 4200 EUR to Northwind',
      approver: 'alice',
      expiresAt: '2026-12-06T04:00:00.000Z',
      argsSha256: 'h',
      progressText: '1 of 2 approvals (alice); waiting for one more of: bob',
    });
    expect(content).toMatchObject({ status: 'approval_pending', progressText: '1 of 2 approvals (alice); waiting for one more of: bob' });
    expect((content as { note: string }).note).toMatch(/^This action has not run: it waits for approval by alice/);
  });
});
