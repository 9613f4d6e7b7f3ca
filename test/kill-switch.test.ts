/**
 * The kill switch lasts: disabling an agent in the devkit revokes its outstanding approvals, CIBA
 * grants and action tokens for good. Re-enabling it, or registering the same client_id with a new
 * key, brings none of them back, and the SDK ends each call with a final, typed outcome; nothing is
 * paid without a new human decision.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startDevStack, TREASURY_SCOPES, type DevStack } from '@countersign/devkit';
import { createAgent } from '../packages/core/src/agent.js';
import { ApprovalGrantRefusedError } from '../packages/core/src/approvals/errors.js';
import { AgentRevokedError, ResourceChallengeError } from '../packages/core/src/errors.js';
import { createNodeSigner } from '../packages/core/src/keys/node-signer.js';
import type { Signer } from '../packages/core/src/keys/signer.js';
import { fileApprovalStore } from '../packages/core/src/tools/file-approval-store.js';
import { guardTool } from '../packages/core/src/tools/guard-tool.js';
import type { ApprovalStore } from '../packages/core/src/tools/tool-call-ledger.js';
import type { ToolApprovalPending, ToolOutcome } from '../packages/core/src/tools/types.js';
import type { Agent } from '../packages/core/src/types.js';

let stack: DevStack;
let reader: Agent;
let directory: string;
let agents = 0;
let sequence = 0;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'countersign-kill-switch-'));
  stack = await startDevStack({ port: 0, toolApiPort: 0, pollInterval: 1 });
  const readerKey = newKey();
  register(`kill-switch-reader-${process.pid}`, readerKey);
  reader = await createAgent({ issuer: stack.issuer, clientId: `kill-switch-reader-${process.pid}`, key: readerKey });
});
afterAll(async () => {
  await reader?.close().catch(() => undefined);
  await stack?.close();
  await rm(directory, { recursive: true, force: true });
});

const newKey = (): Signer => createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);

function register(clientId: string, key: Signer): void {
  stack.registerAgent({ clientId, jwks: { keys: [{ ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' }] }, scopes: [...TREASURY_SCOPES] });
}

const open: Agent[] = [];
afterAll(async () => {
  for (const agent of open) await agent.close().catch(() => undefined);
});

async function agentFor(clientId: string, key: Signer, store: ApprovalStore): Promise<Agent> {
  const agent = await createAgent({ issuer: stack.issuer, clientId, key, approvals: { store } });
  open.push(agent);
  return agent;
}

const payoutSchema = z.object({ accountId: z.string(), recipient: z.string(), amount: z.number().positive(), currency: z.string().length(3) });

function payoutTool(agent: Agent) {
  let executions = 0;
  const tool = guardTool(agent, {
    name: 'create_payout',
    description: 'Sends money from one of our accounts',
    schema: payoutSchema,
    risk: 'irreversible',
    resource: stack.toolApiUrl,
    scope: 'payouts:write',
    approval: { approver: 'alice', describe: (args) => `Pay ${args.amount} ${args.currency} to ${args.recipient}`, details: (args) => ({ amount: args.amount, currency: args.currency }) },
    async execute(args, context) {
      executions += 1;
      const response = await context.fetch(`${stack.toolApiUrl}/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args) });
      if (!response.ok) throw new Error(`treasury answered ${response.status}`);
      return (await response.json()) as { payoutId: string };
    },
  });
  return { tool, executions: () => executions };
}

function pendingOf(outcome: ToolOutcome<unknown>): ToolApprovalPending {
  if (outcome.status !== 'approval_pending') throw new Error(`expected approval_pending, got ${outcome.status}`);
  return outcome;
}

const viewOf = (pending: ToolApprovalPending) => stack.approvals.list().find((view) => view.bindingMessage === pending.bindingMessage)!;
/** The operating account's balance, read by an agent the kill switch never touches. */
async function balance(): Promise<number> {
  const response = await reader.fetch(`${stack.toolApiUrl}/accounts`, { resource: stack.toolApiUrl, scope: 'accounts:read' });
  const { accounts } = (await response.json()) as { accounts: { id: string; balance: number }[] };
  return accounts.find((account) => account.id === 'acc_operating')!.balance;
}

/** An agent with a payout approved by alice but not yet run, sharing a file store with its successors. */
async function approvedButNotRun() {
  const clientId = `kill-switch-${++agents}-${process.pid}`;
  const key = newKey();
  register(clientId, key);
  const store = fileApprovalStore(join(directory, `${clientId}.json`));
  const agent = await agentFor(clientId, key, store);
  const args = { accountId: 'acc_operating', recipient: `Supplier ${++sequence}`, amount: 90, currency: 'EUR' };
  const { tool } = payoutTool(agent);
  const pending = pendingOf(await tool.invoke(args, { callId: `call-${sequence}` }));
  await stack.approvals.approve(viewOf(pending).id, 'alice');
  return { clientId, key, store, agent, tool, args, pending };
}

