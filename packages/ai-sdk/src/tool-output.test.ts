import type { ToolOutcome } from '@countersign/core';
import { modelContent, modelInstruction } from '@countersign/core/adapters';
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
  it("is core's modelContent, the form every adapter sends (test/adapter-instructions.test.ts compares the adapters)", () => {
    expect(toolCallContent).toBe(modelContent);
    expect(toolCallContent(pending)).toMatchObject({ status: 'approval_pending', progressText: '1 of 2 approvals (alice); waiting for one more of: bob' });
  });

  it('gives the SDK denial the shared instruction too', () => {
    const denied: ToolOutcome<unknown> = { status: 'denied', tool: 'create_payout', approvalId: 'req-1' };
    expect(deniedReason(denied)).toBe(`Declined at the authorization server. ${modelInstruction(denied)}`);
  });
});
