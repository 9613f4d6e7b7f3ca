import { describe, expect, it } from 'vitest';
import { modelContent } from '@countersign/core/adapters';
import { formatToolOutcome, toolCallContent } from './tool-output.js';

describe('toolCallContent', () => {
  it("is core's modelContent, the form every adapter sends", () => {
    expect(toolCallContent).toBe(modelContent);
  });

  it('formats as JSON, and a result JSON cannot carry as text instead of throwing', () => {
    expect(JSON.parse(formatToolOutcome({ status: 'done', tool: 't', result: [1], argsSha256: 'h' }))).toEqual({ status: 'done', tool: 't', result: [1] });
    expect(JSON.parse(formatToolOutcome({ status: 'done', tool: 't', result: 10n, argsSha256: 'h' }))).toEqual({ status: 'done', tool: 't', result: '10' });
  });
});
