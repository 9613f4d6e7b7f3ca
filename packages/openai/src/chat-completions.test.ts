import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GuardedTool } from '@countersign/core';
import { useGuardTestBench, type BenchTools } from '@countersign/core/testing';
import { startDevStack } from '@countersign/devkit';

// The real guard on the devkit's authorization server: one stack and agent for the file.
const bench = useGuardTestBench({ beforeAll, afterAll }, () => startDevStack({ port: 0, toolApiPort: 0 }));
import { createChatCompletionsTools, replaceToolMessages } from './chat-completions.js';
import type { ToolCallContent } from './tool-output.js';
import type { PendingToolCall } from './lib/guarded-tool-calls.js';
import { startScriptedOpenAIServer, type ScriptedOpenAIServer } from './testing/scripted-openai-server.js';

const payoutArgs = { accountId: 'acc-1', recipient: 'ACME', amount: 250, currency: 'EUR', memo: null };

let server: ScriptedOpenAIServer;
let openai: OpenAI;
let listAccounts: BenchTools['listAccounts'];
let createPayout: BenchTools['createPayout'];
let executions: BenchTools['executions'];
let guarded: BenchTools;

// Each test gets fresh guarded tools with a ledger of their own, on the file's one devkit stack and
// agent (the real guard: real CIBA requests, decided at the devkit).
beforeAll(async () => {
  server = await startScriptedOpenAIServer();
  openai = new OpenAI({ apiKey: 'test-key', baseURL: server.baseURL, maxRetries: 0 });
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  server.requests.length = 0;
  guarded = await bench().tools();
  ({ listAccounts, createPayout, executions } = guarded);
});

/** The saved pending call of `callId`: what the human decides on. */
const pendingOf = (tools: { pendingCalls(): PendingToolCall[] }, callId: string) => tools.pendingCalls().find((call) => call.callId === callId)!;
const approvalIdOf = async (callId: string) => (await guarded.ledger.findByCall('create_payout', callId))?.id;

const content = (message: { content: unknown }) => JSON.parse(message.content as string) as ToolCallContent;

async function ask(messages: ChatCompletionMessageParam[], tools: ReturnType<typeof createChatCompletionsTools>) {
  const completion = await openai.chat.completions.create({ model: 'gpt-test', messages, tools: tools.definitions });
  return completion.choices[0]!.message;
}

