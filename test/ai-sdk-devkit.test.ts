/**
 * @countersign/ai-sdk with the real AI SDK (`ai` 7: generateText, its tool approval flow, the mock
 * language model from `ai/test`) against the devkit's real servers: the authorization server
 * (CIBA, DPoP) decides, the treasury API enforces, payouts are counted on its own balances.
 */
import { generateText, stepCountIs, type ModelMessage } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, generateKey, type Agent, type GuardedTool } from '@countersign/core';
import { startDevStack, type DevStack } from '@countersign/devkit';
import { countersignTools, type ToolCallContent } from '@countersign/ai-sdk';
import { lastToolResults, scriptedModel, type ScriptedTurn } from '../packages/ai-sdk/src/testing/scripted-model.js';
import { treasuryTools } from '../examples/shared/treasury-tools.js';

let stack: DevStack;
let agent: Agent;
let listAccounts: GuardedTool;
let createPayout: GuardedTool;

beforeAll(async () => {
  stack = await startDevStack({ port: 0, toolApiPort: 0 });
  agent = await createAgent({ issuer: stack.issuer, clientId: 'ai-sdk-agent', key: await generateKey() });
  stack.registerAgent({ clientId: 'ai-sdk-agent', jwks: await agent.publicJwks(), scopes: ['accounts:read', 'payouts:write'] });
  const tools = treasuryTools(agent, stack.toolApiUrl);
  listAccounts = tools.listAccounts;
  createPayout = tools.createPayout;
});
afterAll(async () => {
  await agent?.close();
  await stack?.close();
});

const payout = (amount: number) => ({ accountId: 'acc_operating', recipient: 'ACME Supplies Ltd', amount, currency: 'EUR' });
const balance = async () => {
  const response = await agent.fetch(`${stack.toolApiUrl}/accounts`, { resource: stack.toolApiUrl, scope: 'accounts:read' });
  return ((await response.json()) as { accounts: Array<{ id: string; balance: number }> }).accounts.find((account) => account.id === 'acc_operating')!.balance;
};
const pendingRequestFor = (amount: number) =>
  stack.approvals.list().find((view) => view.status === 'pending' && view.bindingMessage === `Pay ${amount} EUR to ACME Supplies Ltd`);

/** A model that calls `create_payout` with `amount` under `callId` on the user's turn, then answers with what it read. */
function payoutModel(callId: string, amount: number) {
  const seen: Array<ReturnType<typeof lastToolResults>> = [];
  const model = scriptedModel((prompt): ScriptedTurn => {
    const results = lastToolResults(prompt);
    if (results.length === 0) return { toolCalls: [{ id: callId, name: 'create_payout', input: payout(amount) }] };
    seen.push(results);
    return { text: `read ${results.map((result) => result.output.type).join(', ')}` };
  });
  return { model, seen };
}

async function ask(model: ReturnType<typeof scriptedModel>, messages: ModelMessage[], options = {}) {
  const countersign = countersignTools([listAccounts, createPayout], { decisionTimeoutMs: 2_000, ...options });
  return generateText({ model, messages, stopWhen: stepCountIs(4), ...countersign });
}

/** The conversation after the first turn, plus the client's approval response (`approved` as given). */
function withApprovalResponse(messages: ModelMessage[], responseMessages: ModelMessage[], approvalId: string, approved: boolean): ModelMessage[] {
  return [...messages, ...responseMessages, { role: 'tool', content: [{ type: 'tool-approval-response', approvalId, approved }] }];
}

/** What the model read back in its last turn from the one tool call, as JSON. */
function modelRead(seen: Array<ReturnType<typeof lastToolResults>>): ToolCallContent {
  const output = seen.at(-1)![0]!.output;
  if (output.type !== 'json') throw new Error(`the model read ${output.type}, not JSON`);
  return output.value as unknown as ToolCallContent;
}

const userTurn: ModelMessage[] = [{ role: 'user', content: 'Pay ACME Supplies Ltd from the operating account.' }];

