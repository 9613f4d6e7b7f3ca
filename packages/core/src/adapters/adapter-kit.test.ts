import { describe, expect, it } from 'vitest';
import { ApprovalMismatchError, ArgumentsChangedError, InvalidArgumentsError } from '../errors.js';
import { ToolCallInProgressError, ToolExecutionError, ToolOutcomeUnknownError } from '../tools/errors.js';
import type { ToolApprovalPending, ToolOutcome } from '../tools/types.js';
import { MODEL_INSTRUCTIONS, describeFailure, modelInstruction, modelOutcomeKind, pendingCallOf, pendingOutcomeOf, pendingSummary } from './index.js';

const pending: ToolApprovalPending = {
  status: 'approval_pending',
  tool: 'create_payout',
  approvalId: 'approval-1',
  bindingMessage: 'Pay 250 EUR to ACME',
  approver: 'alice',
  expiresAt: '2030-01-01T00:00:00.000Z',
  argsSha256: 'h'.repeat(43),
};
const failed = (error: unknown): ToolOutcome<unknown> => ({ status: 'failed', tool: 'create_payout', error: error as Error });

describe('the model instruction table', () => {
  it('has one instruction per outcome, keyed on status and typed error codes', () => {
    const cases: [ToolOutcome<unknown>, string][] = [
      [{ status: 'done', tool: 'create_payout', result: 1, argsSha256: 'h' }, 'done'],
      [pending, 'approval_pending'],
      [{ status: 'denied', tool: 'create_payout', approvalId: 'a' }, 'denied'],
      [{ status: 'expired', tool: 'create_payout', approvalId: 'a' }, 'expired'],
      [failed(new InvalidArgumentsError('create_payout', ['amount: required'])), 'invalid_arguments'],
      [failed(new ArgumentsChangedError('changed')), 'arguments_changed'],
      [failed(new ApprovalMismatchError('mismatch')), 'approval_mismatch'],
      [failed(new ToolCallInProgressError('a')), 'outcome_not_known'],
      [failed(new ToolOutcomeUnknownError('a')), 'outcome_not_known'],
      [failed(new ToolExecutionError('create_payout', new Error('boom'))), 'tool_error'],
      [failed({ name: 'UnknownToolError', code: 'ERR_UNKNOWN_TOOL', message: 'no such tool' }), 'unknown_tool'],
      [failed(new Error('HTTP 502')), 'failed'],
    ];
    for (const [outcome, kind] of cases) expect(modelOutcomeKind(outcome), kind).toBe(kind);
    expect(new Set(cases.map(([, kind]) => kind))).toEqual(new Set(Object.keys(MODEL_INSTRUCTIONS)));
  });

  it('reads the code of a failure stored as plain JSON after a restart', () => {
    expect(modelOutcomeKind(failed({ name: 'ArgumentsChangedError', code: 'ERR_ARGUMENTS_CHANGED', message: 'm' }))).toBe('arguments_changed');
  });

  it('tells the model, for a pending call, that the same arguments check on it and never ask twice', () => {
    expect(modelInstruction(pending)).toBe(
      'Tell the user it awaits approval; it runs once approved. To check on it later, call create_payout again with exactly the same arguments: that never asks the approver twice.',
    );
    expect(modelInstruction({ status: 'denied', tool: 't', approvalId: 'a' })).toContain('do not try again unless they ask');
    expect(modelInstruction(failed(new ToolOutcomeUnknownError('a')))).toContain('Do not call create_payout again');
  });

  it('summarizes a pending approval with dual-control progress and no handle', () => {
    const summary = pendingSummary({ ...pending, progress: { required: 2, received: [{ subject: 'bob' }] } });
    expect(summary).toBe(
      'waits for approval by alice (2 different people must approve; 1 so far: bob), who was asked to approve "Pay 250 EUR to ACME". The approval request approval-1 expires at 2030-01-01T00:00:00.000Z.',
    );
  });

  it('describes failures with issues for invalid arguments only', () => {
    expect(describeFailure(new InvalidArgumentsError('t', ['amount: too small']))).toEqual({
      name: 'InvalidArgumentsError',
      code: 'ERR_INVALID_ARGUMENTS',
      message: 'invalid arguments for tool t: amount: too small',
      issues: ['amount: too small'],
    });
    expect(describeFailure(new Error('boom'))).toEqual({ name: 'Error', code: undefined, message: 'boom' });
    expect(describeFailure('text')).toEqual({ name: 'Error', code: undefined, message: 'text' });
  });
});

describe('the pending-call record', () => {
  it('round-trips through JSON to the pending outcome it stands for', () => {
    const outcome = { ...pending, progress: { required: 2, received: [] } };
    const saved = JSON.parse(JSON.stringify(pendingCallOf(outcome, 'call-1'))) as ReturnType<typeof pendingCallOf>;
    expect(saved).toMatchObject({ callId: 'call-1', approvalId: 'approval-1', argsSha256: pending.argsSha256 });
    expect(pendingOutcomeOf(saved)).toEqual(outcome);
  });
});
