// @countersign/langchain against the real pieces: the devkit's authorization server (CIBA) and
// treasury API (DPoP, action tokens), the core guard, and the real langchain / LangGraph packages
// driven by scripted models.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { Command, MemorySaver } from '@langchain/langgraph';
import { createAgent as createLangChainAgent } from 'langchain';
import { z } from 'zod';
import { createAgent, generateKey, guardTool, type Agent } from '@countersign/core';
import { startDevStack, type DevStack } from '@countersign/devkit';
import {
  countersignMiddleware,
  countersignTool,
  countersignTools,
  findApprovalInterrupts,
  isApprovalInterrupt,
  MissingCheckpointerError,
  resumeWhenDecided,
  type ApprovalInterrupt,
} from '@countersign/langchain';

const payoutSchema = z.object({
  accountId: z.string(),
  recipient: z.string(),
  amount: z.number().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  memo: z.string().optional(),
});
type PayoutArgs = z.infer<typeof payoutSchema>;

let stack: DevStack;
let agent: Agent;
/** Every time a payout function ran (it then POSTs /payouts once). */
const executions: PayoutArgs[] = [];

beforeAll(async () => {
  stack = await startDevStack({ port: 0, toolApiPort: 0 });
  agent = await createAgent({ issuer: stack.issuer, clientId: 'langchain-agent', key: await generateKey() });
  stack.registerAgent({ clientId: 'langchain-agent', jwks: await agent.publicJwks(), scopes: ['accounts:read', 'payouts:write'] });
});

afterAll(async () => {
  await agent?.close();
  await stack?.close();
});

