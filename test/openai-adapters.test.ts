/**
 * @countersign/openai on the devkit's real servers: the real authorization server (CIBA, DPoP) and
 * treasury API, the real core guard, the real `openai` client (pointed at a local server that
 * scripts the model) and the real Agents SDK (its OpenAI Responses model on that same server).
 * Payouts are counted on the treasury API's own balances.
 */
import { Agent as SdkAgent, OpenAIResponsesModel, Runner } from '@openai/agents';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAgent, generateKey, guardTool, type Agent, type GuardedTool } from '@countersign/core';
import { startDevStack, type DevStack } from '@countersign/devkit';
import { createAgentsTools, createChatCompletionsTools, createResponsesTools, replaceToolMessages, type ToolCallContent } from '@countersign/openai';
import { startScriptedOpenAIServer, type ScriptedOpenAIServer } from '../packages/openai/src/testing/scripted-openai-server.js';

type Accounts = { accounts: Array<{ id: string; balance: number; currency: string }> };

let stack: DevStack;
let model: ScriptedOpenAIServer;
let openai: OpenAI;
let agent: Agent;
let listAccounts: GuardedTool;
let createPayout: GuardedTool;
let functionRuns: number;

beforeAll(async () => {
  stack = await startDevStack({ port: 0, toolApiPort: 0 });
  model = await startScriptedOpenAIServer();
  openai = new OpenAI({ apiKey: 'test-key', baseURL: model.baseURL, maxRetries: 0 });
  agent = await createAgent({ issuer: stack.issuer, clientId: 'openai-adapter-agent', key: await generateKey() });
  stack.registerAgent({ clientId: 'openai-adapter-agent', jwks: await agent.publicJwks(), scopes: ['accounts:read', 'payouts:write'] });
  const treasury = stack.toolApiUrl;
  listAccounts = guardTool(agent, {
    name: 'list_accounts',
    description: 'Lists the treasury accounts.',
    schema: z.object({}),
    risk: 'read',
    resource: treasury,
    scope: 'accounts:read',
    execute: async (_args, { fetch }) => (await fetch(`${treasury}/accounts`)).json(),
  });
  createPayout = guardTool(agent, {
    name: 'create_payout',
    description: 'Sends money from a treasury account.',
    schema: z.object({ accountId: z.string(), recipient: z.string(), amount: z.number().positive(), currency: z.string(), memo: z.string().optional() }),
    risk: 'irreversible',
    resource: treasury,
    scope: 'payouts:write',
    approval: {
      approver: 'alice',
      describe: (args) => `Pay ${args.amount} ${args.currency} to ${args.recipient}`,
      details: (args) => ({ amount: args.amount, currency: args.currency }),
    },
    async execute(args, { fetch }) {
      functionRuns += 1;
      const response = await fetch(`${treasury}/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args) });
      if (!response.ok) throw new Error(`payout refused (HTTP ${response.status})`);
      return (await response.json()) as { payoutId: string };
    },
  });
});
afterAll(async () => {
  await agent?.close();
  await model?.close();
  await stack?.close();
});
beforeEach(() => {
  functionRuns = 0;
  model.requests.length = 0;
});

const content = (text: unknown) => JSON.parse(text as string) as ToolCallContent;
const balance = async (accountId: string) => {
  const response = await agent.fetch(`${stack.toolApiUrl}/accounts`, { resource: stack.toolApiUrl, scope: 'accounts:read' });
  return ((await response.json()) as Accounts).accounts.find((account) => account.id === accountId)!.balance;
};
/** The devkit's view of the request a pending call made, found by the arguments hash it is bound to. */
const devkitRequest = (argsSha256: string) => stack.approvals.list().find((view) => view.argsSha256 === argsSha256)!;
const payout = (amount: number, memo: string | null = null) => ({ accountId: 'acc_operating', recipient: 'ACME Supplies Ltd', amount, currency: 'EUR', memo });

describe('Chat Completions on the devkit stack', () => {
  it('reads, waits for approval, executes the payout once after approval, and the model reads each step', async () => {
    const tools = createChatCompletionsTools([listAccounts, createPayout]);
    const startBalance = await balance('acc_operating');
    model.script({
      toolCalls: [
        { id: 'call_read', name: 'list_accounts', arguments: '{}' },
        { id: 'call_pay', name: 'create_payout', arguments: payout(125, 'invoice 7') },
      ],
    });
    let messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Pay ACME 125 EUR' }];
    const assistant = (await openai.chat.completions.create({ model: 'gpt-test', messages, tools: tools.definitions })).choices[0]!.message;
    const replies = await tools.handle(assistant.tool_calls);
    messages.push(assistant, ...replies);

    const read = content(replies[0]!.content);
    expect(read.status === 'done' && (read.result as Accounts).accounts.map((account) => account.id)).toContain('acc_operating');
    const pending = content(replies[1]!.content);
    expect(pending).toMatchObject({ status: 'approval_pending', approver: 'alice', bindingMessage: 'Pay 125 EUR to ACME Supplies Ltd' });
    const [call] = tools.pendingCalls();
    const request = devkitRequest(call!.argsSha256);
    expect(request).toMatchObject({ status: 'pending', loginHint: 'alice', tool: 'create_payout', bindingMessage: 'Pay 125 EUR to ACME Supplies Ltd' });
    expect(Math.abs(Date.parse(call!.expiresAt) - Date.parse(request.expiresAt))).toBeLessThan(2000);
    expect(await balance('acc_operating')).toBe(startBalance);

    model.script({ text: 'Waiting for alice.' });
    await openai.chat.completions.create({ model: 'gpt-test', messages, tools: tools.definitions });
    expect(JSON.stringify(model.requests.at(-1)!.body.messages)).toContain('approval_pending');

    expect(await tools.resume()).toEqual([]);
    await stack.approvals.approve(request.id, 'alice');
    const finals = await tools.resume({ wait: true });
    expect(finals.map((final) => final.tool_call_id)).toEqual(['call_pay']);
    expect(content(finals[0]!.content)).toMatchObject({ status: 'done', approvedBy: ['alice'] });
    expect(await balance('acc_operating')).toBe(startBalance - 125);

    messages = replaceToolMessages(messages, finals);
    model.script({ text: 'Paid.' });
    await openai.chat.completions.create({ model: 'gpt-test', messages, tools: tools.definitions });
    expect(model.requests.at(-1)!.body.messages).toContainEqual(finals[0]);

    // Resumed again, or the same tool call handled again: the stored outcome, no second payout.
    expect(await tools.resume()).toEqual([]);
    const again = await tools.handle(assistant.tool_calls!.slice(1));
    expect(content(again[0]!.content)).toMatchObject({ status: 'done' });
    expect(await balance('acc_operating')).toBe(startBalance - 125);
    expect(functionRuns).toBe(1);
  });

  it('does what the model is told: a new call with the same arguments checks on the waiting approval and never asks twice', async () => {
    const tools = createChatCompletionsTools([createPayout]);
    const startBalance = await balance('acc_operating');
    const first = await tools.handle([{ id: 'call_first', type: 'function', function: { name: 'create_payout', arguments: JSON.stringify(payout(31, 'same args')) } }]);
    const pending = content(first[0]!.content);
    expect(pending.status === 'approval_pending' && pending.note).toContain('call create_payout again with exactly the same arguments');
    const approvalsBefore = stack.approvals.list().length;
    const second = await tools.handle([{ id: 'call_second', type: 'function', function: { name: 'create_payout', arguments: JSON.stringify(payout(31, 'same args')) } }]);
    expect(content(second[0]!.content)).toMatchObject({ status: 'approval_pending', approvalId: pending.status === 'approval_pending' ? pending.approvalId : 'none' });
    expect(stack.approvals.list()).toHaveLength(approvalsBefore);
    // Other arguments are another action: a new approval.
    await tools.handle([{ id: 'call_other', type: 'function', function: { name: 'create_payout', arguments: JSON.stringify(payout(32, 'other args')) } }]);
    expect(stack.approvals.list()).toHaveLength(approvalsBefore + 1);

    const [waiting, , other] = tools.pendingCalls();
    await stack.approvals.approve(devkitRequest(waiting!.argsSha256).id, 'alice');
    await stack.approvals.deny(devkitRequest(other!.argsSha256).id, 'alice', 'one payout is enough');
    const finals = await tools.resume({ wait: true });
    expect(finals.map((final) => [final.tool_call_id, content(final.content).status])).toEqual([
      ['call_first', 'done'],
      ['call_second', 'done'],
      ['call_other', 'denied'],
    ]);
    expect(functionRuns).toBe(1);
    expect(await balance('acc_operating')).toBe(startBalance - 31);
  });

  it('lets a denial reach the model; nothing is paid', async () => {
    const tools = createChatCompletionsTools([createPayout]);
    const startBalance = await balance('acc_operating');
    const [reply] = await tools.handle([{ id: 'call_deny', type: 'function', function: { name: 'create_payout', arguments: JSON.stringify(payout(60)) } }]);
    expect(content(reply!.content).status).toBe('approval_pending');
    await stack.approvals.deny(devkitRequest(tools.pendingCalls()[0]!.argsSha256).id, 'alice', 'unknown supplier');
    const finals = await tools.resume({ wait: true });
    expect(content(finals[0]!.content)).toMatchObject({ status: 'denied', reason: expect.stringContaining('unknown supplier') });

    model.script({ text: 'Declined.' });
    await openai.chat.completions.create({
      model: 'gpt-test',
      messages: replaceToolMessages([{ role: 'user', content: 'pay' }, { role: 'assistant', content: null, tool_calls: [{ id: 'call_deny', type: 'function', function: { name: 'create_payout', arguments: JSON.stringify(payout(60)) } }] }, reply!], finals),
      tools: tools.definitions,
    });
    expect(JSON.stringify(model.requests.at(-1)!.body.messages)).toContain('unknown supplier');
    expect(await balance('acc_operating')).toBe(startBalance);
    expect(functionRuns).toBe(0);
  });

  it('shows dual-control progress, and pays only after the second distinct approver', async () => {
    const tools = createChatCompletionsTools([createPayout]);
    const startBalance = await balance('acc_operating');
    await tools.handle([{ id: 'call_dual', type: 'function', function: { name: 'create_payout', arguments: JSON.stringify(payout(5000)) } }]);
    const request = devkitRequest(tools.pendingCalls()[0]!.argsSha256);
    expect(request.requiredApprovals).toBe(2);
    await stack.approvals.approve(request.id, 'alice');
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the devkit's poll interval
    expect(await tools.resume()).toEqual([]);
    expect(tools.pendingCalls()[0]!.progress).toMatchObject({ required: 2, received: [expect.objectContaining({ subject: 'alice' })] });
    expect(await balance('acc_operating')).toBe(startBalance);
    await stack.approvals.approve(request.id, 'bob');
    const [final] = await tools.resume({ wait: true });
    expect(content(final!.content)).toMatchObject({ status: 'done', approvedBy: ['alice', 'bob'] });
    expect(await balance('acc_operating')).toBe(startBalance - 5000);
  });

  it('answers malformed arguments with the error; no approval is requested and nothing runs', async () => {
    const tools = createChatCompletionsTools([listAccounts, createPayout]);
    const requestsBefore = stack.approvals.list().length;
    const replies = await tools.handle([
      { id: 'call_json', type: 'function', function: { name: 'create_payout', arguments: '{"amount": 10' } },
      { id: 'call_schema', type: 'function', function: { name: 'create_payout', arguments: JSON.stringify({ ...payout(10), amount: 'ten' }) } },
      { id: 'call_unknown', type: 'function', function: { name: 'transfer_all', arguments: '{}' } },
    ]);
    expect(replies.map((reply) => (content(reply.content) as { error: { code: string } }).error.code)).toEqual([
      'ERR_INVALID_ARGUMENTS',
      'ERR_INVALID_ARGUMENTS',
      'ERR_UNKNOWN_TOOL',
    ]);
    expect(stack.approvals.list()).toHaveLength(requestsBefore);
    expect(functionRuns).toBe(0);
  });
});

describe('Responses API on the devkit stack', () => {
  it('waits, executes once after approval (even resumed twice at once), and answers with function_call_output for the same call_id', async () => {
    const tools = createResponsesTools([listAccounts, createPayout]);
    const startBalance = await balance('acc_operating');
    model.script({ toolCalls: [{ id: 'call_r', name: 'create_payout', arguments: payout(40) }] });
    const input: ResponseInputItem[] = [{ role: 'user', content: 'pay 40' }];
    const response = await openai.responses.create({ model: 'gpt-test', input, tools: tools.definitions });
    const outputs = await tools.handle(response.output);
    expect(outputs).toEqual([{ type: 'function_call_output', call_id: 'call_r', output: expect.stringContaining('approval_pending') }]);
    await stack.approvals.approve(devkitRequest(tools.pendingCalls()[0]!.argsSha256).id, 'alice');
    // Two resumes at once (a double click, two workers): one payout, the same answer.
    const [finals, twin] = await Promise.all([tools.resume({ wait: true }), tools.resume({ wait: true })]);
    expect(finals.map((final) => [final.call_id, content(final.output).status])).toEqual([['call_r', 'done']]);
    expect(twin.map((final) => final.output)).toEqual(finals.map((final) => final.output));

    model.script({ text: 'Paid.' });
    await openai.responses.create({ model: 'gpt-test', previous_response_id: response.id, input: finals, tools: tools.definitions });
    expect(model.requests.at(-1)!.body.input).toEqual(finals);
    expect(await tools.resume()).toEqual([]);
    expect(await balance('acc_operating')).toBe(startBalance - 40);
    expect(functionRuns).toBe(1);
  });
});

describe('Agents SDK on the devkit stack', () => {
  const runner = new Runner({ tracingDisabled: true });
  const sdkModel = () => new OpenAIResponsesModel(openai, 'gpt-test');
  /** The tool outputs the SDK sent the model in its last request, by call id. */
  const lastToolOutputs = () => {
    const outputs: Record<string, string> = {};
    for (const item of model.requests.at(-1)!.body.input as Array<Record<string, any>>) {
      if (item.type === 'function_call_output') outputs[item.call_id] = typeof item.output === 'string' ? item.output : JSON.stringify(item.output);
    }
    return outputs;
  };

  it('interrupts the payout, settles it from the devkit decision, executes once, and the model reads the result', async () => {
    const countersign = await createAgentsTools([listAccounts, createPayout]);
    const treasurer = new SdkAgent({ name: 'treasurer', instructions: 'Pay suppliers.', model: sdkModel(), tools: countersign.tools });
    const startBalance = await balance('acc_operating');
    model.script({
      toolCalls: [
        { id: 'call_agents_read', name: 'list_accounts', arguments: '{}' },
        { id: 'call_agents_pay', name: 'create_payout', arguments: payout(30) },
      ],
    });
    let result = await runner.run(treasurer, 'pay ACME 30 EUR');
    expect(result.interruptions.map((item) => item.name)).toEqual(['create_payout']);
    const [pending] = countersign.pendingCalls(result.interruptions);
    expect(pending).toMatchObject({ callId: 'call_agents_pay', approver: 'alice', bindingMessage: 'Pay 30 EUR to ACME Supplies Ltd' });

    // A local approval alone is not the approver's: the state is serializable, the decision is not.
    expect((await countersign.settle(result.state)).pending).toHaveLength(1);
    await stack.approvals.approve(devkitRequest(pending!.argsSha256).id, 'alice');
    const settled = await countersign.settle(result.state, { wait: true });
    expect(settled.approved.map(({ outcome }) => outcome.status)).toEqual(['done']);
    expect(await balance('acc_operating')).toBe(startBalance - 30);

    model.script({ text: 'Paid ACME.' });
    result = await runner.run(treasurer, result.state);
    expect(result.finalOutput).toBe('Paid ACME.');
    const outputs = lastToolOutputs();
    expect(content(outputs.call_agents_pay)).toMatchObject({ status: 'done', approvedBy: ['alice'] });
    expect(content(outputs.call_agents_read)).toMatchObject({ status: 'done' });
    expect(await balance('acc_operating')).toBe(startBalance - 30);
    expect(functionRuns).toBe(1);
  });

  it('lets a denial reach the model; a locally approved interruption without the approver runs nothing', async () => {
    const countersign = await createAgentsTools([createPayout]);
    const treasurer = new SdkAgent({ name: 'treasurer', model: sdkModel(), tools: countersign.tools });
    const startBalance = await balance('acc_operating');

    model.script({ toolCalls: [{ id: 'call_local', name: 'create_payout', arguments: payout(20) }] }, { text: 'Still waiting.' });
    let result = await runner.run(treasurer, 'pay 20');
    result.state.approve(result.interruptions[0]!);
    result = await runner.run(treasurer, result.state);
    expect(content(lastToolOutputs().call_local)).toMatchObject({ status: 'approval_pending' });
    expect(await balance('acc_operating')).toBe(startBalance);

    model.script({ toolCalls: [{ id: 'call_denied', name: 'create_payout', arguments: payout(21) }] }, { text: 'Declined.' });
    result = await runner.run(treasurer, 'pay 21');
    const [pending] = countersign.pendingCalls(result.interruptions);
    await stack.approvals.deny(devkitRequest(pending!.argsSha256).id, 'alice', 'not approved by finance');
    expect((await countersign.settle(result.state, { wait: true })).rejected.map(({ outcome }) => outcome.status)).toEqual(['denied']);
    result = await runner.run(treasurer, result.state);
    expect(content(lastToolOutputs().call_denied)).toMatchObject({ status: 'denied', reason: expect.stringContaining('not approved by finance') });
    expect(await balance('acc_operating')).toBe(startBalance);
    expect(functionRuns).toBe(0);
  });
});
