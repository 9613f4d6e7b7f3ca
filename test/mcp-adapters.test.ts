/**
 * MCP tools in agent loops (issue 16, item 3): the tools of a protected MCP server (the SDK's
 * McpServer over Streamable HTTP, @countersign/server enforcing), wrapped by `mcpTools`, given to
 * a real LangChain agent (LangGraph interrupt) and to real OpenAI clients (Chat Completions through
 * the `openai` package, the Agents SDK), each driven by a scripted model. A risky MCP tool pauses
 * with approval_pending, is approved in the devkit's real authorization server, and its
 * `tools/call` then runs exactly once on the MCP server, however often the loop resumes.
 */
import { Agent as SdkAgent, OpenAIResponsesModel, Runner } from '@openai/agents';
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { MemorySaver } from '@langchain/langgraph';
import { createAgent as createLangChainAgent } from 'langchain';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Agent } from '@countersign/core';
import { TREASURY_SCOPES, startDevStack, type DevStack } from '@countersign/devkit';
import { countersignMiddleware, countersignTools, findApprovalInterrupts, isApprovalInterrupt, resumeWhenDecided, type ApprovalInterrupt } from '@countersign/langchain';
import { mcpTools, type McpGuardedTool, type McpToolsOptions } from '@countersign/mcp';
import { createAgentsTools, createChatCompletionsTools, replaceToolMessages, type ToolCallContent } from '@countersign/openai';
import { startScriptedOpenAIServer, type ScriptedOpenAIServer } from '../packages/openai/src/testing/scripted-openai-server.js';
import { startTreasuryMcpServer, type TreasuryMcpServer } from '../examples/mcp-payout/treasury-mcp-server.js';
import { createDevAgent } from './helpers/dev-agent.js';
import { treasuryMcpToolsOptions } from './helpers/treasury-mcp-options.js';

let stack: DevStack;
let mcp: TreasuryMcpServer;
let model: ScriptedOpenAIServer;
let openai: OpenAI;
let dev: Awaited<ReturnType<typeof createDevAgent>>;
let agent: Agent;
let options: McpToolsOptions;

beforeAll(async () => {
  mcp = await startTreasuryMcpServer({});
  stack = await startDevStack({ port: 0, toolApiPort: 0, pollInterval: 1, resources: [{ url: mcp.url, scopes: TREASURY_SCOPES }] });
  await mcp.trust(stack.issuer);
  model = await startScriptedOpenAIServer();
  openai = new OpenAI({ apiKey: 'test-key', baseURL: model.baseURL, maxRetries: 0 });
  dev = await createDevAgent(stack, [...TREASURY_SCOPES]);
  agent = dev.agent;
  options = treasuryMcpToolsOptions(mcp.url);
});
afterAll(async () => {
  await mcp?.close();
  await model?.close();
  await dev?.close();
  await stack?.close();
});
beforeEach(() => {
  model.requests.length = 0;
});

const payout = (amount: number, recipient = 'ACME Supplies Ltd') => ({ accountId: 'acc_operating', recipient, amount, currency: 'EUR' });
/** The devkit's pending request bound to these arguments (by the hash the agent computed). */
const devkitRequest = (argsSha256: string) => {
  const request = stack.approvals.list().find((view) => view.status === 'pending' && view.argsSha256 === argsSha256);
  if (request === undefined) throw new Error('no pending devkit request for these arguments');
  return request;
};
/** Payouts the MCP server executed for `recipient`. */
const paidTo = (recipient: string) => mcp.payouts.filter((executed) => executed.recipient === recipient);
/** The text of an MCP tool result, as the adapters hand it to the model. */
const mcpText = (result: unknown) => (result as { content: Array<{ text: string }> }).content[0]!.text;
const content = (text: unknown) => JSON.parse(text as string) as ToolCallContent;