function treasuryTools() {
  const listAccounts = guardTool(agent, {
    name: 'list_accounts',
    description: 'List the treasury accounts with their balances.',
    schema: z.object({}),
    risk: 'read',
    resource: stack.toolApiUrl,
    scope: 'accounts:read',
    execute: async (_args, { fetch }) => (await fetch(`${stack.toolApiUrl}/accounts`)).json() as Promise<{ accounts: Array<{ id: string; balance: number }> }>,
  });
  const createPayout = guardTool(agent, {
    name: 'create_payout',
    description: 'Send money from a treasury account to a recipient.',
    schema: payoutSchema,
    risk: 'irreversible',
    resource: stack.toolApiUrl,
    scope: 'payouts:write',
    approval: {
      approver: 'alice',
      describe: (args) => `Pay ${args.amount} ${args.currency} to ${args.recipient}`,
      details: (args) => ({ amount: args.amount, currency: args.currency, recipient: args.recipient }),
    },
    async execute(args, { fetch }) {
      executions.push(args);
      const response = await fetch(`${stack.toolApiUrl}/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args) });
      if (!response.ok) throw new Error(`treasury API refused the payout (HTTP ${response.status})`);
      return response.json() as Promise<{ payoutId: string; status: string }>;
    },
  });
  return { listAccounts, createPayout };
}

const toolMessages = (messages: BaseMessage[]) => messages.filter((message): message is ToolMessage => ToolMessage.isInstance(message));
const interruptsOf = (result: unknown) => ((result as { __interrupt__?: Array<{ id: string; value: unknown }> }).__interrupt__ ?? []);
const echoLastTool = (messages: BaseMessage[]) => new AIMessage(`model read: ${String(toolMessages(messages).at(-1)?.content)}`);
/** The devkit's CIBA poll interval is 1 s and the guard never polls sooner: a resume right after a decision would still read "pending". */
const pollInterval = () => sleep(1_100);
const payout = (amount: number, recipient = 'ACME Supplies Ltd'): PayoutArgs => ({ accountId: 'acc_operating', recipient, amount, currency: 'EUR' });

async function operatingBalance(): Promise<number> {
  const outcome = await treasuryTools().listAccounts.invoke({});
  if (outcome.status !== 'done') throw new Error(`accounts: ${outcome.status}`);
  return outcome.result.accounts.find((account) => account.id === 'acc_operating')!.balance;
}

/** The devkit request a Countersign interrupt stands for (matched on the bound arguments' hash). */
function requestFor(value: ApprovalInterrupt) {
  const request = stack.approvals.list().find((view) => view.status === 'pending' && view.argsSha256 === value.argsSha256);
  if (request === undefined) throw new Error(`no pending devkit request for ${value.bindingMessage}`);
  return request;
}

describe('@countersign/langchain with createAgent on the devkit stack', () => {
  it('runs a read tool with the routine token', async () => {
    const model = fakeModel().respondWithTools([{ name: 'list_accounts', args: {}, id: 'it-read-1' }]).respond(echoLastTool);
    const langchainAgent = createLangChainAgent({ model, tools: countersignTools(Object.values(treasuryTools())), checkpointer: new MemorySaver() });
    const result = await langchainAgent.invoke({ messages: [new HumanMessage('balances?')] }, { configurable: { thread_id: 'it-read' } });
    expect(interruptsOf(result)).toEqual([]);
    const [message] = toolMessages(result.messages);
    expect(message?.tool_call_id).toBe('it-read-1');
    expect(JSON.parse(String(message?.content)).accounts.map((account: { id: string }) => account.id)).toContain('acc_operating');
  });

  it('pauses a payout until a human approves it in the devkit, then pays exactly once', async () => {
    const tools = countersignTools(Object.values(treasuryTools()));
    const args = payout(125.5);
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args, id: 'it-pay-1' }]).respond(echoLastTool);
    const langchainAgent = createLangChainAgent({ model, tools, middleware: [countersignMiddleware()], checkpointer: new MemorySaver() });
    const config = { configurable: { thread_id: 'it-pay' } };
    const balance = await operatingBalance();
    const ran = executions.length;

    const first = await langchainAgent.invoke({ messages: [new HumanMessage('pay ACME 125.50')] }, config);
    const [pause] = interruptsOf(first);
    expect(isApprovalInterrupt(pause?.value)).toBe(true);
    const value = pause!.value as ApprovalInterrupt;
    const request = requestFor(value);
    expect(value).toMatchObject({ toolCallId: 'it-pay-1', tool: 'create_payout', approver: 'alice', bindingMessage: 'Pay 125.5 EUR to ACME Supplies Ltd' });
    expect(request).toMatchObject({ loginHint: 'alice', bindingMessage: value.bindingMessage, tool: 'create_payout', argsSha256: value.argsSha256 });
    expect(Date.parse(value.expiresAt)).toBeGreaterThan(Date.now());
    expect(executions.length).toBe(ran);
    expect(await operatingBalance()).toBe(balance);

    await stack.approvals.approve(request.id, 'alice');
    const { state, settlements, resumes } = await resumeWhenDecided(langchainAgent, config, { tools, pollIntervalMs: 250 });
    expect(resumes).toBe(1);
    expect(settlements).toEqual([{ approvalId: value.approvalId, toolCallId: 'it-pay-1', tool: 'create_payout', status: 'done' }]);
    expect(executions.length).toBe(ran + 1);
    expect(await operatingBalance()).toBe(balance - 125.5);
    const message = toolMessages(state!.messages).at(-1)!;
    expect(message.tool_call_id).toBe('it-pay-1');
    expect(JSON.parse(String(message.content))).toMatchObject({ amount: 125.5, recipient: 'ACME Supplies Ltd', approvers: [{ sub: 'alice' }] });
    expect(state!.messages.at(-1)?.content).toContain('model read: {');

    // Nothing is left to resume, and resuming the approval again returns the stored outcome.
    expect(await findApprovalInterrupts(langchainAgent, config)).toEqual([]);
    expect(await resumeWhenDecided(langchainAgent, config, { tools })).toMatchObject({ resumes: 0 });
    expect(await treasuryTools().createPayout.resume(value.approvalId, args)).toMatchObject({ status: 'done' });
    expect(executions.length).toBe(ran + 1);
    expect(await operatingBalance()).toBe(balance - 125.5);
  });

  it('resumes with a plain Command({ resume }) too: the re-run tool body polls and pays once', async () => {
    const tools = [countersignTool(treasuryTools().createPayout)];
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payout(42), id: 'it-cmd-1' }]).respond(echoLastTool);
    const langchainAgent = createLangChainAgent({ model, tools, checkpointer: new MemorySaver() });
    const config = { configurable: { thread_id: 'it-command' } };
    const balance = await operatingBalance();
    const [pause] = interruptsOf(await langchainAgent.invoke({ messages: [new HumanMessage('pay 42')] }, config));
    await stack.approvals.approve(requestFor(pause!.value as ApprovalInterrupt).id, 'alice');
    await pollInterval();
    const result = await langchainAgent.invoke(new Command({ resume: { [pause!.id]: 'approved in the inbox' } }), config);
    expect(interruptsOf(result)).toEqual([]);
    expect(toolMessages(result.messages).at(-1)?.artifact).toMatchObject({ kind: 'countersign.done', approvalId: (pause!.value as ApprovalInterrupt).approvalId });
    expect(await operatingBalance()).toBe(balance - 42);
  });

  it('brings a denial to the model as a ToolMessage, and pays nothing', async () => {
    const tools = countersignTools(Object.values(treasuryTools()));
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payout(77), id: 'it-deny-1' }]).respond(echoLastTool);
    const langchainAgent = createLangChainAgent({ model, tools, checkpointer: new MemorySaver() });
    const config = { configurable: { thread_id: 'it-deny' } };
    const balance = await operatingBalance();
    const ran = executions.length;
    const [pause] = interruptsOf(await langchainAgent.invoke({ messages: [new HumanMessage('pay 77')] }, config));
    await stack.approvals.deny(requestFor(pause!.value as ApprovalInterrupt).id, 'alice', 'not on the approved vendor list');
    const { state, settlements } = await resumeWhenDecided(langchainAgent, config, { tools, pollIntervalMs: 250 });
    expect(settlements.map((settlement) => settlement.status)).toEqual(['denied']);
    const message = toolMessages(state!.messages).at(-1)!;
    expect(message.status).toBe('error');
    expect(message.artifact).toMatchObject({ kind: 'countersign.denied', approvalId: (pause!.value as ApprovalInterrupt).approvalId });
    expect(String(message.content)).toContain('not on the approved vendor list');
    // The model's last turn read that ToolMessage.
    expect(toolMessages(model.calls.at(-1)!.messages).at(-1)?.content).toBe(message.content);
    expect(executions.length).toBe(ran);
    expect(await operatingBalance()).toBe(balance);
  });

  it('gives two parallel payouts in one turn an approval each, and resumes both correctly', async () => {
    const tools = countersignTools(Object.values(treasuryTools()));
    const model = fakeModel()
      .respondWithTools([
        { name: 'create_payout', args: payout(10, 'Globex'), id: 'it-par-a' },
        { name: 'create_payout', args: payout(20, 'Initech'), id: 'it-par-b' },
      ])
      .respond(echoLastTool);
    const langchainAgent = createLangChainAgent({ model, tools, middleware: [countersignMiddleware()], checkpointer: new MemorySaver() });
    const config = { configurable: { thread_id: 'it-parallel' } };
    const balance = await operatingBalance();
    const ran = executions.length;
    const pauses = interruptsOf(await langchainAgent.invoke({ messages: [new HumanMessage('pay both')] }, config));
    expect(pauses).toHaveLength(2);
    const byCall = new Map(pauses.map((entry) => [(entry.value as ApprovalInterrupt).toolCallId, entry.value as ApprovalInterrupt]));
    const requestA = requestFor(byCall.get('it-par-a')!);
    const requestB = requestFor(byCall.get('it-par-b')!);
    expect(requestA.id).not.toBe(requestB.id);
    expect([requestA.bindingMessage, requestB.bindingMessage]).toEqual(['Pay 10 EUR to Globex', 'Pay 20 EUR to Initech']);

    await stack.approvals.approve(requestB.id, 'alice');
    await stack.approvals.deny(requestA.id, 'alice', 'duplicate invoice');
    const { state, resumes, settlements } = await resumeWhenDecided(langchainAgent, config, { tools, pollIntervalMs: 250 });
    expect(resumes).toBe(1);
    expect(new Map(settlements.map((settlement) => [settlement.toolCallId, settlement.status]))).toEqual(
      new Map([
        ['it-par-a', 'denied'],
        ['it-par-b', 'done'],
      ]),
    );
    const messages = new Map(toolMessages(state!.messages).map((message) => [message.tool_call_id, message]));
    expect(messages.get('it-par-a')?.artifact).toMatchObject({ kind: 'countersign.denied', reason: expect.stringContaining('duplicate invoice') });
    expect(messages.get('it-par-b')?.artifact).toMatchObject({ kind: 'countersign.done', result: { recipient: 'Initech', amount: 20 } });
    expect(executions.slice(ran)).toEqual([payout(20, 'Initech')]);
    expect(await operatingBalance()).toBe(balance - 20);
  });

  it('refuses to run without a checkpointer, with a typed error and no approval request', async () => {
    const model = fakeModel().respondWithTools([{ name: 'create_payout', args: payout(33), id: 'it-nocp-1' }]).respond(echoLastTool);
    const langchainAgent = createLangChainAgent({ model, tools: countersignTools(Object.values(treasuryTools())), middleware: [countersignMiddleware()] });
    const requests = stack.approvals.list().length;
    const failure = await langchainAgent.invoke({ messages: [new HumanMessage('pay 33')] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MissingCheckpointerError);
    expect(failure).toMatchObject({ code: 'ERR_MISSING_CHECKPOINTER', tool: 'create_payout' });
    expect(stack.approvals.list()).toHaveLength(requests);
  });

  it('round-trips message mode: the model hears who must approve, and a later call with the same arguments pays once', async () => {
    const messageTools = () => countersignTools(Object.values(treasuryTools()), { mode: 'message', approvalStore: agent.approvalStore });
    const args = payout(61);
    const model = fakeModel()
      .respondWithTools([{ name: 'create_payout', args, id: 'it-msg-1' }])
      .respond(echoLastTool)
      .respondWithTools([{ name: 'create_payout', args, id: 'it-msg-2' }])
      .respond(echoLastTool);
    const config = { configurable: { thread_id: 'it-message' } };
    const balance = await operatingBalance();
    const ran = executions.length;

    const first = await createLangChainAgent({ model, tools: messageTools() }).invoke({ messages: [new HumanMessage('pay 61')] }, config);
    expect(interruptsOf(first)).toEqual([]);
    const pending = toolMessages(first.messages).at(-1)!;
    expect(pending.artifact).toMatchObject({ kind: 'countersign.approval_pending', toolCallId: 'it-msg-1', approver: 'alice' });
    expect(String(pending.content)).toContain('waits for approval by alice');
    expect(first.messages.at(-1)?.content).toContain('model read: create_payout has not run yet');
    const request = requestFor(pending.artifact as ApprovalInterrupt);

    await stack.approvals.approve(request.id, 'alice');
    await pollInterval();
    // Fresh tools, as after a restart: the pending call is found in the agent's approval store.
    const second = await createLangChainAgent({ model, tools: messageTools() }).invoke({ messages: [...first.messages, new HumanMessage('is it paid now?')] }, config);
    const done = toolMessages(second.messages).at(-1)!;
    expect(done.tool_call_id).toBe('it-msg-2');
    expect(done.artifact).toMatchObject({ kind: 'countersign.done', approvalId: (pending.artifact as ApprovalInterrupt).approvalId });
    expect(stack.approvals.list().filter((view) => view.argsSha256 === request.argsSha256)).toHaveLength(1);
    expect(executions.length).toBe(ran + 1);
    expect(await operatingBalance()).toBe(balance - 61);
  });

  it('tells the model how far dual control has got, and pays once both approvers said yes', async () => {
    const tools = countersignTools([treasuryTools().createPayout], { mode: 'message' });
    const args = payout(2500, 'Umbrella Corp');
    const model = fakeModel();
    for (const id of ['it-dual-1', 'it-dual-2', 'it-dual-3']) model.respondWithTools([{ name: 'create_payout', args, id }]).respond(echoLastTool);
    const langchainAgent = createLangChainAgent({ model, tools });
    const balance = await operatingBalance();
    const ask = async (messages: BaseMessage[], text: string) => langchainAgent.invoke({ messages: [...messages, new HumanMessage(text)] });

    const first = await ask([], 'pay 2500');
    const request = requestFor(toolMessages(first.messages).at(-1)!.artifact as ApprovalInterrupt);
    expect(request.requiredApprovals).toBe(2);
    await stack.approvals.approve(request.id, 'alice');
    await pollInterval();
    const second = await ask(first.messages, 'and now?');
    const halfway = toolMessages(second.messages).at(-1)!;
    expect(halfway.artifact).toMatchObject({ kind: 'countersign.approval_pending', progress: { required: 2, received: [{ subject: 'alice' }] } });
    expect(String(halfway.content)).toContain('2 different people must approve; 1 so far: alice');
    expect(await operatingBalance()).toBe(balance);

    await stack.approvals.approve(request.id, 'bob');
    await pollInterval();
    const third = await ask(second.messages, 'and now?');
    expect(toolMessages(third.messages).at(-1)?.artifact).toMatchObject({ kind: 'countersign.done', result: { amount: 2500 } });
    expect(await operatingBalance()).toBe(balance - 2500);
  });
});