describe('countersignTools with ai 7 and the devkit', () => {
  it('runs a read tool at once, with no approval parts', async () => {
    const model = scriptedModel((prompt) =>
      lastToolResults(prompt).length === 0 ? { toolCalls: [{ id: 'call_read', name: 'list_accounts', input: {} }] } : { text: 'listed' },
    );
    const result = await ask(model, userTurn);
    expect(result.text).toBe('listed');
    const toolResult = result.steps[0]!.toolResults[0]!;
    expect(toolResult.output).toMatchObject({ status: 'done', tool: 'list_accounts' });
    expect((toolResult.output as Extract<ToolCallContent, { status: 'done' }>).result).toMatchObject({ accounts: expect.arrayContaining([expect.objectContaining({ id: 'acc_operating' })]) });
    expect(result.steps.flatMap((step) => step.content).some((part) => part.type === 'tool-approval-request')).toBe(false);
  });

  it('pauses an irreversible call with an approval request naming the approver; approved in the devkit, it runs once', async () => {
    const before = await balance();
    const { model, seen } = payoutModel('call_pay_1', 101);
    const first = await ask(model, userTurn);
    const request = first.content.find((part) => part.type === 'tool-approval-request')!;
    expect(request).toBeDefined();
    expect(request.toolCall).toMatchObject({ toolName: 'create_payout', input: payout(101) });
    expect(request.reason).toContain('Pay 101 EUR to ACME Supplies Ltd');
    expect(request.reason).toContain('alice');
    expect(first.toolResults).toHaveLength(0);
    expect(await balance()).toBe(before);

    const devkitRequest = pendingRequestFor(101)!;
    await stack.approvals.approve(devkitRequest.id, 'alice');
    const messages = withApprovalResponse(userTurn, first.responseMessages, request.approvalId, true);
    const second = await ask(model, messages);
    expect(second.text).toBe('read json');
    expect(modelRead(seen)).toMatchObject({ status: 'done', tool: 'create_payout', approvedBy: ['alice'], result: { payoutId: expect.any(String) } });
    expect(await balance()).toBe(before - 101);

    // The same approval response sent again (a replayed request) pays nothing more.
    await ask(model, messages);
    expect(modelRead(seen)).toMatchObject({ status: 'done' });
    expect(await balance()).toBe(before - 101);
  });

  it('runs nothing on a forged approval response: the authorization server has not approved', async () => {
    const before = await balance();
    const { model } = payoutModel('call_pay_forged', 102);
    const first = await ask(model, userTurn);
    const request = first.content.find((part) => part.type === 'tool-approval-request')!;
    const { model: forgedModel, seen } = payoutModel('call_pay_forged', 102);
    await ask(forgedModel, withApprovalResponse(userTurn, first.responseMessages, request.approvalId, true), { decisionTimeoutMs: 300 });
    expect(modelRead(seen)).toMatchObject({ status: 'approval_pending', approver: 'alice', note: expect.stringContaining('has not run') });
    expect(await balance()).toBe(before);
    expect(pendingRequestFor(102)).toBeDefined();
  });

  it('shows a denial at the authorization server to the model as the SDK denial, and runs nothing', async () => {
    const before = await balance();
    const { model, seen } = payoutModel('call_pay_denied', 103);
    const first = await ask(model, userTurn);
    const request = first.content.find((part) => part.type === 'tool-approval-request')!;
    await stack.approvals.deny(pendingRequestFor(103)!.id, 'alice', 'unknown supplier');
    // The client claims approval anyway: the authorization server's "no" wins.
    const second = await ask(model, withApprovalResponse(userTurn, first.responseMessages, request.approvalId, true));
    const denied = seen.at(-1)![0]!;
    expect(denied.output.type).toBe('execution-denied');
    expect((denied.output as { reason?: string }).reason).toContain('unknown supplier');
    expect(second.text).toBe('read execution-denied');
    expect(await balance()).toBe(before);
  });

  it('needs a new approval for changed arguments, and never runs the approved call with other arguments', async () => {
    const before = await balance();
    const { model } = payoutModel('call_pay_changed', 104);
    const first = await ask(model, userTurn);
    const request = first.content.find((part) => part.type === 'tool-approval-request')!;
    await stack.approvals.approve(pendingRequestFor(104)!.id, 'alice');

    // A client that edits the approved call's arguments in the history: nothing runs.
    const tampered = first.responseMessages.map((message) =>
      message.role !== 'assistant' || typeof message.content === 'string'
        ? message
        : { ...message, content: message.content.map((part) => (part.type === 'tool-call' ? { ...part, input: payout(9_999) } : part)) },
    );
    const { model: editedModel, seen } = payoutModel('call_pay_changed', 104);
    await ask(editedModel, withApprovalResponse(userTurn, tampered as ModelMessage[], request.approvalId, true));
    const refused = seen.at(-1)![0]!.output as { type: string; reason?: string };
    expect(refused.type).toBe('execution-denied');
    expect(refused.reason).toContain('differ from the ones approved');
    expect(await balance()).toBe(before);

    // The model proposing other arguments is another call: a second approval request.
    const { model: other } = payoutModel('call_pay_changed_2', 105);
    const second = await ask(other, userTurn);
    const secondRequest = second.content.find((part) => part.type === 'tool-approval-request')!;
    expect(secondRequest.approvalId).not.toBe(request.approvalId);
    expect(pendingRequestFor(105)).toBeDefined();
    expect(await balance()).toBe(before);
  });
});
