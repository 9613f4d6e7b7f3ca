import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '@countersign/core';
import { useGuardTestBench } from '@countersign/core/testing';
import { startDevStack } from '@countersign/devkit';

// The real guard on the devkit's authorization server: one stack and agent for the file.
const bench = useGuardTestBench({ beforeAll, afterAll }, () => startDevStack({ port: 0, toolApiPort: 0 }));
import { countersignTools } from './countersign-tools.js';


const payoutArgs = { accountId: 'acc-1', recipient: 'ACME', amount: 250, currency: 'EUR' };

describe('countersignTools', () => {
  it('gives each guarded tool an AI SDK tool; only irreversible ones get an approval function', async () => {
    const { listAccounts, createPayout } = await bench().tools();
    const { tools, toolApproval } = countersignTools([listAccounts, createPayout]);
    expect(Object.keys(tools)).toEqual(['list_accounts', 'create_payout']);
    expect(tools.create_payout!.description).toBe(createPayout.description);
    expect(toolApproval.list_accounts).toBe('not-applicable');
    expect(typeof toolApproval.create_payout).toBe('function');
  });

  it('executes through the guard with the model tool call id, and answers with the outcome content', async () => {
    const { listAccounts, createPayout, executions, ledger } = await bench().tools();
    const { tools } = countersignTools([listAccounts, createPayout]);
    const output = await tools.list_accounts!.execute!({}, { toolCallId: 'call_1', messages: [] } as never);
    expect(output).toEqual({ status: 'done', tool: 'list_accounts', result: { accounts: ['acc-1'] } });
    expect(executions.listAccounts).toBe(1);
    const pending = await tools.create_payout!.execute!(payoutArgs, { toolCallId: 'call_2', messages: [] } as never);
    expect(pending).toMatchObject({ status: 'approval_pending', approver: 'alice', bindingMessage: 'Pay 250 EUR to ACME' });
    // The guard keyed the call on the model's tool call id: a re-run of call_2 resumes it.
    expect((await ledger.findByCall('create_payout', 'call_2'))?.id).toBe((pending as { approvalId: string }).approvalId);
    expect(executions.createPayout).toEqual([]);
  });

  it('refuses two tools with one name and a negative decision timeout', async () => {
    const first = await bench().tools();
    const second = await bench().tools();
    expect(() => countersignTools([first.listAccounts, second.listAccounts])).toThrow(ConfigurationError);
    expect(() => countersignTools([], { decisionTimeoutMs: -1 })).toThrow(ConfigurationError);
  });
});
