import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError, type GuardedTool } from '@countersign/core';
import { countersignTools } from './countersign-tools.js';

/** A guard that records its invocations; the adapter must only forward to it. */
function recordingGuard(name: string, risk: GuardedTool['risk']) {
  const calls: Array<{ args: unknown; callId: string | undefined }> = [];
  const guard = {
    name,
    description: `${name} tool`,
    schema: z.object({ amount: z.number() }),
    risk,
    invoke: async (args: unknown, options?: { callId?: string }) => {
      calls.push({ args, callId: options?.callId });
      return { status: 'done' as const, tool: name, result: { ok: true }, argsSha256: 'hash' };
    },
    resume: async () => ({ status: 'failed' as const, tool: name, error: new Error('unused') }),
    authorizationDetails: () => [],
  } as unknown as GuardedTool;
  return { guard, calls };
}

describe('countersignTools', () => {
  it('gives each guarded tool an AI SDK tool; only irreversible ones get an approval function', () => {
    const { tools, toolApproval } = countersignTools([recordingGuard('read_it', 'read').guard, recordingGuard('pay', 'irreversible').guard]);
    expect(Object.keys(tools)).toEqual(['read_it', 'pay']);
    expect(tools.pay!.description).toBe('pay tool');
    expect(toolApproval.read_it).toBe('not-applicable');
    expect(typeof toolApproval.pay).toBe('function');
  });

  it('executes through the guard with the model tool call id, and answers with the outcome content', async () => {
    const { guard, calls } = recordingGuard('read_it', 'read');
    const { tools } = countersignTools([guard]);
    const output = await tools.read_it!.execute!({ amount: 1 }, { toolCallId: 'call_1', messages: [] } as never);
    expect(output).toEqual({ status: 'done', tool: 'read_it', result: { ok: true } });
    expect(calls).toEqual([{ args: { amount: 1 }, callId: 'call_1' }]);
  });

  it('refuses two tools with one name and a negative decision timeout', () => {
    expect(() => countersignTools([recordingGuard('a', 'read').guard, recordingGuard('a', 'write').guard])).toThrow(ConfigurationError);
    expect(() => countersignTools([], { decisionTimeoutMs: -1 })).toThrow(ConfigurationError);
  });
});