describe('the kill switch lasts', () => {
  it('an approval given before the kill switch is never redeemed: not while disabled, not after re-enabling, not after re-keying', async () => {
    const before = await balance();
    const { clientId, key, store, tool, args, pending } = await approvedButNotRun();
    stack.disableAgent(clientId);
    expect(viewOf(pending)).toMatchObject({ status: 'denied' });

    // While disabled: the agent's identity is refused, and that ends the call for good.
    const refused = await tool.resume(pending.approvalId, args, { wait: true });
    expect(refused).toMatchObject({ status: 'failed', approvalId: pending.approvalId });
    expect(refused.status === 'failed' && refused.error).toBeInstanceOf(AgentRevokedError);
    expect(refused.status === 'failed' && refused.retryable).not.toBe(true);

    // Re-enabled with the same key, then re-keyed: a fresh agent on the same store gets the stored, final outcome.
    register(clientId, key);
    const again = payoutTool(await agentFor(clientId, key, store));
    // The stored outcome: the same final failure, its code kept (the error comes back from the store).
    const final = { status: 'failed', approvalId: pending.approvalId, error: { code: 'ERR_AGENT_REVOKED' } };
    expect(await again.tool.resume(pending.approvalId, args, { wait: true })).toMatchObject(final);
    const newKeyAgent = newKey();
    register(clientId, newKeyAgent);
    const rekeyed = payoutTool(await agentFor(clientId, newKeyAgent, store));
    expect(await rekeyed.tool.resume(pending.approvalId, args, { wait: true })).toMatchObject(final);
    expect(again.executions() + rekeyed.executions()).toBe(0);
    expect(await balance()).toBe(before);
  });

  it('after re-registering, a poll of the old request is refused for good, with an error that says why', async () => {
    const before = await balance();
    const { clientId, tool, args, pending } = await approvedButNotRun();
    stack.disableAgent(clientId);
    // Re-keyed before the old agent ever polled again: its identity is accepted, its old grant is gone.
    const replacement = newKey();
    register(clientId, replacement);
    const store = fileApprovalStore(join(directory, `${clientId}.json`));
    const { tool: rekeyedTool, executions } = payoutTool(await agentFor(clientId, replacement, store));
    const outcome = await rekeyedTool.resume(pending.approvalId, args, { wait: true });
    expect(outcome).toMatchObject({ status: 'failed', approvalId: pending.approvalId });
    const error = outcome.status === 'failed' ? outcome.error : undefined;
    expect(error).toBeInstanceOf(ApprovalGrantRefusedError);
    expect(error).toMatchObject({ code: 'ERR_APPROVAL_GRANT_REFUSED', error: 'invalid_grant' });
    expect(error?.message).toMatch(/redeemed already|revoked \(the agent was disabled\)/);
    expect(executions()).toBe(0);
    // The old instance's resume reads the same final outcome.
    expect(await tool.resume(pending.approvalId, args)).toMatchObject({ status: 'failed', error: { code: 'ERR_APPROVAL_GRANT_REFUSED' } });
    expect(await balance()).toBe(before);
    // A new call asks a human again.
    expect(await rekeyedTool.invoke({ ...args, amount: 91 }, { callId: 'after-kill-switch' })).toMatchObject({ status: 'approval_pending' });
  });

  it('an action token already issued is refused by the treasury after the kill switch, even once re-enabled', async () => {
    const before = await balance();
    const clientId = `kill-switch-${++agents}-${process.pid}`;
    const key = newKey();
    register(clientId, key);
    const agent = await agentFor(clientId, key, fileApprovalStore(join(directory, `${clientId}.json`)));
    const args = { accountId: 'acc_operating', recipient: `Supplier ${++sequence}`, amount: 70, currency: 'EUR' };
    const details = [{ type: 'agent_action', tool: 'create_payout', args, amount: 70, currency: 'EUR' }];
    const { canonicalSha256 } = await import('../packages/core/src/lib/canonical-json.js');
    (details[0] as Record<string, unknown>).args_sha256 = canonicalSha256(args);
    const approval = await agent.requestApproval({
      loginHint: 'alice',
      bindingMessage: `Pay 70 EUR to ${args.recipient}`,
      authorizationDetails: details,
      scope: 'payouts:write',
      resource: stack.toolApiUrl,
    });
    await stack.approvals.approve(stack.approvals.list().find((view) => view.bindingMessage === `Pay 70 EUR to ${args.recipient}`)!.id, 'alice');
    const actionToken = await approval.wait();
    stack.disableAgent(clientId);
    register(clientId, key);
    const response = await agent
      .fetch(`${stack.toolApiUrl}/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args), token: actionToken })
      .catch((error: unknown) => error);
    if (response instanceof Response) expect(response.status).toBe(401);
    else expect(response).toBeInstanceOf(ResourceChallengeError);
    expect(await balance()).toBe(before);
  });
});
