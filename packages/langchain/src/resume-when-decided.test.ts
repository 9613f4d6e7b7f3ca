import { describe, expect, it } from 'vitest';
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { END, MemorySaver, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode, toolsCondition } from '@langchain/langgraph/prebuilt';
import { createAgent } from 'langchain';
import { NetworkError } from '@countersign/core';
import type { GuardedTool } from '@countersign/core';
import { countersignTool } from './countersign-tool.js';
import { findApprovalInterrupts, resumeWhenDecided, type PendingApprovalInterrupt } from './resume-when-decided.js';
import { fakeAccountsTool, fakePayoutTool, payoutArgs } from './test-support/fixtures.js';

const toolMessages = (messages: BaseMessage[]) => messages.filter((message): message is ToolMessage => ToolMessage.isInstance(message));
const echoLastTool = (messages: BaseMessage[]) => new AIMessage(`model read: ${String(toolMessages(messages).at(-1)?.content)}`);
const thread = (id: string) => ({ configurable: { thread_id: id } });
const later = (milliseconds: number, action: () => void) => setTimeout(action, milliseconds);

describe('resumeWhenDecided', () => {
  it('waits for the decision without busy-waiting, then resumes the graph and the call runs once', async () => {
    const { tool: payout, paid } = fakePayoutTool();
    const tools = [countersignTool(payout)];
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'r-1' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools, checkpointer: new MemorySaver() });
    const config = thread('resumer-1');
    await agent.invoke({ messages: [new HumanMessage('pay')] }, config);
    const [pending] = await findApprovalInterrupts(agent, config);
    expect(pending?.value).toMatchObject({ toolCallId: 'r-1', approvalId: payout.requested[0] });
    expect(pending?.interruptId).toMatch(/^[0-9a-f]{32}$/);

    later(300, () => payout.approve(payout.requested[0]!));
    const seen: PendingApprovalInterrupt[][] = [];
    const started = Date.now();
    const { state, settlements, resumes } = await resumeWhenDecided(agent, config, { tools, pollIntervalMs: 100, onPending: (entries) => void seen.push(entries) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // One poll per round: about 300 / 100, never a tight loop.
    expect(payout.polls).toBeGreaterThanOrEqual(3);
    expect(payout.polls).toBeLessThanOrEqual(6);
    for (let index = 1; index < payout.pollTimes.length; index += 1) {
      expect(payout.pollTimes[index]! - payout.pollTimes[index - 1]!).toBeGreaterThanOrEqual(90);
    }
    expect(seen).toHaveLength(1);
    expect(settlements).toEqual([{ approvalId: payout.requested[0], toolCallId: 'r-1', tool: 'create_payout', status: 'done' }]);
    expect(resumes).toBe(1);
    expect(paid).toEqual([payoutArgs]);
    expect(payout.executions).toBe(1);
    expect(state?.messages.at(-1)?.content).toBe('model read: {"payoutId":"payout-1"}');
    expect(await findApprovalInterrupts(agent, config)).toEqual([]);
  });

  it('waits for every parallel approval, then resumes once with one value per interrupt', async () => {
    const { tool: payout, paid } = fakePayoutTool();
    const tools = [countersignTool(payout), countersignTool(fakeAccountsTool())];
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
    expect(await findApprovalInterrupts(agent, config)).toHaveLength(2);
    const [first, second] = payout.requested;
    payout.approve(first!);
    later(200, () => payout.expire(second!));
    const { settlements, resumes, state } = await resumeWhenDecided(agent, config, { tools, pollIntervalMs: 50 });
    expect(resumes).toBe(1);
    expect(settlements.map((settlement) => settlement.status)).toEqual(['done', 'expired']);
    expect(paid).toEqual([payoutArgs]);
    const byCall = Object.fromEntries(toolMessages(state!.messages).map((message) => [message.tool_call_id, message]));
    expect(byCall['p-read']?.artifact).toMatchObject({ kind: 'countersign.done' });
    expect(byCall['p-a']?.artifact).toMatchObject({ kind: 'countersign.done' });
    expect(byCall['p-b']?.artifact).toMatchObject({ kind: 'countersign.expired' });
    expect(byCall['p-b']?.content).toContain('nobody approved it');
    expect(model.callCount).toBe(2);
  });

  it('follows a LangGraph ToolNode that surfaces one of two parallel interrupts at a time', async () => {
    const { tool: payout, paid } = fakePayoutTool();
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
    // Both approvals were asked for, but the ToolNode runs both calls in one task: one interrupt shows.
    expect(payout.requested).toHaveLength(2);
    expect(await findApprovalInterrupts(graph, config)).toHaveLength(1);
    // The human approves each request as the resumer reports it.
    const seen: string[] = [];
    const { resumes, state } = await resumeWhenDecided(graph, config, {
      tools,
      pollIntervalMs: 20,
      onPending: (entries) => {
        for (const entry of entries) {
          seen.push(entry.value.toolCallId);
          payout.approve(entry.value.approvalId);
        }
      },
    });
    expect(seen.sort()).toEqual(['g-a', 'g-b']);
    expect(resumes).toBe(2);
    expect(paid).toHaveLength(2);
    expect(payout.executions).toBe(2);
    expect(toolMessages(state!.messages).map((message) => message.artifact?.kind)).toEqual(['countersign.done', 'countersign.done']);
  });

  it('stops on abort and leaves the thread paused for a later resume', async () => {
    const { tool: payout, paid } = fakePayoutTool();
    const tools = [countersignTool(payout)];
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'abort-1' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools, checkpointer: new MemorySaver() });
    const config = thread('resumer-abort');
    await agent.invoke({ messages: [new HumanMessage('pay')] }, config);
    const controller = new AbortController();
    later(120, () => controller.abort(new Error('user went away')));
    await expect(resumeWhenDecided(agent, config, { tools, pollIntervalMs: 1_000, signal: controller.signal })).rejects.toThrow('user went away');
    expect(await findApprovalInterrupts(agent, config)).toHaveLength(1);

    payout.approve(payout.requested[0]!);
    const { resumes } = await resumeWhenDecided(agent, config, { tools, pollIntervalMs: 10 });
    expect(resumes).toBe(1);
    expect(paid).toHaveLength(1);
  });

  it('returns at once when the thread waits on no approval', async () => {
    const model = fakeModel().respond(new AIMessage('hello'));
    const agent = createAgent({ model, tools: [countersignTool(fakeAccountsTool())], checkpointer: new MemorySaver() });
    const config = thread('resumer-idle');
    await agent.invoke({ messages: [new HumanMessage('hi')] }, config);
    expect(await resumeWhenDecided(agent, config, { tools: [] })).toEqual({ state: undefined, settlements: [], resumes: 0 });
  });

  it('refuses a thread waiting on a tool it was not given, and a bad interval', async () => {
    const { tool: payout } = fakePayoutTool();
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'missing-1' }]);
    const agent = createAgent({ model, tools: [countersignTool(payout)], checkpointer: new MemorySaver() });
    const config = thread('resumer-missing');
    await agent.invoke({ messages: [new HumanMessage('pay')] }, config);
    await expect(resumeWhenDecided(agent, config, { tools: [fakeAccountsTool()] })).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' });
    await expect(resumeWhenDecided(agent, config, { tools: [payout], pollIntervalMs: 0 })).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' });
    await expect(resumeWhenDecided(agent, config, { tools: [{ name: 'create_payout' }] })).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' });
  });

  it('gives up with ApprovalExpiredError when the guard still reports pending well past the expiry', async () => {
    // The fake's clock is a minute behind: the request expired long ago, yet its interval keeps it
    // answering "pending" without asking anyone, as a broken guard would.
    const { tool: payout } = fakePayoutTool({ expiresInSeconds: 1, intervalSeconds: 3600, clock: () => Date.now() - 60_000 });
    const tools = [payout];
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'stuck-1' }]);
    const agent = createAgent({ model, tools: [countersignTool(payout)], checkpointer: new MemorySaver() });
    const config = thread('resumer-stuck');
    await agent.invoke({ messages: [new HumanMessage('pay')] }, config);
    await expect(resumeWhenDecided(agent, config, { tools, pollIntervalMs: 10 })).rejects.toMatchObject({ code: 'ERR_APPROVAL_EXPIRED' });
  });
  it('keeps waiting through a poll that failed on the network, instead of resuming with a failure', async () => {
    const { tool: payout, paid } = fakePayoutTool();
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payoutArgs, id: 'net-1' }]).respond(echoLastTool);
    const agent = createAgent({ model, tools: [countersignTool(payout)], checkpointer: new MemorySaver() });
    const config = thread('resumer-network');
    await agent.invoke({ messages: [new HumanMessage('pay')] }, config);
    let failures = 2;
    const flaky: GuardedTool = {
      name: payout.name,
      description: payout.description,
      schema: payout.schema,
      risk: payout.risk,
      invoke: (args, options) => payout.invoke(args, options),
      authorizationDetails: (args) => payout.authorizationDetails(args),
      resume: async (approvalId, args, options) => {
        if (failures > 0) {
          failures -= 1;
          return { status: 'failed', tool: payout.name, approvalId, error: new NetworkError('authorization server unreachable'), retryable: true };
        }
        return payout.resume(approvalId, args, options);
      },
    };
    payout.approve(payout.requested[0]!);
    const { settlements, resumes } = await resumeWhenDecided(agent, config, { tools: [flaky], pollIntervalMs: 20 });
    expect(failures).toBe(0);
    expect(resumes).toBe(1);
    expect(settlements.map((settlement) => settlement.status)).toEqual(['done']);
    expect(paid).toHaveLength(1);
  });
});
