import { describe, expect, it } from 'vitest';
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { Command, END, MemorySaver, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode, toolsCondition } from '@langchain/langgraph/prebuilt';
import { createAgent, type HITLRequest, type HITLResponse } from 'langchain';
import { ConfigurationError } from '@countersign/core';
import { countersignTool, countersignTools, guardedToolOf } from './countersign-tool.js';
import { countersignMiddleware } from './middleware.js';
import { isApprovalInterrupt, type ApprovalInterrupt } from './approval-interrupt.js';
import { MissingCheckpointerError } from './errors.js';
import { payoutArgs, payoutTool, useGuardBench } from './test-support/fixtures.js';

const bench = useGuardBench();

const toolMessages = (messages: BaseMessage[]) => messages.filter((message): message is ToolMessage => ToolMessage.isInstance(message));
const interruptsOf = (result: unknown) => ((result as { __interrupt__?: Array<{ id: string; value: unknown }> }).__interrupt__ ?? []);
const thread = (id: string) => ({ configurable: { thread_id: id } });
/** A scripted final answer that repeats what the model last read from a tool. */
const echoLastTool = (messages: BaseMessage[]) => new AIMessage(`model read: ${String(toolMessages(messages).at(-1)?.content)}`);

describe('countersignTool with createAgent (interrupt mode)', () => {
  it('carries the name, description and zod schema over, and runs a read tool at once', async () => {
    const { listAccounts: accounts, executions } = await bench().tools();
    const langchainTool = countersignTool(accounts);
    expect(langchainTool.name).toBe('list_accounts');
    expect(langchainTool.description).toBe(accounts.description);
    expect(langchainTool.schema).toBe(accounts.schema);
    expect(guardedToolOf(langchainTool)).toBe(accounts);

    const model = fakeModel().respondWithTools([{ name: 'list_accounts', args: {}, id: 'read-1' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools: [langchainTool], checkpointer: new MemorySaver() });
    const result = await agent.invoke({ messages: [new HumanMessage('balances?')] }, thread('read'));
    expect(interruptsOf(result)).toEqual([]);
    const [message] = toolMessages(result.messages);
    expect(message?.tool_call_id).toBe('read-1');
    expect(JSON.parse(String(message?.content))).toEqual({ accounts: ['acc-1'] });
    expect(message?.artifact).toMatchObject({ kind: 'countersign.done', tool: 'list_accounts' });
    expect(executions.listAccounts).toBe(1);
  });

  it('pauses on a payout with the approval payload, then resumes the same call and pays once', async () => {
    const { tool: payout, paid, tools: guarded } = await payoutTool(bench());
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'pay-1' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools: [countersignTool(payout)], middleware: [countersignMiddleware()], checkpointer: new MemorySaver() });
    const config = thread('pay');

    const first = await agent.invoke({ messages: [new HumanMessage('pay ACME')] }, config);
    const [pause] = interruptsOf(first);
    expect(isApprovalInterrupt(pause?.value)).toBe(true);
    const value = pause!.value as ApprovalInterrupt;
    expect(value).toEqual({
      kind: 'countersign.approval_pending',
      approvalId: (await guarded.requested())[0],
      toolCallId: 'pay-1',
      tool: 'create_payout',
      bindingMessage: 'Pay 250 EUR to ACME Supplies Ltd',
      approver: 'alice',
      expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      argsSha256: expect.stringMatching(/^[\w-]{43}$/),
      actionRequests: [
        { name: 'create_payout', args: payoutArgs, description: 'Pay 250 EUR to ACME Supplies Ltd (waits for alice to approve it at the authorization server)' },
      ],
      reviewConfigs: [{ actionName: 'create_payout', allowedDecisions: ['approve', 'edit', 'reject'] }],
    });
    expect(JSON.parse(JSON.stringify(value))).toEqual(value);
    expect(paid()).toEqual([]);
    expect(model.callCount).toBe(1);

    // Resumed before anyone decided: it pauses again, asks nobody twice, pays nothing.
    const early = await agent.invoke(new Command({ resume: { [pause!.id]: 'go on' } }), config);
    expect(interruptsOf(early).map((entry) => (entry.value as ApprovalInterrupt).approvalId)).toEqual([value.approvalId]);
    expect(await guarded.requested()).toHaveLength(1);
    expect(paid()).toEqual([]);

    await guarded.approve(value.approvalId);
    const [again] = interruptsOf(early);
    const done = await agent.invoke(new Command({ resume: { [again!.id]: 'decided' } }), config);
    expect(interruptsOf(done)).toEqual([]);
    expect(paid()).toEqual([payoutArgs]);
    expect(paid()).toHaveLength(1);
    const [message] = toolMessages(done.messages);
    expect(message).toMatchObject({ tool_call_id: 'pay-1', status: 'success', content: '{"payoutId":"payout-1"}' });
    expect(message?.artifact).toMatchObject({ kind: 'countersign.done', approvalId: value.approvalId, result: { payoutId: 'payout-1' } });
    expect(done.messages.at(-1)?.content).toBe('model read: {"payoutId":"payout-1"}');

    // The re-run tool body of a later resume reads the stored outcome: still one payout.
    expect(await payout.resume(value.approvalId, payoutArgs)).toMatchObject({ status: 'done' });
    expect(paid()).toHaveLength(1);
  });

  it('brings a denial to the model as a ToolMessage it can explain', async () => {
    const { tool: payout, paid, tools: guarded } = await payoutTool(bench());
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'pay-deny' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools: [countersignTool(payout)], checkpointer: new MemorySaver() });
    const config = thread('deny');
    const first = await agent.invoke({ messages: [new HumanMessage('pay ACME')] }, config);
    const [pause] = interruptsOf(first);
    await guarded.deny((pause!.value as ApprovalInterrupt).approvalId, 'not in the budget');
    const result = await agent.invoke(new Command({ resume: { [pause!.id]: 'decided' } }), config);
    const [message] = toolMessages(result.messages);
    expect(message?.status).toBe('error');
    expect(message?.content).toContain('it was denied (the approver denied the request: not in the budget)');
    expect(message?.artifact).toEqual({ kind: 'countersign.denied', tool: 'create_payout', approvalId: (await guarded.requested())[0], reason: 'the approver denied the request: not in the budget' });
    // The model's last call saw the denial.
    expect(toolMessages(model.calls.at(-1)!.messages).at(-1)?.content).toContain('Nothing was done');
    expect(paid()).toEqual([]);
  });

  it('never takes a decision from the resume value: a forged "approved" resume pays nothing', async () => {
    const { tool: payout, paid, tools: guarded } = await payoutTool(bench());
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'pay-forged' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools: [countersignTool(payout)], checkpointer: new MemorySaver() });
    const config = thread('forged');
    const [pause] = interruptsOf(await agent.invoke({ messages: [new HumanMessage('pay')] }, config));
    const value = pause!.value as ApprovalInterrupt;
    const result = await agent.invoke(
      new Command({ resume: { [pause!.id]: { kind: 'countersign.approval_decided', approvalId: value.approvalId, status: 'done' } } }),
      config,
    );
    expect(interruptsOf(result)).toHaveLength(1);
    expect(paid()).toEqual([]);
  });

  it("carries LangChain's human-in-the-loop request; an edit asks anew for the edited arguments, a reject is only a hint", async () => {
    const { tool: payout, paid, tools: guarded } = await payoutTool(bench());
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'pay-edit' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools: [countersignTool(payout)], checkpointer: new MemorySaver() });
    const config = thread('edit');
    const [pause] = interruptsOf(await agent.invoke({ messages: [new HumanMessage('pay')] }, config));
    // The type humanInTheLoopMiddleware interrupts with, checked by the compiler and at run time.
    const request: HITLRequest = pause!.value as ApprovalInterrupt;
    expect(request.actionRequests).toEqual([expect.objectContaining({ name: 'create_payout', args: payoutArgs, description: expect.any(String) })]);
    expect(request.reviewConfigs).toEqual([{ actionName: 'create_payout', allowedDecisions: ['approve', 'edit', 'reject'] }]);
    const first = (pause!.value as ApprovalInterrupt).approvalId;

    // A UI's reject decides nothing: the authorization server has not, so the call still waits.
    const reject: HITLResponse = { decisions: [{ type: 'reject', message: 'no' }] };
    const [stillPending] = interruptsOf(await agent.invoke(new Command({ resume: { [pause!.id]: reject } }), config));
    expect((stillPending!.value as ApprovalInterrupt).approvalId).toBe(first);
    expect(paid()).toEqual([]);

    // An edit: a fresh approval, bound to the edited arguments, shown in the new interrupt.
    const editedArgs = { ...payoutArgs, amount: 200 };
    const edit: HITLResponse = { decisions: [{ type: 'edit', editedAction: { name: 'create_payout', args: editedArgs } }] };
    const [editedPause] = interruptsOf(await agent.invoke(new Command({ resume: { [stillPending!.id]: edit } }), config));
    const edited = editedPause!.value as ApprovalInterrupt;
    expect(edited.approvalId).not.toBe(first);
    expect(await guarded.requested()).toEqual([first, edited.approvalId]);
    expect(edited.actionRequests[0]!.args).toEqual(editedArgs);
    expect(edited.bindingMessage).toBe('Pay 200 EUR to ACME Supplies Ltd');

    // Approving the original runs nothing; approving the edited call pays exactly the edited arguments once.
    await guarded.approve(first);
    const [waiting] = interruptsOf(await agent.invoke(new Command({ resume: { [editedPause!.id]: { decisions: [{ type: 'approve' }] } } }), config));
    expect(paid()).toEqual([]);
    await guarded.approve(edited.approvalId);
    const done = await agent.invoke(new Command({ resume: { [waiting!.id]: { decisions: [{ type: 'approve' }] } } }), config);
    expect(interruptsOf(done)).toEqual([]);
    expect(paid()).toEqual([editedArgs]);
    expect(paid()).toHaveLength(1);
  });

  it('gives two parallel payouts in one turn an approval each and resumes both with a resume map', async () => {
    const { tool: payout, paid, tools: guarded } = await payoutTool(bench());
    const second = { ...payoutArgs, recipient: 'Globex', amount: 90 };
    const model = fakeModel()
      .respondWithTools([
        { name: 'create_payout', args: payoutArgs, id: 'pay-a' },
        { name: 'create_payout', args: second, id: 'pay-b' },
      ])
      .respond(echoLastTool);
    const agent = createAgent({ model, tools: [countersignTool(payout)], checkpointer: new MemorySaver() });
    const config = thread('parallel');
    const pauses = interruptsOf(await agent.invoke({ messages: [new HumanMessage('pay both')] }, config));
    const values = pauses.map((entry) => entry.value as ApprovalInterrupt);
    expect(values.map((value) => value.toolCallId).sort()).toEqual(['pay-a', 'pay-b']);
    expect(new Set(values.map((value) => value.approvalId)).size).toBe(2);

    const byCall = Object.fromEntries(values.map((value) => [value.toolCallId, value.approvalId]));
    await guarded.approve(byCall['pay-a']!);
    await guarded.deny(byCall['pay-b']!, 'unknown recipient');
    const result = await agent.invoke(new Command({ resume: Object.fromEntries(pauses.map((entry) => [entry.id, 'decided'])) }), config);
    expect(interruptsOf(result)).toEqual([]);
    expect(paid()).toEqual([payoutArgs]);
    const messages = Object.fromEntries(toolMessages(result.messages).map((message) => [message.tool_call_id, message]));
    expect(messages['pay-a']?.artifact).toMatchObject({ kind: 'countersign.done' });
    expect(messages['pay-b']?.artifact).toMatchObject({ kind: 'countersign.denied', reason: 'the approver denied the request: unknown recipient' });
  });

  it('scopes call ids to the thread: two threads whose model reuses an id do not share a call', async () => {
    const { tool: payout, tools: guarded } = await payoutTool(bench());
    const tools = [countersignTool(payout)];
    // Other arguments in the second thread: identical ones would be coalesced onto the first
    // thread's pending request by design (same agent, tool and arguments hash), whatever the id.
    const model = fakeModel()
      .respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'same-id' }])
      .respondWithTools([{ name: 'create_payout', args: { ...payoutArgs, amount: payoutArgs.amount + 1 }, id: 'same-id' }]);
    const agent = createAgent({ model, tools, checkpointer: new MemorySaver() });
    const first = interruptsOf(await agent.invoke({ messages: [new HumanMessage('pay')] }, thread('one')));
    const second = interruptsOf(await agent.invoke({ messages: [new HumanMessage('pay')] }, thread('two')));
    expect((first[0]!.value as ApprovalInterrupt).approvalId).not.toBe((second[0]!.value as ApprovalInterrupt).approvalId);
    expect(await guarded.requested()).toHaveLength(2);
  });
});

