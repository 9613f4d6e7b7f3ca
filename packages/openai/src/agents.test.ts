import { Agent, Runner, RunState, type ModelRequest } from '@openai/agents';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useGuardTestBench, type BenchTools } from '@countersign/core/testing';
import { startDevStack } from '@countersign/devkit';

// The real guard on the devkit's authorization server: one stack and agent for the file.
const bench = useGuardTestBench({ beforeAll, afterAll }, () => startDevStack({ port: 0, toolApiPort: 0 }));
import { createAgentsTools, type AgentsTools } from './agents.js';
import type { ToolCallContent } from './tool-output.js';
import { scriptedAgentsModel, type ScriptedAgentsModel } from './testing/scripted-agents-model.js';

const payoutArgs = { accountId: 'acc-1', recipient: 'ACME', amount: 250, currency: 'EUR', memo: null };

const runner = new Runner({ tracingDisabled: true });
let model: ScriptedAgentsModel;
let guarded: BenchTools;
let listAccounts: BenchTools['listAccounts'];
let createPayout: BenchTools['createPayout'];
let executions: BenchTools['executions'];

beforeEach(async () => {
  model = scriptedAgentsModel();
  guarded = await bench().tools();
  ({ listAccounts, createPayout, executions } = guarded);
});

/** The pending call `callId` of the interrupted run, as the human decides on it. */
function pendingOf(countersign: AgentsTools, interruptions: Parameters<AgentsTools['pendingCalls']>[0], callId: string) {
  return countersign.pendingCalls(interruptions).find((call) => call.callId === callId)!;
}

/** The tool outputs the SDK sent the model in one request, by call id. */
function toolOutputs(request: ModelRequest): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const item of request.input as Array<Record<string, any>>) {
    if (item.type !== 'function_call_result') continue;
    outputs[item.callId] = typeof item.output === 'string' ? item.output : item.output.text;
  }
  return outputs;
}
const parsed = (text: string | undefined) => JSON.parse(text!) as ToolCallContent;

async function setup() {
  const countersign = await createAgentsTools([listAccounts, createPayout]);
  const agent = new Agent({ name: 'treasurer', instructions: 'Pay suppliers.', model, tools: countersign.tools });
  return { countersign, agent };
}

