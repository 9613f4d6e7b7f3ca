import type { ToolOutcome } from '@countersign/core';
import { modelContent, modelInstruction } from '@countersign/core/adapters';
import { describe, expect, it } from 'vitest';
import { deniedReason, toolCallContent } from './tool-output.js';

describe('toolCallContent', () => {
  it("is core's modelContent, the form every adapter sends (test/adapter-instructions.test.ts compares the adapters)", () => {
    expect(toolCallContent).toBe(modelContent);
  });

  it('gives the SDK denial the shared instruction too', () => {
    const denied: ToolOutcome<unknown> = { status: 'denied', tool: 'create_payout', approvalId: 'req-1' };
    expect(deniedReason(denied)).toBe(`Declined at the authorization server. ${modelInstruction(denied)}`);
  });
});