describe('a missing checkpointer', () => {
  it('is a typed error out of agent.invoke() with the middleware, and nobody is asked to approve', async () => {
    const { tool: payout, tools: guarded } = await payoutTool(bench());
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'pay-nocp' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools: [countersignTool(payout)], middleware: [countersignMiddleware()] });
    const failure = await agent.invoke({ messages: [new HumanMessage('pay')] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MissingCheckpointerError);
    expect(failure).toMatchObject({ code: 'ERR_MISSING_CHECKPOINTER', tool: 'create_payout' });
    expect((failure as Error).message).toContain('checkpointer');
    expect(await guarded.requested()).toEqual([]);
  });

  it('keeps other tools’ errors as ToolMessages for the model when the middleware is installed', async () => {
    const flaky = tool(() => Promise.reject(new Error('rates service is down')), { name: 'get_rates', description: 'FX rates', schema: z.object({}) });
    const model = fakeModel().respondWithTools([{ name: 'get_rates', args: {}, id: 'rates-1' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools: [flaky], middleware: [countersignMiddleware()] });
    const result = await agent.invoke({ messages: [new HumanMessage('rates?')] });
    expect(toolMessages(result.messages)[0]).toMatchObject({ status: 'error', tool_call_id: 'rates-1' });
    expect(String(toolMessages(result.messages)[0]?.content)).toContain('rates service is down');
  });

  it('without the middleware, LangChain turns it into an error ToolMessage (its behaviour for any tool error)', async () => {
    const { tool: payout, tools: guarded } = await payoutTool(bench());
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'pay-nomw' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools: [countersignTool(payout)] });
    const result = await agent.invoke({ messages: [new HumanMessage('pay')] });
    expect(String(toolMessages(result.messages)[0]?.content)).toContain('MissingCheckpointerError');
    expect(await guarded.requested()).toEqual([]);
  });

  it('is thrown by a direct call outside any graph', async () => {
    const { tool: payout, tools: guarded } = await payoutTool(bench());
    await expect(countersignTool(payout).invoke(payoutArgs)).rejects.toBeInstanceOf(MissingCheckpointerError);
    await expect(
      countersignTool(payout).invoke({ name: 'create_payout', args: payoutArgs, id: 'direct-1', type: 'tool_call' }),
    ).rejects.toThrow(/only works inside a graph/);
  });

  it('is thrown out of a LangGraph ToolNode with handleToolErrors: false', async () => {
    const { tool: payout, tools: guarded } = await payoutTool(bench());
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'pay-graph' }]);
    const graph = new StateGraph(MessagesAnnotation)
      .addNode('agent', async (state) => ({ messages: [await model.invoke(state.messages)] }))
      .addNode('tools', new ToolNode([countersignTool(payout)], { handleToolErrors: false }))
      .addEdge(START, 'agent')
      .addConditionalEdges('agent', toolsCondition, ['tools', END])
      .addEdge('tools', 'agent')
      .compile();
    await expect(graph.invoke({ messages: [new HumanMessage('pay')] })).rejects.toBeInstanceOf(MissingCheckpointerError);
  });
});