describe('createAgentsTools with @openai/agents', () => {
  it('exposes function tools with the guarded schema and runs a read call without interruption', async () => {
    const { countersign, agent } = await setup();
    expect(countersign.tools.map((tool) => [tool.type, tool.name, tool.strict])).toEqual([
      ['function', 'list_accounts', true],
      ['function', 'create_payout', true],
    ]);
    model.script({ toolCalls: [{ id: 'call_read', name: 'list_accounts', arguments: '{}' }] }, { text: 'You have acc-1.' });
    const result = await runner.run(agent, 'which accounts?');
    expect(result.interruptions).toEqual([]);
    expect(result.finalOutput).toBe('You have acc-1.');
    expect(parsed(toolOutputs(model.requests[1]!).call_read)).toEqual({ status: 'done', tool: 'list_accounts', result: { accounts: ['acc-1'] } });
    expect(model.requests[0]!.tools.find((tool) => tool.type === 'function' && tool.name === 'create_payout')).toMatchObject({ strict: true });
    expect(executions.listAccounts).toBe(1);
  });

  it('interrupts an irreversible call, settles it from the approver decision, and executes it once', async () => {
    const { countersign, agent } = await setup();
    model.script({ toolCalls: [{ id: 'call_read', name: 'list_accounts', arguments: '{}' }, { id: 'call_pay', name: 'create_payout', arguments: payoutArgs }] });
    let result = await runner.run(agent, 'pay ACME 250 EUR');
    expect(result.interruptions).toHaveLength(1);
    expect(result.interruptions[0]!.name).toBe('create_payout');
    expect(countersign.pendingCalls(result.interruptions)).toEqual([
      expect.objectContaining({
        callId: 'call_pay',
        approver: 'alice',
        bindingMessage: 'Pay 250 EUR to ACME',
        approvalId: (await guarded.ledger.findByCall('create_payout', 'call_pay'))?.id,
      }),
    ]);
    expect(executions.createPayout).toHaveLength(0);
    expect(guarded.approvalRequests()).toBe(1);

    // Undecided: settle leaves the interruption in place.
    let settled = await countersign.settle(result.state);
    expect(settled).toMatchObject({ approved: [], rejected: [], pending: [expect.objectContaining({ callId: 'call_pay' })] });

    await bench().approve(pendingOf(countersign, result.interruptions, 'call_pay'), 'alice');
    settled = await countersign.settle(result.state, { wait: true });
    expect(settled.approved.map(({ callId, outcome }) => [callId, outcome.status])).toEqual([['call_pay', 'done']]);
    expect(settled.pending).toEqual([]);
    expect(executions.createPayout).toHaveLength(1);

    model.script({ text: 'Paid ACME.' });
    result = await runner.run(agent, result.state);
    expect(result.finalOutput).toBe('Paid ACME.');
    const outputs = toolOutputs(model.requests.at(-1)!);
    expect(parsed(outputs.call_pay)).toMatchObject({ status: 'done', result: { payoutId: 'payout-1' }, approvedBy: ['alice'] });
    expect(parsed(outputs.call_read)).toMatchObject({ status: 'done' });
    expect(executions.createPayout).toHaveLength(1);
    expect(executions.listAccounts).toBe(1);
    expect(guarded.approvalRequests()).toBe(1);
  });

  it('keeps the authorization server as the approver: a local approval alone runs nothing', async () => {
    const { agent } = await setup();
    model.script({ toolCalls: [{ id: 'call_pay', name: 'create_payout', arguments: payoutArgs }] }, { text: 'Still waiting for alice.' });
    let result = await runner.run(agent, 'pay');
    result.state.approve(result.interruptions[0]!); // the in-process boolean, flipped without the approver
    result = await runner.run(agent, result.state);
    expect(parsed(toolOutputs(model.requests.at(-1)!).call_pay)).toMatchObject({ status: 'approval_pending', approver: 'alice' });
    expect(executions.createPayout).toHaveLength(0);
  });

  it('rejects a denied call with the reason as the tool output; nothing runs', async () => {
    const { countersign, agent } = await setup();
    model.script({ toolCalls: [{ id: 'call_pay', name: 'create_payout', arguments: payoutArgs }] });
    let result = await runner.run(agent, 'pay');
    await bench().deny(pendingOf(countersign, result.interruptions, 'call_pay'), 'supplier under review');
    const settled = await countersign.settle(result.state, { wait: true });
    expect(settled.rejected.map(({ outcome }) => outcome.status)).toEqual(['denied']);
    model.script({ text: 'The payout was declined: supplier under review.' });
    result = await runner.run(agent, result.state);
    expect(parsed(toolOutputs(model.requests.at(-1)!).call_pay)).toMatchObject({ status: 'denied', reason: 'the approver denied the request: supplier under review' });
    expect(executions.createPayout).toHaveLength(0);
  });

  it('answers malformed arguments with the error; no approval is requested and nothing runs', async () => {
    const { countersign, agent } = await setup();
    model.script(
      {
        toolCalls: [
          { id: 'call_schema', name: 'create_payout', arguments: { ...payoutArgs, amount: -1 } },
          { id: 'call_json', name: 'create_payout', arguments: '{"amount": 25' },
        ],
      },
      { text: 'Let me fix that.' },
    );
    let result = await runner.run(agent, 'pay');
    // The SDK cannot inspect unparsable arguments, so it interrupts; settle lets the SDK answer with
    // its parse error (the redacted rejection text would only say "not approved").
    const settled = await countersign.settle(result.state);
    expect(settled.rejected.map(({ callId, outcome }) => [callId, outcome.status])).toEqual([['call_json', 'failed']]);
    expect(settled.approved).toEqual([]);
    result = await runner.run(agent, result.state);
    expect(result.finalOutput).toBe('Let me fix that.');
    const outputs = toolOutputs(model.requests.at(-1)!);
    expect(parsed(outputs.call_schema)).toMatchObject({ status: 'failed', error: { code: 'ERR_INVALID_ARGUMENTS' } });
    expect(JSON.stringify(parsed(outputs.call_schema))).toContain('amount');
    expect(outputs.call_json).toMatch(/error occurred while parsing tool arguments/);
    expect(guarded.approvalRequests()).toBe(0);
    expect(executions.createPayout).toHaveLength(0);
  });

  it('leaves an unknown tool to the SDK, which fails the run; nothing runs', async () => {
    const { agent } = await setup();
    model.script({ toolCalls: [{ id: 'call_u', name: 'wire_money', arguments: '{}' }] });
    await expect(runner.run(agent, 'wire it')).rejects.toThrow(/wire_money not found/);
    expect(guarded.approvalRequests()).toBe(0);
    expect(executions.listAccounts).toBe(0);
  });

  it('settles after a restart from the serialized run state and a new instance, executing once', async () => {
    const first = await setup();
    model.script({ toolCalls: [{ id: 'call_pay', name: 'create_payout', arguments: payoutArgs }] });
    const interrupted = await runner.run(first.agent, 'pay');
    const saved = interrupted.state.toString();
    await bench().approve(pendingOf(first.countersign, interrupted.interruptions, 'call_pay'));

    const second = await setup();
    const state = await RunState.fromString(second.agent, saved);
    const settled = await second.countersign.settle(state, { wait: true });
    expect(settled.approved.map(({ outcome }) => outcome.status)).toEqual(['done']);
    model.script({ text: 'Paid.' });
    const result = await runner.run(second.agent, state);
    expect(parsed(toolOutputs(model.requests.at(-1)!).call_pay)).toMatchObject({ status: 'done' });
    expect(executions.createPayout).toHaveLength(1);
    expect(guarded.approvalRequests()).toBe(1);
    expect(result.finalOutput).toBe('Paid.');
  });

  it('follows the SDK renaming a tool name it does not accept', async () => {
    const renamed = await bench().tools({ payoutName: 'create-payout' });
    const countersign = await createAgentsTools([renamed.createPayout]);
    expect(countersign.tools[0]!.name).toBe('create_payout');
    const agent = new Agent({ name: 'admin', model, tools: countersign.tools });
    model.script({ toolCalls: [{ id: 'call_rot', name: 'create_payout', arguments: payoutArgs }] }, { text: 'Rotated.' });
    let result = await runner.run(agent, 'pay');
    expect(countersign.pendingCalls(result.interruptions)).toHaveLength(1);
    await bench().approve(pendingOf(countersign, result.interruptions, 'call_rot'));
    await countersign.settle(result.state, { wait: true });
    result = await runner.run(agent, result.state);
    expect(renamed.executions.createPayout).toHaveLength(1);
    expect(result.finalOutput).toBe('Rotated.');
  });
});
