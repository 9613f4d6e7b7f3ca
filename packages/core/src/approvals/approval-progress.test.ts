import { describe, expect, it } from 'vitest';
import { parsePendingProgress } from '../oauth/ciba-responses.js';
import { describeApprovalProgress } from './approval-progress.js';

describe('describeApprovalProgress', () => {
  it('says who approved and who may give the missing approval', () => {
    expect(describeApprovalProgress({ required: 2, received: [{ subject: 'alice' }], waitingFor: ['bob'] })).toBe('1 of 2 approvals (alice); waiting for one more of: bob');
    expect(describeApprovalProgress({ required: 2, received: [], waitingFor: ['alice', 'bob'] })).toBe('0 of 2 approvals; waiting for 2 more of: alice, bob');
    expect(describeApprovalProgress({ required: 1, received: [], waitingFor: ['alice'] })).toBe('0 of 1 approval; waiting for one of: alice');
    expect(describeApprovalProgress({ required: 2, received: [{ subject: 'alice' }] })).toBe('1 of 2 approvals (alice); waiting for one more');
    expect(describeApprovalProgress({ required: 2, received: [{ subject: 'alice' }, { subject: 'bob' }] })).toBe('2 of 2 approvals (alice, bob)');
  });

  it('reads approvals_waiting_for from an authorization_pending answer, keeping only names', () => {
    const progress = parsePendingProgress({ approvals_required: 2, approvals_received: [{ sub: 'alice', approved_at: 1 }], approvals_waiting_for: ['bob', 7, ''] });
    expect(progress).toEqual({ required: 2, received: [{ subject: 'alice', approvedAt: 1000 }], waitingFor: ['bob'] });
    expect(describeApprovalProgress(progress!)).toBe('1 of 2 approvals (alice); waiting for one more of: bob');
  });
});