describe('countersignTool in message mode', () => {
  it('tells the model who must approve, lets the loop go on, and resumes on a later call with the same arguments', async () => {
    const { tool: payout, paid, tools: guarded } = await payoutTool(bench());
    const model = fakeModel()
      .respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'msg-1' }])
      .respond(new AIMessage('The payout awaits approval by alice.'))
      .respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'msg-2' }])
      .respond(echoLastTool);
    // No checkpointer needed: nothing pauses.
    const agent = createAgent({ model, tools: countersignTools([payout], { mode: 'message' }) });

    const first = await agent.invoke({ messages: [new HumanMessage('pay ACME')] });
    expect(interruptsOf(first)).toEqual([]);
    const [pending] = toolMessages(first.messages);
    expect(pending?.status).toBe('success');
    expect(pending?.content).toContain('waits for approval by alice');
    expect(pending?.content).toContain('"Pay 250 EUR to ACME Supplies Ltd"');
    expect(pending?.content).toContain('call create_payout again with exactly the same arguments');
    expect(pending?.artifact).toMatchObject({ kind: 'countersign.approval_pending', toolCallId: 'msg-1', approver: 'alice', approvalId: (await guarded.requested())[0] });
    expect(first.messages.at(-1)?.content).toBe('The payout awaits approval by alice.');

    await guarded.approve((await guarded.requested())[0]!);
    const second = await agent.invoke({ messages: [...first.messages, new HumanMessage('is it paid?')] });
    const done = toolMessages(second.messages).at(-1);
    expect(done).toMatchObject({ tool_call_id: 'msg-2', content: '{"payoutId":"payout-1"}' });
    expect(done?.artifact).toMatchObject({ kind: 'countersign.done', approvalId: (await guarded.requested())[0] });
    expect(await guarded.requested()).toHaveLength(1);
    expect(paid()).toHaveLength(1);
  });

  it('asks again for different arguments, and after a final outcome', async () => {
    const { tool: payout, tools: guarded } = await payoutTool(bench());
    const langchainTool = countersignTool(payout, { mode: 'message' });
    const call = (id: string, args: object) => langchainTool.invoke({ name: 'create_payout', args, id, type: 'tool_call' });
    await call('c1', payoutArgs);
    await call('c2', { ...payoutArgs, amount: 300 });
    expect(await guarded.requested()).toHaveLength(2);
    await guarded.deny((await guarded.requested())[0]!, 'no');
    const denied = (await call('c3', payoutArgs)) as ToolMessage;
    expect(denied.artifact).toMatchObject({ kind: 'countersign.denied', approvalId: (await guarded.requested())[0] });
    await call('c4', payoutArgs);
    expect(await guarded.requested()).toHaveLength(3);
  });

  it('returns plain content when called without a tool call', async () => {
    const { tool: payout, tools: guarded } = await payoutTool(bench());
    const content = await countersignTool(payout, { mode: 'message' }).invoke(payoutArgs);
    expect(content).toContain('waits for approval by alice');
  });
});