describe('createChatCompletionsTools with the openai client', () => {
  it('sends the definitions as function tools, strict where the schema allows', async () => {
    const tools = createChatCompletionsTools([listAccounts, createPayout]);
    server.script({ text: 'hello' });
    await ask([{ role: 'user', content: 'hi' }], tools);
    const sent = server.requests[0]!.body.tools as Array<{ type: string; function: { name: string; strict: boolean; parameters: { required: string[] } } }>;
    expect(sent.map((tool) => [tool.type, tool.function.name, tool.function.strict])).toEqual([
      ['function', 'list_accounts', true],
      ['function', 'create_payout', true],
    ]);
    expect(sent[1]!.function.parameters.required).toContain('memo');
  });

  it('runs a read call and answers with its result', async () => {
    const tools = createChatCompletionsTools([listAccounts, createPayout]);
    server.script({ toolCalls: [{ id: 'call_read', name: 'list_accounts', arguments: '{}' }] });
    const message = await ask([{ role: 'user', content: 'accounts?' }], tools);
    const replies = await tools.handle(message.tool_calls);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ role: 'tool', tool_call_id: 'call_read' });
    expect(content(replies[0]!)).toEqual({ status: 'done', tool: 'list_accounts', result: { accounts: ['acc-1'] } });
    expect(executions.listAccounts).toBe(1);
  });

  it('answers a payout with approval_pending, then the final result for the same tool_call_id once approved, executing once', async () => {
    const tools = createChatCompletionsTools([listAccounts, createPayout]);
    server.script({ toolCalls: [{ id: 'call_pay', name: 'create_payout', arguments: payoutArgs }] });
    let messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'pay ACME 250 EUR' }];
    const assistant = await ask(messages, tools);
    const replies = await tools.handle(assistant.tool_calls);
    messages.push(assistant, ...replies);

    const pending = content(replies[0]!);
    expect(pending).toMatchObject({
      status: 'approval_pending',
      tool: 'create_payout',
      approver: 'alice',
      bindingMessage: 'Pay 250 EUR to ACME',
      approvalId: await approvalIdOf('call_pay'),
    });
    expect(pending.status === 'approval_pending' && Date.parse(pending.expiresAt)).toBeGreaterThan(Date.now());
    expect(executions.createPayout).toHaveLength(0);
    expect(tools.pendingCalls()).toEqual([
      expect.objectContaining({ callId: 'call_pay', tool: 'create_payout', approver: 'alice', arguments: JSON.stringify(payoutArgs) }),
    ]);

    // The model reads the pending state.
    server.script({ text: 'Waiting for alice to approve the payout.' });
    await ask(messages, tools);
    expect(server.requests.at(-1)!.body.messages).toContainEqual({ role: 'tool', tool_call_id: 'call_pay', content: replies[0]!.content });

    expect(await tools.resume()).toEqual([]); // undecided: nothing to report, still pending
    expect(tools.pendingCalls()).toHaveLength(1);

    await bench().approve(pendingOf(tools, 'call_pay'), 'alice');
    const finals = await tools.resume({ wait: true });
    expect(finals).toHaveLength(1);
    expect(finals[0]!.tool_call_id).toBe('call_pay');
    expect(content(finals[0]!)).toMatchObject({ status: 'done', result: { payoutId: 'payout-1' }, approvedBy: ['alice'] });
    expect(executions.createPayout).toHaveLength(1);
    expect(executions.createPayout[0]!.args).toEqual({ accountId: 'acc-1', recipient: 'ACME', amount: 250, currency: 'EUR' });
    expect(tools.pendingCalls()).toEqual([]);
    expect(await tools.resume()).toEqual([]);

    // The resumed result replaces the pending one where it stands, and the model reads it.
    messages = replaceToolMessages(messages, finals);
    expect(messages.filter((message) => message.role === 'tool')).toEqual(finals);
    server.script({ text: 'Paid.' });
    await ask(messages, tools);
    expect(server.requests.at(-1)!.body.messages).toContainEqual(finals[0]);

    // The same call handled again (a re-run of the loop) returns the stored outcome: no second payout.
    const again = await tools.handle(assistant.tool_calls);
    expect(content(again[0]!)).toMatchObject({ status: 'done', result: { payoutId: 'payout-1' } });
    expect(executions.createPayout).toHaveLength(1);
    expect(guarded.approvalRequests()).toBe(1);
  });

  it('lets a denial reach the model, and nothing runs', async () => {
    const tools = createChatCompletionsTools([createPayout]);
    server.script({ toolCalls: [{ id: 'call_deny', name: 'create_payout', arguments: payoutArgs }] });
    const assistant = await ask([{ role: 'user', content: 'pay' }], tools);
    const replies = await tools.handle(assistant.tool_calls);
    await bench().deny(pendingOf(tools, 'call_deny'), 'not this supplier');
    const finals = await tools.resume({ wait: true });
    expect(content(finals[0]!)).toMatchObject({ status: 'denied', reason: 'the approver denied the request: not this supplier', tool: 'create_payout' });

    server.script({ text: 'The payout was declined.' });
    await ask(replaceToolMessages([{ role: 'user', content: 'pay' }, assistant, ...replies], finals), tools);
    const sent = server.requests.at(-1)!.body.messages as Array<{ role: string; content: string }>;
    expect(sent.find((message) => message.role === 'tool')!.content).toContain('not this supplier');
    expect(executions.createPayout).toHaveLength(0);
  });

  it('reports expiry as final', async () => {
    ({ createPayout, executions } = await bench().tools({ requestedExpiry: 2 }));
    const tools = createChatCompletionsTools([createPayout]);
    await tools.handle([{ id: 'call_x', type: 'function', function: { name: 'create_payout', arguments: JSON.stringify(payoutArgs) } }]);
    const [final] = await tools.resume({ wait: true }); // nobody decides
    expect(content(final!)).toMatchObject({ status: 'expired' });
    expect(executions.createPayout).toHaveLength(0);
  });

  it('answers malformed calls (bad JSON, schema violation, unknown tool, custom tool) with the error; nothing runs', async () => {
    const tools = createChatCompletionsTools([listAccounts, createPayout]);
    server.script({
      toolCalls: [
        { id: 'call_json', name: 'create_payout', arguments: '{"accountId": "acc-1", "amount": ' },
        { id: 'call_schema', name: 'create_payout', arguments: { accountId: 'acc-1', recipient: 'ACME', amount: -5, currency: 'EUR', memo: null } },
        { id: 'call_unknown', name: 'delete_everything', arguments: '{}' },
      ],
    });
    const assistant = await ask([{ role: 'user', content: 'go' }], tools);
    const replies = await tools.handle([
      ...assistant.tool_calls!,
      { id: 'call_custom', type: 'custom', custom: { name: 'shell', input: 'rm -rf /' } },
    ]);
    expect(replies.map((reply) => reply.tool_call_id)).toEqual(['call_json', 'call_schema', 'call_unknown', 'call_custom']);
    const [badJson, badSchema, unknown, custom] = replies.map(content);
    expect(badJson).toMatchObject({ status: 'failed', error: { code: 'ERR_INVALID_ARGUMENTS', issues: ['the arguments are not valid JSON'] } });
    expect(badSchema).toMatchObject({ status: 'failed', error: { code: 'ERR_INVALID_ARGUMENTS' } });
    expect(badSchema!.status === 'failed' && badSchema!.error.issues!.join()).toContain('amount');
    expect(unknown).toMatchObject({ status: 'failed', tool: 'delete_everything', error: { code: 'ERR_UNKNOWN_TOOL' } });
    expect(custom).toMatchObject({ status: 'failed', error: { code: 'ERR_UNKNOWN_TOOL' } });
    expect(guarded.approvalRequests()).toBe(0);
    expect(executions.createPayout).toHaveLength(0);
    expect(executions.listAccounts).toBe(0);
    expect(tools.pendingCalls()).toEqual([]);
  });

  it('keeps order and one message per call id with several calls in one turn', async () => {
    const tools = createChatCompletionsTools([listAccounts, createPayout]);
    server.script({
      toolCalls: [
        { id: 'call_a', name: 'create_payout', arguments: payoutArgs },
        { id: 'call_b', name: 'list_accounts', arguments: '' },
        { id: 'call_c', name: 'create_payout', arguments: { ...payoutArgs, amount: 10 } },
      ],
    });
    const assistant = await ask([{ role: 'user', content: 'go' }], tools);
    const replies = await tools.handle(assistant.tool_calls);
    expect(replies.map((reply) => [reply.tool_call_id, content(reply).status])).toEqual([
      ['call_a', 'approval_pending'],
      ['call_b', 'done'],
      ['call_c', 'approval_pending'],
    ]);
    await bench().approve(pendingOf(tools, 'call_c'));
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // both polls are due: only call_c is decided
    expect((await tools.resume()).map((reply) => reply.tool_call_id)).toEqual(['call_c']);
    await bench().approve(pendingOf(tools, 'call_a'));
    expect((await tools.resume({ wait: true })).map((reply) => reply.tool_call_id)).toEqual(['call_a']);
    expect(executions.createPayout.map((execution) => execution.args.amount)).toEqual([10, 250]);
  });

  it('resumes saved pending calls in a new instance (a restart), executing once', async () => {
    const before = createChatCompletionsTools([createPayout]);
    await before.handle([{ id: 'call_r', type: 'function', function: { name: 'create_payout', arguments: JSON.stringify(payoutArgs) } }]);
    const saved = JSON.parse(JSON.stringify(before.pendingCalls()));
    await bench().approve(saved[0]);

    const after = createChatCompletionsTools([createPayout]);
    const finals = await after.resume({ calls: saved, wait: true });
    expect(finals.map((reply) => [reply.tool_call_id, content(reply).status])).toEqual([['call_r', 'done']]);
    expect(await before.resume()).toEqual([expect.objectContaining({ tool_call_id: 'call_r' })]); // stored outcome, no second run
    expect(executions.createPayout).toHaveLength(1);
  });

  it('keeps a call pending when the decision cannot be read (server down) and says why', async () => {
    const tools = createChatCompletionsTools([createPayout]);
    await tools.handle([{ id: 'call_n', type: 'function', function: { name: 'create_payout', arguments: JSON.stringify(payoutArgs) } }]);
    await bench().approve(pendingOf(tools, 'call_n'));
    bench().failNextTokenRequest({ error: new Error('connect ECONNREFUSED') });
    expect(await tools.resume({ wait: true })).toEqual([]);
    expect(tools.pendingCalls()[0]!.lastError).toEqual({ code: 'ERR_NETWORK', message: expect.stringMatching(/\S/) });
    const [final] = await tools.resume({ wait: true });
    expect(content(final!)).toMatchObject({ status: 'done' });
    expect(executions.createPayout).toHaveLength(1);
  });

  it('keeps a call pending through a failed poll the guard marks retryable, whatever the error', async () => {
    const tools = createChatCompletionsTools([createPayout]);
    await tools.handle([{ id: 'call_o', type: 'function', function: { name: 'create_payout', arguments: JSON.stringify(payoutArgs) } }]);
    bench().failNextTokenRequest({ status: 500, body: { error: 'server_error', error_description: 'try later' } });
    expect(await tools.resume({ wait: true })).toEqual([]);
    expect(tools.pendingCalls()[0]!.lastError).toMatchObject({ code: 'ERR_OAUTH' });
    await bench().approve(pendingOf(tools, 'call_o'));
    expect(content((await tools.resume({ wait: true }))[0]!)).toMatchObject({ status: 'done' });
  });

  it('reports a tool that failed after approval as final, and does not run it again', async () => {
    const failing = await bench().tools({ payoutFailure: new Error('insufficient funds') });
    const tools = createChatCompletionsTools([failing.createPayout]);
    await tools.handle([{ id: 'call_f', type: 'function', function: { name: 'create_payout', arguments: JSON.stringify(payoutArgs) } }]);
    await bench().approve(pendingOf(tools, 'call_f'));
    const [final] = await tools.resume({ wait: true });
    expect(content(final!)).toMatchObject({ status: 'failed', error: { code: 'ERR_TOOL_EXECUTION', message: 'tool create_payout failed: insufficient funds' } });
    expect(tools.pendingCalls()).toEqual([]);
    expect(await tools.resume()).toEqual([]);
    expect(failing.executions.createPayout).toHaveLength(1);
  });

  it('waits for the decision with resume({ wait: true })', async () => {
    const tools = createChatCompletionsTools([createPayout]);
    await tools.handle([{ id: 'call_w', type: 'function', function: { name: 'create_payout', arguments: JSON.stringify(payoutArgs) } }]);
    setTimeout(() => void bench().approve(pendingOf(tools, 'call_w')), 30);
    const [final] = await tools.resume({ wait: true });
    expect(content(final!)).toMatchObject({ status: 'done' });
  });

  it('turns a guard that throws into a failed tool message', async () => {
    const throwing: GuardedTool = { ...listAccounts, name: 'list_accounts', invoke: () => Promise.reject(new Error('boom')) };
    const tools = createChatCompletionsTools([throwing]);
    const [reply] = await tools.handle([{ id: 'call_t', type: 'function', function: { name: 'list_accounts', arguments: '{}' } }]);
    expect(content(reply!)).toMatchObject({ status: 'failed', error: { code: 'ERR_TOOL_FAILED', message: 'boom' } });
  });

  it('passes an abort through instead of answering the model', async () => {
    const tools = createChatCompletionsTools([createPayout]);
    const controller = new AbortController();
    controller.abort(new Error('user left'));
    const call = { id: 'call_abort', type: 'function' as const, function: { name: 'create_payout', arguments: JSON.stringify(payoutArgs) } };
    await expect(tools.handle([call], { signal: controller.signal })).rejects.toThrow('user left');
    expect(guarded.approvalRequests()).toBe(0);
    await tools.handle([call]);
    // The guard sends nothing before the poll is due; waiting for it is what the abort stops.
    await expect(tools.resume({ signal: controller.signal, wait: true })).rejects.toThrow('user left');
    expect(tools.pendingCalls()).toHaveLength(1);
  });

  it('refuses tool names OpenAI does not accept, and duplicates', () => {
    expect(() => createChatCompletionsTools([{ ...listAccounts, name: 'list accounts' }])).toThrow(/must match/);
    expect(() => createChatCompletionsTools([listAccounts, listAccounts])).toThrow(/two tools/);
    expect(() => createChatCompletionsTools([])).toThrow(/at least one/);
  });
});
