/**
 * What the approver sees is what runs, on the devkit's real authorization server and treasury API:
 * the addressed approver decides, the agent's owner never approves its own agent's actions, an agent
 * cannot flood approvers, and dual-control progress reaches the agent within one poll interval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startDevStack, TREASURY_SCOPES, type DevStack } from '@countersign/devkit';
import { OAuthError } from '../packages/core/src/errors.js';
import { guardTool } from '../packages/core/src/tools/guard-tool.js';
import type { ToolApprovalPending, ToolOutcome } from '../packages/core/src/tools/types.js';
import type { Agent } from '../packages/core/src/types.js';
import { createDevAgent, type DevAgent } from './helpers/dev-agent.js';

const POLL_INTERVAL_SECONDS = 1;
let stack: DevStack;
const agents: Array<Omit<DevAgent, 'stack'>> = [];

beforeAll(async () => {
  stack = await startDevStack({ port: 0, toolApiPort: 0, pollInterval: POLL_INTERVAL_SECONDS });
});
afterAll(async () => {
  for (const dev of agents) await dev.close();
  await stack?.close();
});

async function newAgent(owner?: string): Promise<Omit<DevAgent, 'stack'>> {
  const dev = await createDevAgent(stack, [...TREASURY_SCOPES]);
  if (owner !== undefined) stack.registerAgent({ clientId: dev.clientId, jwks: await dev.agent.publicJwks(), scopes: [...TREASURY_SCOPES], owner });
  agents.push(dev);
  return dev;
}

const payoutSchema = z.object({ accountId: z.string(), recipient: z.string(), amount: z.number().positive(), currency: z.string().length(3) });

function payoutTool(agent: Agent, approver = 'alice') {
  let executions = 0;
  const tool = guardTool(agent, {
    name: 'create_payout',
    description: 'Sends money from one of our accounts',
    schema: payoutSchema,
    risk: 'irreversible',
    resource: stack.toolApiUrl,
    scope: 'payouts:write',
    approval: {
      approver,
      describe: (args) => `Pay ${args.amount} ${args.currency} to ${args.recipient}`,
      details: (args) => ({ amount: args.amount, currency: args.currency, recipient: args.recipient }),
    },
    async execute(args, context) {
      executions += 1;
      const response = await context.fetch(`${stack.toolApiUrl}/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args) });
      if (!response.ok) throw new Error(`treasury answered ${response.status}`);
      return response.json();
    },
  });
  return { tool, executions: () => executions };
}

function pendingOf(outcome: ToolOutcome<unknown>): ToolApprovalPending {
  expect(outcome.status).toBe('approval_pending');
  return outcome as ToolApprovalPending;
}

const viewOf = (pending: ToolApprovalPending) => stack.approvals.list().find((view) => view.bindingMessage === pending.bindingMessage && view.status === 'pending')!;

describe('the addressed approver is the approver', () => {
  it("bob cannot approve or deny alice's single-approver request; nothing runs until alice decides", async () => {
    const { agent } = await newAgent();
    const { tool, executions } = payoutTool(agent, 'alice');
    const args = { accountId: 'acc_operating', recipient: 'Single Approver Ltd', amount: 40, currency: 'EUR' };
    const pending = pendingOf(await tool.invoke(args));
    const view = viewOf(pending);
    expect(view.decisionRule).toContain('Only alice may approve or deny');
    await expect(stack.approvals.approve(view.id, 'bob')).rejects.toMatchObject({ code: 'not_allowed', message: expect.stringContaining('only alice may approve or deny it') });
    await expect(stack.approvals.deny(view.id, 'bob', 'not mine')).rejects.toMatchObject({ code: 'not_allowed' });
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_SECONDS * 1000 + 50));
    expect((await tool.resume(pending.approvalId, args)).status).toBe('approval_pending');
    expect(executions()).toBe(0);
    await stack.approvals.approve(view.id, 'alice');
    expect(await tool.resume(pending.approvalId, args, { wait: true })).toMatchObject({ status: 'done', approvers: [{ subject: 'alice' }] });
    expect(executions()).toBe(1);
  });

  it("refuses a request addressed to the agent's owner, and dual control that only the owner could complete", async () => {
    const { agent } = await newAgent('alice');
    const toAlice = await payoutTool(agent, 'alice').tool.invoke({ accountId: 'acc_operating', recipient: 'Owner Ltd', amount: 30, currency: 'EUR' });
    expect(toAlice.status).toBe('failed');
    expect(String((toAlice as { error: Error }).error.message)).toContain("alice owns the agent that asks: an agent's owner may not approve its actions");
    // alice and bob are the only treasury approvers: with alice the owner, nobody can be bob's second.
    const dual = await payoutTool(agent, 'bob').tool.invoke({ accountId: 'acc_operating', recipient: 'Owner Dual Ltd', amount: 5000, currency: 'EUR' });
    expect(String((dual as { error: Error }).error.message)).toContain('nobody besides bob may give the second approval');
    const pending = pendingOf(await payoutTool(agent, 'bob').tool.invoke({ accountId: 'acc_operating', recipient: 'Owner Single Ltd', amount: 30, currency: 'EUR' }));
    const view = viewOf(pending);
    expect(view.agentOwner).toBe('alice');
    expect(view.decisionRule).toContain('alice owns the agent and may not approve its actions');
    await expect(stack.approvals.approve(view.id, 'alice')).rejects.toMatchObject({ code: 'not_allowed', message: expect.stringContaining('alice owns the agent') });
    expect((await stack.approvals.approve(view.id, 'bob')).status).toBe('approved');
  });
});

describe('progress is visible', () => {
  it('prints "1 of 2 approvals (alice); waiting for one more of: bob" within one poll interval of the first approval', async () => {
    const { agent } = await newAgent();
    const { tool } = payoutTool(agent, 'alice');
    const args = { accountId: 'acc_operating', recipient: 'Dual Control Ltd', amount: 5000, currency: 'EUR' };
    const pending = pendingOf(await tool.invoke(args));
    await stack.approvals.approve(viewOf(pending).id, 'alice');
    const approvedAt = Date.now();
    let outcome = pendingOf(await tool.resume(pending.approvalId, args));
    while (outcome.progressText === undefined || !outcome.progressText.startsWith('1 of 2')) {
      expect(Date.now() - approvedAt).toBeLessThan(POLL_INTERVAL_SECONDS * 1000 + 500);
      await new Promise((resolve) => setTimeout(resolve, 50));
      outcome = pendingOf(await tool.resume(pending.approvalId, args));
    }
    expect(outcome.progressText).toBe('1 of 2 approvals (alice); waiting for one more of: bob');
    expect(outcome.progress).toMatchObject({ required: 2, received: [{ subject: 'alice' }], waitingFor: ['bob'] });
  });
});

describe('no approval flooding', () => {
  it('answers slow_down to the sixth open request of one agent, and asks nobody', async () => {
    const { agent } = await newAgent();
    const { tool } = payoutTool(agent, 'bob');
    for (let index = 1; index <= 5; index += 1) {
      pendingOf(await tool.invoke({ accountId: 'acc_operating', recipient: `Flood ${index} Ltd`, amount: index, currency: 'EUR' }));
    }
    const before = stack.approvals.list().length;
    const sixth = await tool.invoke({ accountId: 'acc_operating', recipient: 'Flood 6 Ltd', amount: 6, currency: 'EUR' });
    expect(sixth.status).toBe('failed');
    const error = (sixth as { error: Error }).error;
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).error).toBe('slow_down');
    expect(error.message).toContain('already has 5 approval requests waiting (at most 5)');
    expect(stack.approvals.list()).toHaveLength(before);
  });
});
