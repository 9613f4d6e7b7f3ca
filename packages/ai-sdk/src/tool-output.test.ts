import { ArgumentsChangedError, InvalidArgumentsError, type ToolOutcome } from '@countersign/core';
import { modelInstruction } from '@countersign/core/adapters';
import { describe, expect, it } from 'vitest';
import { deniedReason, toolCallContent } from './tool-output.js';

const pending: ToolOutcome<unknown> = {
  status: 'approval_pending',
  tool: 'create_payout',
  approvalId: 'req-1',
  bindingMessage: 'Pay 4200 EUR to Northwind',
  approver: 'alice',
  expiresAt: '2026-12-06T04:00:00.000Z',
  argsSha256: 'h',
  progress: { required: 2, received: [{ subject: 'alice' }] } as never,
  progressText: '1 of 2 approvals (alice); waiting for one more of: bob',
};

describe('toolCallContent', () => {
  it('tells the model what every Countersign adapter tells it, after what happened', () => {
    const outcomes: ToolOutcome<unknown>[] = [
      pending,
      { status: 'denied', tool: 'create_payout', approvalId: 'req-1', reason: 'not on the vendor list' },
      { status: 'expired', tool: 'create_payout', approvalId: 'req-1' },
      { status: 'failed', tool: 'create_payout', error: new InvalidArgumentsError('create_payout', ['amount: expected a positive number']) },
      { status: 'failed', tool: 'create_payout', error: new ArgumentsChangedError('the arguments differ from the approved ones') },
      { status: 'failed', tool: 'create_payout', error: new Error('socket hang up') },
    ];
    for (const outcome of outcomes) {
      const content = toolCallContent(outcome) as { note: string };
      expect(content.note.endsWith(modelInstruction(outcome))).toBe(true);
    }
  });

  it('carries the dual-control progress line and never a token', () => {
    const content = toolCallContent(pending);
    expect(content).toMatchObject({ status: 'approval_pending', progressText: '1 of 2 approvals (alice); waiting for one more of: bob' });
    expect((content as { note: string }).note).toContain('has not run');
  });

  it('gives the SDK denial the shared instruction too', () => {
    const denied: ToolOutcome<unknown> = { status: 'denied', tool: 'create_payout', approvalId: 'req-1' };
    expect(deniedReason(denied)).toBe(`Declined at the authorization server. ${modelInstruction(denied)}`);
  });
});