describe('LangChain agent with MCP tools', () => {
  const toolMessages = (messages: BaseMessage[]) => messages.filter((message): message is ToolMessage => ToolMessage.isInstance(message));
  const interruptsOf = (result: unknown) => ((result as { __interrupt__?: Array<{ id: string; value: unknown }> }).__interrupt__ ?? []);
  const echoLastTool = (messages: BaseMessage[]) => new AIMessage(`model read: ${String(toolMessages(messages).at(-1)?.content)}`);

  it('reads through MCP, pauses the MCP payout for approval, and pays once after approval despite repeated resumes', async () => {
    const guarded = await mcpTools(agent, options);
    const tools = countersignTools(guarded);
    const args = payout(120, 'LangChain Supplies');
    const scripted = fakeModel()
      .respondWithTools([
        { name: 'list_accounts', args: {}, id: 'lc-read' },
        { name: 'create_payout', args, id: 'lc-pay' },
      ])
      .respond(echoLastTool);
    const langchainAgent = createLangChainAgent({ model: scripted, tools, middleware: [countersignMiddleware()], checkpointer: new MemorySaver() });
    const config = { configurable: { thread_id: 'mcp-langchain' } };

    const first = await langchainAgent.invoke({ messages: [new HumanMessage('pay 120 EUR')] }, config);
    const pauses = interruptsOf(first);
    expect(pauses).toHaveLength(1);
    expect(isApprovalInterrupt(pauses[0]!.value)).toBe(true);
    const value = pauses[0]!.value as ApprovalInterrupt;
    expect(value).toMatchObject({ toolCallId: 'lc-pay', tool: 'create_payout', approver: 'alice', bindingMessage: 'Pay 120 EUR to LangChain Supplies' });
    expect(paidTo('LangChain Supplies')).toEqual([]);

    const request = devkitRequest(value.argsSha256);
    expect(request).toMatchObject({ tool: 'create_payout', loginHint: 'alice', bindingMessage: value.bindingMessage });
    await stack.approvals.approve(request.id, 'alice');
    const { state, resumes, settlements } = await resumeWhenDecided(langchainAgent, config, { tools, pollIntervalMs: 250 });
    expect(resumes).toBe(1);
    expect(settlements).toEqual([{ approvalId: value.approvalId, toolCallId: 'lc-pay', tool: 'create_payout', status: 'done' }]);
    expect(paidTo('LangChain Supplies')).toEqual([expect.objectContaining({ accountId: 'acc_operating', amount: 120, currency: 'EUR' })]);

    const messages = new Map(toolMessages(state!.messages).map((message) => [message.tool_call_id, message]));
    expect(String(messages.get('lc-read')?.content)).toContain('acc_operating');
    expect(messages.get('lc-pay')?.artifact).toMatchObject({ kind: 'countersign.done', approvalId: value.approvalId });
    expect(state!.messages.at(-1)?.content).toContain('model read:');

    // Resumed again (the loop, and the tool directly, twice at once): the stored outcome, no second payout.
    expect(await findApprovalInterrupts(langchainAgent, config)).toEqual([]);
    expect(await resumeWhenDecided(langchainAgent, config, { tools })).toMatchObject({ resumes: 0 });
    const payoutTool = guarded.find((tool) => tool.name === 'create_payout') as McpGuardedTool;
    const twice = await Promise.all([payoutTool.resume(value.approvalId, args), payoutTool.resume(value.approvalId, args)]);
    expect(twice.map((outcome) => outcome.status)).toEqual(['done', 'done']);
    expect(paidTo('LangChain Supplies')).toHaveLength(1);
  });

  it('pauses an MCP tool the server holds without announcing it (close_account), then runs it once', async () => {
    const tools = countersignTools(await mcpTools(agent, options));
    const scripted = fakeModel().respondWithTools([{ name: 'close_account', args: { accountId: 'acc_langchain_old' }, id: 'lc-close' }]).respond(echoLastTool);
    const langchainAgent = createLangChainAgent({ model: scripted, tools, middleware: [countersignMiddleware()], checkpointer: new MemorySaver() });
    const config = { configurable: { thread_id: 'mcp-langchain-close' } };
    const [pause] = interruptsOf(await langchainAgent.invoke({ messages: [new HumanMessage('close the old account')] }, config));
    const value = pause!.value as ApprovalInterrupt;
    expect(value).toMatchObject({ tool: 'close_account', bindingMessage: 'Close account acc_langchain_old' });
    expect(mcp.closedAccounts).not.toContain('acc_langchain_old');
    await stack.approvals.approve(devkitRequest(value.argsSha256).id, 'alice');
    const { settlements } = await resumeWhenDecided(langchainAgent, config, { tools, pollIntervalMs: 250 });
    expect(settlements.map((settlement) => settlement.status)).toEqual(['done']);
    expect(mcp.closedAccounts.filter((account) => account === 'acc_langchain_old')).toHaveLength(1);
  });
});

