import OpenAI from 'openai';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useGuardTestBench, type BenchTools } from '@countersign/core/testing';
import { startDevStack } from '@countersign/devkit';

// The real guard on the devkit's authorization server: one stack and agent for the file.
const bench = useGuardTestBench({ beforeAll, afterAll }, () => startDevStack({ port: 0, toolApiPort: 0 }));
import { createResponsesTools, replaceFunctionCallOutputs } from './responses.js';
import type { ToolCallContent } from './tool-output.js';
import type { PendingToolCall } from './lib/guarded-tool-calls.js';
import { startScriptedOpenAIServer, type ScriptedOpenAIServer } from './testing/scripted-openai-server.js';

const payoutArgs = { accountId: 'acc-1', recipient: 'ACME', amount: 250, currency: 'EUR', memo: null };

let server: ScriptedOpenAIServer;
let openai: OpenAI;
let guarded: BenchTools;
let listAccounts: BenchTools['listAccounts'];
let createPayout: BenchTools['createPayout'];
let executions: BenchTools['executions'];

beforeAll(async () => {
  server = await startScriptedOpenAIServer();
  openai = new OpenAI({ apiKey: 'test-key', baseURL: server.baseURL, maxRetries: 0 });
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  server.requests.length = 0;
  guarded = await bench().tools({ approver: 'bob' });
  ({ listAccounts, createPayout, executions } = guarded);
});

const pendingOf = (tools: { pendingCalls(): PendingToolCall[] }, callId: string) => tools.pendingCalls().find((call) => call.callId === callId)!;
const content = (item: { output: unknown }) => JSON.parse(item.output as string) as ToolCallContent;

describe('createResponsesTools with the openai client', () => {
  it('sends flat function tools and answers function_call items with function_call_output, same call_id, in order', async () => {
    const tools = createResponsesTools([listAccounts, createPayout]);
    server.script({
      text: 'Let me check.',
      toolCalls: [
        { id: 'call_read', name: 'list_accounts', arguments: '{}' },
        { id: 'call_pay', name: 'create_payout', arguments: payoutArgs },
      ],
    });
    const input: ResponseInputItem[] = [{ role: 'user', content: 'pay ACME' }];
    const response = await openai.responses.create({ model: 'gpt-test', input, tools: tools.definitions });
    const sentTools = server.requests[0]!.body.tools as Array<Record<string, unknown>>;
    expect(sentTools.map((tool) => [tool.type, tool.name, tool.strict])).toEqual([
      ['function', 'list_accounts', true],
      ['function', 'create_payout', true],
    ]);

    const outputs = await tools.handle(response.output);
    expect(outputs.map((output) => [output.type, output.call_id, content(output).status])).toEqual([
      ['function_call_output', 'call_read', 'done'],
      ['function_call_output', 'call_pay', 'approval_pending'],
    ]);
    expect(content(outputs[1]!)).toMatchObject({ approver: 'bob', bindingMessage: 'Pay 250 EUR to ACME' });
    expect(executions.createPayout).toHaveLength(0);

    // The model reads the pending output.
    input.push(...(response.output as ResponseInputItem[]), ...outputs);
    server.script({ text: 'Waiting for bob.' });
    await openai.responses.create({ model: 'gpt-test', input, tools: tools.definitions });
    expect(server.requests[1]!.body.input).toContainEqual(outputs[1]);

    expect(await tools.resume()).toEqual([]);
    await bench().approve(pendingOf(tools, 'call_pay'), 'bob');
    const finals = await tools.resume({ wait: true });
    expect(finals.map((output) => [output.call_id, content(output).status])).toEqual([['call_pay', 'done']]);
    expect(content(finals[0]!)).toMatchObject({ result: { payoutId: 'payout-1' }, approvedBy: ['bob'] });
    expect(executions.createPayout).toHaveLength(1);

    const updated = replaceFunctionCallOutputs(input, finals);
    expect(updated.filter((item) => item.type === 'function_call_output')).toEqual([outputs[0], finals[0]]);
    server.script({ text: 'Paid.' });
    await openai.responses.create({ model: 'gpt-test', input: updated, tools: tools.definitions });
    expect(server.requests[2]!.body.input).toContainEqual(finals[0]);
    expect(await tools.resume()).toEqual([]);
    expect(executions.createPayout).toHaveLength(1);
  });

  it('lets a denial reach the model; nothing runs', async () => {
    const tools = createResponsesTools([createPayout]);
    server.script({ toolCalls: [{ id: 'call_d', name: 'create_payout', arguments: payoutArgs }] });
    const response = await openai.responses.create({ model: 'gpt-test', input: 'pay', tools: tools.definitions });
    await tools.handle(response.output);
    await bench().deny(pendingOf(tools, 'call_d'), 'wrong account');
    const [final] = await tools.resume({ wait: true });
    expect(content(final!)).toMatchObject({ status: 'denied', reason: 'the approver denied the request: wrong account' });
    server.script({ text: 'It was declined.' });
    await openai.responses.create({ model: 'gpt-test', previous_response_id: response.id, input: [final!], tools: tools.definitions });
    expect(JSON.stringify(server.requests.at(-1)!.body.input)).toContain('wrong account');
    expect(executions.createPayout).toHaveLength(0);
  });

  it('answers malformed function calls with the error and ignores items that are not function calls', async () => {
    const tools = createResponsesTools([listAccounts, createPayout]);
    server.script({
      text: 'trying',
      toolCalls: [
        { id: 'call_json', name: 'create_payout', arguments: 'not json' },
        { id: 'call_schema', name: 'create_payout', arguments: { ...payoutArgs, extra: 'field', amount: 'lots' } },
        { id: 'call_unknown', name: 'wire_money', arguments: '{}' },
      ],
    });
    const response = await openai.responses.create({ model: 'gpt-test', input: 'go', tools: tools.definitions });
    expect(response.output.some((item) => item.type === 'message')).toBe(true);
    const outputs = await tools.handle(response.output);
    expect(outputs.map((output) => [output.call_id, content(output).status])).toEqual([
      ['call_json', 'failed'],
      ['call_schema', 'failed'],
      ['call_unknown', 'failed'],
    ]);
    expect(outputs.map((output) => (content(output) as { error: { code: string } }).error.code)).toEqual([
      'ERR_INVALID_ARGUMENTS',
      'ERR_INVALID_ARGUMENTS',
      'ERR_UNKNOWN_TOOL',
    ]);
    expect(guarded.approvalRequests()).toBe(0);
    expect(executions.createPayout).toHaveLength(0);
  });
});
