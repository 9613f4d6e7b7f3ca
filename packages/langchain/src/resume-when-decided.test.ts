import { describe, expect, it } from 'vitest';
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { END, MemorySaver, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode, toolsCondition } from '@langchain/langgraph/prebuilt';
import { createAgent } from 'langchain';
import { countersignTool } from './countersign-tool.js';
import { findApprovalInterrupts, resumeWhenDecided, type PendingApprovalInterrupt } from './resume-when-decided.js';
import { payoutArgs, payoutTool, useGuardBench } from './test-support/fixtures.js';

const bench = useGuardBench();

const toolMessages = (messages: BaseMessage[]) => messages.filter((message): message is ToolMessage => ToolMessage.isInstance(message));
const echoLastTool = (messages: BaseMessage[]) => new AIMessage(`model read: ${String(toolMessages(messages).at(-1)?.content)}`);
const thread = (id: string) => ({ configurable: { thread_id: id } });
const later = (milliseconds: number, action: () => void) => setTimeout(action, milliseconds);

describe('resumeWhenDecided', () => {
  it('waits for the decision without busy-waiting, then resumes the graph and the call runs once', async () => {
    const { tool: payout, paid, tools: guarded } = await payoutTool(bench());
    const tools = [countersignTool(payout)];
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'r-1' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools, checkpointer: new MemorySaver() });
    const config = thread('resumer-1');
    await agent.invoke({ messages: [new HumanMessage('pay')] }, config);
    const [approvalId] = await guarded.requested();
    const [pending] = await findApprovalInterrupts(agent, config);
    expect(pending?.value).toMatchObject({ toolCallId: 'r-1', approvalId });
    expect(pending?.interruptId).toMatch(/^[0-9a-f]{32}$/);

    later(1_500, () => void guarded.approve(approvalId!));
    const seen: PendingApprovalInterrupt[][] = [];
    const started = Date.now();
    const { state, settlements, resumes } = await resumeWhenDecided(agent, config, { tools, onPending: (entries) => void seen.push(entries) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_490);
    // The guard polls at the server's interval (1 s on the devkit), never in a tight loop.
    // The guard polls at the server's interval (1 s on the devkit), never in a tight loop. A poll
    // answered with a DPoP nonce challenge is sent again at once with the nonce (RFC 9449 §8): both
    // are one round.
    const rounds = bench()
      .cibaPolls()
      .filter((at) => at >= started)
      .filter((at, index, polls) => index === 0 || at - polls[index - 1]! > 250);
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    expect(rounds.length).toBeLessThanOrEqual(3);
    for (let index = 1; index < rounds.length; index += 1) expect(rounds[index]! - rounds[index - 1]!).toBeGreaterThanOrEqual(900);
    expect(seen).toHaveLength(1);
    expect(settlements).toEqual([{ approvalId, toolCallId: 'r-1', tool: 'create_payout', status: 'done' }]);
    expect(resumes).toBe(1);
    expect(paid()).toEqual([payoutArgs]);
    expect(state?.messages.at(-1)?.content).toBe('model read: {"payoutId":"payout-1"}');
    expect(await findApprovalInterrupts(agent, config)).toEqual([]);
  });

  it('waits for every parallel approval, then resumes once with one value per interrupt', async () => {
    const { tool: payout, paid, tools: guarded } = await payoutTool(bench());
    const tools = [countersignTool(payout), countersignTool(guarded.listAccounts)];
    const model = fakeModel()
      .respondWithTools([
        { name: 'list_accounts', args: {}, id: 'p-read' },
        { name: 'create_payout', args: payoutArgs, id: 'p-a' },
        { name: 'create_payout', args: { ...payoutArgs, amount: 40 }, id: 'p-b' },
      ])
      .respond(echoLastTool);
    const agent = createAgent({ model, tools, checkpointer: new MemorySaver() });
    const config = thread('resumer-parallel');
    await agent.invoke({ messages: [new HumanMessage('pay both')] }, config);
    const interrupts = await findApprovalInterrupts(agent, config);
    expect(interrupts).toHaveLength(2);
    const approvalOf = (toolCallId: string) => interrupts.find((entry) => entry.value.toolCallId === toolCallId)!.value.approvalId;
    await guarded.approve(approvalOf('p-a'));
    await guarded.deny(approvalOf('p-b'), 'unknown recipient');
    const { settlements, resumes, state } = await resumeWhenDecided(agent, config, { tools });
    expect(resumes).toBe(1);
    expect(settlements.map((settlement) => [settlement.toolCallId, settlement.status]).sort()).toEqual([
      ['p-a', 'done'],
      ['p-b', 'denied'],
    ]);
    expect(paid()).toEqual([payoutArgs]);
    const byCall = Object.fromEntries(toolMessages(state!.messages).map((message) => [message.tool_call_id, message]));
    expect(byCall['p-read']?.artifact).toMatchObject({ kind: 'countersign.done' });
    expect(byCall['p-a']?.artifact).toMatchObject({ kind: 'countersign.done' });
    expect(byCall['p-b']?.artifact).toMatchObject({ kind: 'countersign.denied', reason: 'the approver denied the request: unknown recipient' });
    expect(model.callCount).toBe(2);
  });

  it('follows a LangGraph ToolNode that surfaces one of two parallel interrupts at a time', async () => {
    const { tool: payout, paid, tools: guarded } = await payoutTool(bench());
    const tools = [countersignTool(payout)];
    const model = fakeModel()
      .respondWithTools([
        { name: 'create_payout', args: payoutArgs, id: 'g-a' },
        { name: 'create_payout', args: { ...payoutArgs, amount: 10 }, id: 'g-b' },
      ])
      .respond(echoLastTool);
    const graph = new StateGraph(MessagesAnnotation)
      .addNode('agent', async (state) => ({ messages: [await model.invoke(state.messages)] }))
      .addNode('tools', new ToolNode(tools))
      .addEdge(START, 'agent')
      .addConditionalEdges('agent', toolsCondition, ['tools', END])
      .addEdge('tools', 'agent')
      .compile({ checkpointer: new MemorySaver() });
    const config = thread('resumer-toolnode');
    await graph.invoke({ messages: [new HumanMessage('pay both')] }, config);
    // The ToolNode runs both calls in one task: one interrupt shows.
    expect(await findApprovalInterrupts(graph, config)).toHaveLength(1);
    // The human approves each request as the resumer reports it.
    const seen: string[] = [];
    const { resumes, state } = await resumeWhenDecided(graph, config, {
      tools,
      onPending: async (entries) => {
        for (const entry of entries) {
          seen.push(entry.value.toolCallId);
          await guarded.approve(entry.value.approvalId);
        }
      },
    });
    expect(seen.sort()).toEqual(['g-a', 'g-b']);
    expect(resumes).toBe(2);
    expect(paid()).toHaveLength(2);
    expect(await guarded.requested()).toHaveLength(2); // each call asked its approver once
    expect(toolMessages(state!.messages).map((message) => message.artifact?.kind)).toEqual(['countersign.done', 'countersign.done']);
  });

  it('stops on abort and leaves the thread paused for a later resume', async () => {
    const { tool: payout, paid, tools: guarded } = await payoutTool(bench());
    const tools = [countersignTool(payout)];
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'abort-1' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools, checkpointer: new MemorySaver() });
    const config = thread('resumer-abort');
    await agent.invoke({ messages: [new HumanMessage('pay')] }, config);
    const controller = new AbortController();
    later(120, () => controller.abort(new Error('user went away')));
    await expect(resumeWhenDecided(agent, config, { tools, signal: controller.signal })).rejects.toThrow('user went away');
    expect(await findApprovalInterrupts(agent, config)).toHaveLength(1);
    expect(paid()).toEqual([]);

    await guarded.approve((await guarded.requested())[0]!);
    const { resumes } = await resumeWhenDecided(agent, config, { tools });
    expect(resumes).toBe(1);
    expect(paid()).toHaveLength(1);
  });

  it('returns at once when the thread waits on no approval', async () => {
    const model = fakeModel().respond(new AIMessage('hello'));
    const agent = createAgent({ model, tools: [countersignTool((await bench().tools()).listAccounts)], checkpointer: new MemorySaver() });
    const config = thread('resumer-idle');
    await agent.invoke({ messages: [new HumanMessage('hi')] }, config);
    expect(await resumeWhenDecided(agent, config, { tools: [] })).toEqual({ state: undefined, settlements: [], resumes: 0 });
  });

  it('refuses a thread waiting on a tool it was not given, or tools that are not guarded', async () => {
    const { tool: payout, tools: guarded } = await payoutTool(bench());
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'missing-1' }]);
    const agent = createAgent({ model, tools: [countersignTool(payout)], checkpointer: new MemorySaver() });
    const config = thread('resumer-missing');
    await agent.invoke({ messages: [new HumanMessage('pay')] }, config);
    await expect(resumeWhenDecided(agent, config, { tools: [guarded.listAccounts] })).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' });
    await expect(resumeWhenDecided(agent, config, { tools: [{ name: 'create_payout' }] })).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' });
  });

  it("ends a wait nobody decides at the request's expiry (the guard's rule), and resumes the graph with it", async () => {
    const { tool: payout, paid } = await payoutTool(bench(), { requestedExpiry: 2 });
    const tools = [countersignTool(payout)];
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'stuck-1' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools, checkpointer: new MemorySaver() });
    const config = thread('resumer-stuck');
    await agent.invoke({ messages: [new HumanMessage('pay')] }, config);
    const { settlements, resumes, state } = await resumeWhenDecided(agent, config, { tools });
    expect(settlements.map((settlement) => settlement.status)).toEqual(['expired']);
    expect(resumes).toBe(1);
    expect(toolMessages(state!.messages)[0]?.artifact).toMatchObject({ kind: 'countersign.expired' });
    expect(toolMessages(state!.messages)[0]?.content).toContain('nobody approved it');
    expect(paid()).toEqual([]);
  });

  it('keeps waiting through polls that failed on the network, instead of resuming with a failure', async () => {
    const { tool: payout, paid, tools: guarded } = await payoutTool(bench());
    const tools = [countersignTool(payout)];
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'net-1' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools, checkpointer: new MemorySaver() });
    const config = thread('resumer-network');
    await agent.invoke({ messages: [new HumanMessage('pay')] }, config);
    await guarded.approve((await guarded.requested())[0]!);
    // The next two polls never reach the authorization server.
    bench().failNextTokenRequest({ error: new Error('connect ECONNREFUSED') });
    bench().failNextTokenRequest({ error: new Error('connect ECONNREFUSED') });
    const started = Date.now();
    const { settlements, resumes } = await resumeWhenDecided(agent, config, { tools });
    // Two polls that never reached the server, then one that learns the approval (a DPoP nonce
    // challenge may add an immediate second request to a round).
    const rounds = bench()
      .cibaPolls()
      .filter((at) => at >= started)
      .filter((at, index, polls) => index === 0 || at - polls[index - 1]! > 250);
    expect(rounds).toHaveLength(3);
    expect(resumes).toBe(1);
    expect(settlements.map((settlement) => settlement.status)).toEqual(['done']);
    expect(paid()).toHaveLength(1);
  });
});