describe('OpenAI clients with MCP tools', () => {
  it('Chat Completions: the MCP payout waits, runs once after approval, and the model reads each step', async () => {
    const tools = createChatCompletionsTools(await mcpTools(agent, options));
    model.script({
      toolCalls: [
        { id: 'call_mcp_read', name: 'list_accounts', arguments: '{}' },
        { id: 'call_mcp_pay', name: 'create_payout', arguments: payout(75, 'Chat Supplies') },
      ],
    });
    let messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Pay 75 EUR' }];
    const assistant = (await openai.chat.completions.create({ model: 'gpt-test', messages, tools: tools.definitions })).choices[0]!.message;
    expect(JSON.stringify(model.requests.at(-1)!.body.tools)).toContain('create_payout');
    const replies = await tools.handle(assistant.tool_calls);
    messages.push(assistant, ...replies);

    const read = content(replies[0]!.content);
    expect(read.status === 'done' && mcpText(read.result)).toContain('acc_operating');
    expect(content(replies[1]!.content)).toMatchObject({ status: 'approval_pending', approver: 'alice', bindingMessage: 'Pay 75 EUR to Chat Supplies' });
    expect(paidTo('Chat Supplies')).toEqual([]);

    expect(await tools.resume()).toEqual([]);
    await stack.approvals.approve(devkitRequest(tools.pendingCalls()[0]!.argsSha256).id, 'alice');
    // Two resumes at once (a double click, two workers): one tools/call, the same answer.
    const [finals, twin] = await Promise.all([tools.resume({ wait: true }), tools.resume({ wait: true })]);
    expect(finals.map((final) => final.tool_call_id)).toEqual(['call_mcp_pay']);
    expect(twin.map((final) => final.content)).toEqual(finals.map((final) => final.content));
    const done = content(finals[0]!.content);
    expect(done).toMatchObject({ status: 'done', approvedBy: ['alice'] });
    expect(done.status === 'done' && mcpText(done.result)).toContain('payoutId');
    expect(paidTo('Chat Supplies')).toHaveLength(1);

    messages = replaceToolMessages(messages, finals);
    model.script({ text: 'Paid.' });
    await openai.chat.completions.create({ model: 'gpt-test', messages, tools: tools.definitions });
    expect(model.requests.at(-1)!.body.messages).toContainEqual(finals[0]);
    // The same tool call handled again: the stored outcome.
    const again = await tools.handle(assistant.tool_calls!.slice(1));
    expect(content(again[0]!.content)).toMatchObject({ status: 'done' });
    expect(paidTo('Chat Supplies')).toHaveLength(1);
  });

  it('shows the model the parameters the MCP server declares, and refuses malformed arguments before asking anyone', async () => {
    const tools = createChatCompletionsTools(await mcpTools(agent, options));
    const payoutDefinition = tools.definitions.find((definition) => definition.function.name === 'create_payout')!;
    expect(payoutDefinition.function.parameters).toMatchObject({
      type: 'object',
      properties: { accountId: { type: 'string' }, recipient: { type: 'string' }, amount: { type: 'number' }, currency: { type: 'string' } },
      required: expect.arrayContaining(['accountId', 'recipient', 'amount', 'currency']),
    });
    const requests = stack.approvals.list().length;
    const [reply] = await tools.handle([
      { id: 'call_mcp_bad', type: 'function', function: { name: 'create_payout', arguments: JSON.stringify({ ...payout(10, 'Malformed Ltd'), amount: 'ten' }) } },
    ]);
    expect((content(reply!.content) as { error: { code: string } }).error.code).toBe('ERR_INVALID_ARGUMENTS');
    expect(stack.approvals.list()).toHaveLength(requests);
    expect(paidTo('Malformed Ltd')).toEqual([]);
  });

  it('Agents SDK: the MCP payout interrupts the run, is settled from the devkit decision, runs once, and the model reads it', async () => {
    const countersign = await createAgentsTools(await mcpTools(agent, options));
    const runner = new Runner({ tracingDisabled: true });
    const treasurer = new SdkAgent({ name: 'treasurer', instructions: 'Pay suppliers.', model: new OpenAIResponsesModel(openai, 'gpt-test'), tools: countersign.tools });
    model.script({ toolCalls: [{ id: 'call_agents_mcp', name: 'create_payout', arguments: payout(64, 'Agents Supplies') }] });
    let result = await runner.run(treasurer, 'pay 64 EUR');
    expect(result.interruptions.map((item) => item.name)).toEqual(['create_payout']);
    const [pending] = countersign.pendingCalls(result.interruptions);
    expect(pending).toMatchObject({ callId: 'call_agents_mcp', approver: 'alice', bindingMessage: 'Pay 64 EUR to Agents Supplies' });
    expect((await countersign.settle(result.state)).pending).toHaveLength(1);
    expect(paidTo('Agents Supplies')).toEqual([]);

    await stack.approvals.approve(devkitRequest(pending!.argsSha256).id, 'alice');
    const settled = await countersign.settle(result.state, { wait: true });
    expect(settled.approved.map(({ outcome }) => outcome.status)).toEqual(['done']);
    expect(paidTo('Agents Supplies')).toHaveLength(1);

    model.script({ text: 'Paid Agents Supplies.' });
    result = await runner.run(treasurer, result.state);
    expect(result.finalOutput).toBe('Paid Agents Supplies.');
    const outputs = (model.requests.at(-1)!.body.input as Array<Record<string, unknown>>).filter((item) => item.type === 'function_call_output');
    expect(outputs).toHaveLength(1);
    const output = content(typeof outputs[0]!.output === 'string' ? outputs[0]!.output : JSON.stringify(outputs[0]!.output));
    expect(output).toMatchObject({ status: 'done', approvedBy: ['alice'] });
    expect(paidTo('Agents Supplies')).toHaveLength(1);
  });
});
