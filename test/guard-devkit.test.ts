/**
 * The tool guard end to end on the devkit's real authorization server and treasury API: a
 * guarded payout waits for a human, runs exactly once with the action token, and every refusal
 * (denied, expired, changed arguments, replay) holds at the guard and at the enforcement point.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startDevStack, TREASURY_SCOPES, type DevStack } from '@countersign/devkit';
import { createAgent } from '../packages/core/src/agent.js';
import { fileApprovalStore } from '../packages/core/src/tools/file-approval-store.js';
import { ArgumentsChangedError, InsufficientScopeError, ResourceChallengeError } from '../packages/core/src/errors.js';
import { canonicalSha256 } from '../packages/core/src/lib/canonical-json.js';
import { guardTool } from '../packages/core/src/tools/guard-tool.js';
import type { ToolApprovalPending, ToolContext, ToolOutcome } from '../packages/core/src/tools/types.js';
import type { Agent } from '../packages/core/src/types.js';
import { createDevAgent, type DevAgent } from './helpers/dev-agent.js';

let stack: DevStack;
let dev: Omit<DevAgent, 'stack'>;
let directory: string;
let sequence = 0;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'countersign-guard-devkit-'));
  stack = await startDevStack({ port: 0, toolApiPort: 0, pollInterval: 1 });
  dev = await createDevAgent(stack, [...TREASURY_SCOPES]);
});
afterAll(async () => {
  await dev?.close();
  await stack?.close();
  await rm(directory, { recursive: true, force: true });
});

const payoutSchema = z.object({
  accountId: z.string(),
  recipient: z.string(),
  amount: z.number().positive(),
  currency: z.string().length(3),
  memo: z.string().optional(),
});
type Payout = z.infer<typeof payoutSchema>;

/** `create_payout` guarded for `agent`, POSTing its arguments to the real treasury API. */
function payoutTool(agent: Agent, approval: { approver?: string; mode?: 'single' | 'dual'; requestedExpiry?: number } = {}) {
  const executions: ToolContext[] = [];
  const tool = guardTool(agent, {
    name: 'create_payout',
    description: 'Sends money from one of our accounts',
    schema: payoutSchema,
    risk: 'irreversible',
    resource: stack.toolApiUrl,
    scope: 'payouts:write',
    approval: {
      approver: approval.approver ?? 'alice',
      mode: approval.mode,
      requestedExpiry: approval.requestedExpiry,
      describe: (args) => `Pay ${args.amount} ${args.currency} to ${args.recipient}`,
      details: (args) => ({ amount: args.amount, currency: args.currency, recipient: args.recipient }),
    },
    async execute(args, context) {
      executions.push(context);
      const response = await context.fetch(`${stack.toolApiUrl}/payouts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(args),
      });
      if (!response.ok) throw new Error(`treasury answered ${response.status}`);
      return (await response.json()) as { payoutId: string; approvers: { sub: string }[] };
    },
  });
  return { tool, executions };
}

const listAccounts = (agent: Agent) =>
  guardTool(agent, {
    name: 'list_accounts',
    description: 'Lists our accounts and balances',
    schema: z.object({}),
    risk: 'read',
    resource: stack.toolApiUrl,
    scope: 'accounts:read',
    execute: async (_args, { fetch }) => ((await (await fetch(`${stack.toolApiUrl}/accounts`)).json()) as { accounts: { id: string; balance: number }[] }).accounts,
  });

function nextPayout(amount = 100): Payout {
  return { accountId: 'acc_operating', recipient: `Supplier ${++sequence}`, amount, currency: 'EUR' };
}

async function balance(): Promise<number> {
  const outcome = await listAccounts(dev.agent).invoke({});
  if (outcome.status !== 'done') throw new Error(`list_accounts ${outcome.status}`);
  return outcome.result.find((account) => account.id === 'acc_operating')!.balance;
}

function pendingOf(outcome: ToolOutcome<unknown>): ToolApprovalPending {
  if (outcome.status !== 'approval_pending') throw new Error(`expected approval_pending, got ${outcome.status}`);
  return outcome;
}

/** The devkit's request shown with this binding message. */
function viewOf(outcome: ToolApprovalPending) {
  const view = stack.approvals.list().find((candidate) => candidate.bindingMessage === outcome.bindingMessage);
  if (view === undefined) throw new Error(`no request shows "${outcome.bindingMessage}"`);
  return view;
}

describe('guarded tools on the devkit stack', () => {
  it('a read tool runs at once with the routine token', async () => {
    const outcome = await listAccounts(dev.agent).invoke({});
    expect(outcome).toMatchObject({ status: 'done', result: expect.arrayContaining([expect.objectContaining({ id: 'acc_operating' })]) });
  });

  it('approve, then the payout executes exactly once with the action token', async () => {
    const { tool, executions } = payoutTool(dev.agent);
    const args = nextPayout(250);
    const before = await balance();
    const pending = pendingOf(await tool.invoke(args, { callId: 'call-approve' }));
    expect(pending).toMatchObject({ approver: 'alice', bindingMessage: `Pay 250 EUR to ${args.recipient}`, argsSha256: canonicalSha256(args) });
    expect(Date.parse(pending.expiresAt)).toBeGreaterThan(Date.now());
    const view = viewOf(pending);
    expect(view).toMatchObject({ tool: 'create_payout', argsSha256: canonicalSha256(args), summary: { amount: 250, currency: 'EUR' } });
    expect(await tool.resume(pending.approvalId, args)).toMatchObject({ status: 'approval_pending' });
    expect(executions).toHaveLength(0);

    await stack.approvals.approve(view.id, 'alice');
    const done = await tool.resume(pending.approvalId, args, { wait: true });
    expect(done).toMatchObject({ status: 'done', approvalId: pending.approvalId, approvers: [{ subject: 'alice' }], result: { approvers: [{ sub: 'alice' }] } });
    expect(executions).toHaveLength(1);
    expect(executions[0]!.token.authorizationDetails).toEqual([
      { type: 'agent_action', tool: 'create_payout', args, args_sha256: canonicalSha256(args), amount: 250, currency: 'EUR', recipient: args.recipient },
    ]);
    expect(await balance()).toBe(before - 250);

    // Later resumes, and the model re-running the same tool call, get the stored outcome.
    expect(await tool.resume(pending.approvalId, args)).toEqual(done);
    expect(await tool.invoke(args, { callId: 'call-approve' })).toEqual(done);
    expect(executions).toHaveLength(1);
    expect(await balance()).toBe(before - 250);

    await dev.agent.audit.flush();
    const events = dev.events.filter((event) => event.approvalId === pending.approvalId);
    expect(events.map((event) => event.event)).toEqual(['approval.requested', 'tool.invoked', 'approval.approved', 'tool.executed']);
    expect(events.at(-1)).toMatchObject({ tool: 'create_payout', callId: 'call-approve', argsSha256: canonicalSha256(args), approvers: [{ subject: 'alice' }], outcome: 'ok' });
    expect(JSON.stringify(dev.events)).not.toContain(executions[0]!.token.accessToken);
    expect(JSON.stringify(dev.events)).not.toContain(args.recipient);
  });

  it('deny: the model gets denied with the reason and nothing runs', async () => {
    const { tool, executions } = payoutTool(dev.agent);
    const args = nextPayout(300);
    const before = await balance();
    const pending = pendingOf(await tool.invoke(args));
    await stack.approvals.deny(viewOf(pending).id, 'alice', 'not in the vendor list');
    const denied = await tool.resume(pending.approvalId, args, { wait: true });
    expect(denied).toMatchObject({ status: 'denied', approvalId: pending.approvalId, reason: expect.stringMatching(/not in the vendor list/) });
    expect(await tool.resume(pending.approvalId, args)).toEqual(denied);
    expect(executions).toHaveLength(0);
    expect(await balance()).toBe(before);
  });

  it('expiry: nobody decides, the call expires and nothing runs', async () => {
    const { tool, executions } = payoutTool(dev.agent, { requestedExpiry: 2 });
    const args = nextPayout(45);
    const pending = pendingOf(await tool.invoke(args));
    expect(await tool.resume(pending.approvalId, args, { wait: true })).toEqual({ status: 'expired', tool: 'create_payout', approvalId: pending.approvalId });
    expect(executions).toHaveLength(0);
  });

  it('dual control: the pending outcome shows progress, two distinct approvers are needed', async () => {
    const { tool, executions } = payoutTool(dev.agent, { mode: 'dual' });
    const args = nextPayout(4_000);
    const pending = pendingOf(await tool.invoke(args));
    const view = viewOf(pending);
    expect(view.requiredApprovals).toBe(2);
    await stack.approvals.approve(view.id, 'alice');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const halfway = await tool.resume(pending.approvalId, args);
    expect(halfway).toMatchObject({ status: 'approval_pending', progress: { required: 2, received: [{ subject: 'alice' }] } });
    expect(executions).toHaveLength(0);
    await stack.approvals.approve(view.id, 'bob');
    const done = await tool.resume(pending.approvalId, args, { wait: true });
    expect(done).toMatchObject({ status: 'done', approvers: [{ subject: 'alice' }, { subject: 'bob' }] });
    expect(executions).toHaveLength(1);
  });

  it('arguments changed after approval: the guard refuses, and so does the tool API with the approved token', async () => {
    const { tool, executions } = payoutTool(dev.agent);
    const args = nextPayout(80);
    const before = await balance();
    const pending = pendingOf(await tool.invoke(args));
    await stack.approvals.approve(viewOf(pending).id, 'alice');
    const changed = await tool.resume(pending.approvalId, { ...args, amount: 8_000 });
    expect(changed).toMatchObject({ status: 'failed', error: expect.any(ArgumentsChangedError) });
    expect(executions).toHaveLength(0);

    // Going around the guard: the same approval's action token, sent straight with another body.
    const approval = dev.agent.resumeApproval((await dev.agent.approvalStore.get(pending.approvalId))!.approval);
    const token = await approval.wait();
    const post = (body: unknown) =>
      dev.agent.fetch(`${stack.toolApiUrl}/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), token });
    const refused = await post({ ...args, amount: 8_000 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InsufficientScopeError);
    expect((refused as Error).message).toMatch(/args_sha256/);
    expect(await balance()).toBe(before);

    // The approved body is accepted once; the action token replayed is refused.
    expect((await post(args)).status).toBe(201);
    const replay = await post(args).catch((error: unknown) => error);
    expect(replay).toBeInstanceOf(ResourceChallengeError);
    expect((replay as ResourceChallengeError).error).toBe('invalid_token');
    expect(await balance()).toBe(before - 80);
  });

  it('two resumes at the same time: one execution, the same outcome for both', async () => {
    const { tool, executions } = payoutTool(dev.agent);
    const args = nextPayout(55);
    const before = await balance();
    const pending = pendingOf(await tool.invoke(args));
    await stack.approvals.approve(viewOf(pending).id, 'alice');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const [first, second] = await Promise.all([tool.resume(pending.approvalId, args), payoutTool(dev.agent).tool.resume(pending.approvalId, args)]);
    expect(first).toMatchObject({ status: 'done' });
    expect(second).toEqual(first);
    expect(executions).toHaveLength(1);
    expect(await balance()).toBe(before - 55);
  });

  it('a restart while pending: a new agent on the same file store resumes the same tool call', async () => {
    const path = join(directory, 'approvals.json');
    const first = await createAgent({ issuer: stack.issuer, clientId: dev.clientId, key: dev.identity, approvals: { store: fileApprovalStore(path) } });
    const args = nextPayout(65);
    const before = await balance();
    let pending: ToolApprovalPending;
    try {
      pending = pendingOf(await payoutTool(first).tool.invoke(args, { callId: 'call-restart' }));
    } finally {
      await first.close();
    }
    await stack.approvals.approve(viewOf(pending).id, 'alice');

    const second = await createAgent({ issuer: stack.issuer, clientId: dev.clientId, key: dev.identity, approvals: { store: fileApprovalStore(path) } });
    try {
      const { tool, executions } = payoutTool(second);
      const done = await tool.invoke(args, { callId: 'call-restart', wait: true });
      expect(done).toMatchObject({ status: 'done', approvalId: pending.approvalId, approvers: [{ subject: 'alice' }] });
      expect(executions).toHaveLength(1);
      expect(await balance()).toBe(before - 65);
      expect(await fileApprovalStore(path).get(pending.approvalId)).toMatchObject({ state: 'done', callId: 'call-restart' });
    } finally {
      await second.close();
    }
  });
});