describe('invalid arguments from the model', () => {
  it('come back as an error ToolMessage and reach no guard', async () => {
    const { tool: payout, tools: guarded } = await payoutTool(bench());
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: { ...payoutArgs, amount: -5 }, id: 'bad-1' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools: [countersignTool(payout)], middleware: [countersignMiddleware()], checkpointer: new MemorySaver() });
    const result = await agent.invoke({ messages: [new HumanMessage('pay')] }, thread('invalid'));
    expect(toolMessages(result.messages)[0]).toMatchObject({ status: 'error', tool_call_id: 'bad-1' });
    expect(await guarded.requested()).toEqual([]);
  });
});

describe('countersignMiddleware', () => {
  it('registers tools with the agent', async () => {
    const { listAccounts: accounts, executions } = await bench().tools();
    const model = fakeModel().respondWithTools([{ name: 'list_accounts', args: {}, id: 'mw-read-1' }]).respond(echoLastTool);
    const agent = createAgent({ model, middleware: [countersignMiddleware({ tools: [countersignTool(accounts)] })] });
    const result = await agent.invoke({ messages: [new HumanMessage('balances?')] });
    expect(toolMessages(result.messages)[0]?.artifact).toMatchObject({ kind: 'countersign.done', tool: 'list_accounts' });
    expect(executions.listAccounts).toBe(1);
  });
});

describe('countersignTool options', () => {
  it('refuses an unknown mode', async () => {
    const { tool: payout } = await payoutTool(bench());
    expect(() => countersignTool(payout, { mode: 'later' as never })).toThrow(ConfigurationError);
  });
});
