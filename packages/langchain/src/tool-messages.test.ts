import { describe, expect, it } from 'vitest';
import { ArgumentsChangedError, InvalidArgumentsError } from '@countersign/core';
import { toolMessageFields } from './tool-messages.js';

const pending = {
  status: 'approval_pending' as const,
  tool: 'rotate_signing_key',
  approvalId: 'approval-9',
  bindingMessage: 'Rotate key k1',
  approver: 'carol',
  expiresAt: '2030-01-01T00:00:00.000Z',
  argsSha256: 'x'.repeat(43),
};

describe('toolMessageFields', () => {
  it('says who must approve, and the dual-control progress', () => {
    const fields = toolMessageFields({ ...pending, progress: { required: 2, received: [{ subject: 'carol', approvedAt: 1 }] } }, 'call-9');
    expect(fields.status).toBe('success');
    expect(fields.content).toContain('waits for approval by carol (2 different people must approve; 1 so far: carol)');
    expect(fields.content).toContain('expires at 2030-01-01T00:00:00.000Z');
    expect(fields.artifact).toMatchObject({ kind: 'countersign.approval_pending', toolCallId: 'call-9', progress: { required: 2 } });
  });

  it('keeps a string result as is and serializes others', () => {
    expect(toolMessageFields({ status: 'done', tool: 't', result: 'plain text', argsSha256: 'h' }, 'c').content).toBe('plain text');
    expect(toolMessageFields({ status: 'done', tool: 't', result: { a: [1] }, argsSha256: 'h' }, 'c').content).toBe('{"a":[1]}');
    expect(toolMessageFields({ status: 'done', tool: 't', result: undefined, argsSha256: 'h' }, 'c').content).toBe('');
  });

  it('explains expiry and denial without a reason', () => {
    expect(toolMessageFields({ status: 'expired', tool: 't', approvalId: 'a1' }, 'c')).toMatchObject({
      status: 'error',
      artifact: { kind: 'countersign.expired', approvalId: 'a1' },
    });
    const denied = toolMessageFields({ status: 'denied', tool: 't', approvalId: 'a2' }, 'c');
    expect(denied.content).toBe('t did not run: it was denied. Nothing was done. Tell the user; do not try again unless they ask.');
  });

  it('tells the model what to do about each failure, by error code', () => {
    const invalid = toolMessageFields({ status: 'failed', tool: 't', error: new InvalidArgumentsError('t', ['amount: too small']) }, 'c');
    expect(invalid.content).toContain('Fix the arguments');
    expect(invalid.artifact).toEqual({
      kind: 'countersign.failed',
      tool: 't',
      approvalId: undefined,
      error: { name: 'InvalidArgumentsError', code: 'ERR_INVALID_ARGUMENTS', message: 'invalid arguments for tool t: amount: too small' },
    });
    const changed = toolMessageFields({ status: 'failed', tool: 't', error: new ArgumentsChangedError('changed'), approvalId: 'a3' }, 'c');
    expect(changed.content).toContain('differ from the ones the human approved');
    expect(changed.artifact).toMatchObject({ error: { code: 'ERR_ARGUMENTS_CHANGED' }, approvalId: 'a3' });
    const other = toolMessageFields({ status: 'failed', tool: 't', error: new Error('HTTP 502'), approvalId: 'a4' }, 'c');
    expect(other.content).toBe('t failed (approval a4): HTTP 502. Tell the user; do not assume it ran.');
  });

  it('reads a failure stored as plain JSON after a restart', () => {
    const fields = toolMessageFields({ status: 'failed', tool: 't', error: { name: 'ArgumentsChangedError', code: 'ERR_ARGUMENTS_CHANGED', message: 'm' } as never }, 'c');
    expect(fields.content).toContain('differ from the ones the human approved');
  });
});
