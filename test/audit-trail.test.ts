/**
 * The evidence of a full approve-and-pay run on the devkit's real servers: a routine read, a payout
 * that waits for a human, approved through the devkit, executed once. The JSONL trail it leaves must
 * be complete, verify against the agent's public JWKS, and hold no token, proof, assertion or key.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startDevStack, type DevStack } from '@countersign/devkit';
import { jsonlAuditSink } from '../packages/core/src/audit/jsonl-audit-sink.js';
import { scrubString } from '../packages/core/src/audit/scrub-secrets.js';
import type { TrailRecord } from '../packages/core/src/audit/trail-record.js';
import type { AuditEvent } from '../packages/core/src/audit/types.js';
import { verifyAuditTrail } from '../packages/core/src/audit/verify-audit-trail.js';
import { guardTool } from '../packages/core/src/tools/guard-tool.js';
import type { ToolOutcome } from '../packages/core/src/tools/types.js';
import type { Agent } from '../packages/core/src/types.js';
import { createDevAgent } from './helpers/dev-agent.js';
import { knownSecrets, rememberSecret } from './helpers/error-collector.js';

type Payout = { payoutId: string; status: string };

let stack: DevStack;
let directory: string;

beforeAll(async () => {
  stack = await startDevStack({ port: 0, toolApiPort: 0 });
  directory = await mkdtemp(join(tmpdir(), 'countersign-trail-'));
});
afterAll(async () => {
  await stack?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

function walk(value: unknown, visit: (text: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) for (const item of value) walk(item, visit);
  else if (value && typeof value === 'object') for (const [key, member] of Object.entries(value)) (visit(key), walk(member, visit));
}

interface PayoutRun {
  trailPath: string;
  clientId: string;
  keyId: string;
  dpopThumbprint: string;
  jwks: Awaited<ReturnType<Agent['publicJwks']>>;
}

/**
 * A routine read, then a payout of `amount` that waits for `approvers` (approved through the devkit,
 * as the inbox does), resumed until it runs; then the agent is closed (final checkpoint).
 */
async function approveAndPay(name: string, amount: number, approvers: string[]): Promise<PayoutRun> {
  const trailPath = join(directory, `${name}.jsonl`);
  // No signer given: the agent binds its identity key to the sink.
  const run = await createDevAgent(stack, ['accounts:read', 'payouts:write'], { audit: jsonlAuditSink(trailPath, { checkpointEvery: 4 }) });
  const { agent, clientId } = run;
  const identity = { trailPath, clientId, keyId: agent.keyId, dpopThumbprint: agent.dpopThumbprint, jwks: await agent.publicJwks() };
  let actionTokenSeen = false;
  try {
    const accounts = await agent.fetch(`${stack.toolApiUrl}/accounts`, { resource: stack.toolApiUrl, scope: 'accounts:read' });
    expect(accounts.status).toBe(200);
    const [account] = ((await accounts.json()) as { accounts: Array<{ id: string; currency: string }> }).accounts;
    if (!account) throw new Error('the treasury API lists no account');
    rememberSecret((await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' })).accessToken);

    const createPayout = guardTool(agent, {
      name: 'create_payout',
      description: 'Send money from a treasury account to a recipient.',
      schema: z.object({ accountId: z.string(), recipient: z.string(), amount: z.number().positive(), currency: z.string(), memo: z.string().optional() }),
      risk: 'irreversible',
      resource: stack.toolApiUrl,
      scope: 'payouts:write',
      approval: {
        approver: approvers[0]!,
        mode: approvers.length > 1 ? 'dual' : 'single',
        describe: (args) => `Pay ${args.amount} ${args.currency} to ${args.recipient}`,
        details: (args) => ({ amount: args.amount, currency: args.currency }),
      },
      async execute(args, { fetch, token }) {
        rememberSecret(token.accessToken);
        actionTokenSeen = true;
        const response = await fetch(`${stack.toolApiUrl}/payouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args) });
        if (!response.ok) throw new Error(`payout refused (HTTP ${response.status})`);
        return (await response.json()) as Payout;
      },
    });

    const args = { accountId: account.id, recipient: 'ACME Supplies Ltd', amount, currency: account.currency, memo: 'Invoice 2026-118' };
    const pending = await createPayout.invoke(args, { callId: 'call-1' });
    if (pending.status !== 'approval_pending') throw new Error(`expected approval_pending, got ${pending.status}: ${JSON.stringify(pending)}`);

    const request = stack.approvals.list().find((view) => view.status === 'pending' && view.clientId === clientId);
    if (!request) throw new Error('the devkit has no pending request from this agent');
    let outcome: ToolOutcome<Payout> = pending;
    for (const approver of approvers) {
      await stack.approvals.approve(request.id, approver);
      // One poll between approvals, so a dual-control trail shows the first approval while pending.
      outcome = await createPayout.resume(pending.approvalId, args, { callId: 'call-1' });
    }
    for (let attempt = 0; attempt < 40 && outcome.status === 'approval_pending'; attempt += 1) {
      await sleep(250);
      outcome = await createPayout.resume(pending.approvalId, args, { callId: 'call-1' });
    }
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ status: 'done', approvalId: pending.approvalId });
    expect(actionTokenSeen).toBe(true);
  } finally {
    await run.close();
  }
  return identity;
}

async function readEvents(trailPath: string) {
  const text = await readFile(trailPath, 'utf8');
  const records = text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as TrailRecord);
  return { text, events: records.flatMap((record) => (record.kind === 'event' ? [record.event] : [])) };
}

describe('audit trail of an approve-and-pay run', () => {
  it('is complete, verifies with the public JWKS, and holds no token', async () => {
    const { trailPath, clientId, keyId, dpopThumbprint, jwks } = await approveAndPay('single', 250, ['alice']);

    // Verifies: chain intact, every record covered by a checkpoint signed with the agent's key.
    const result = await verifyAuditTrail(trailPath, { jwks });
    expect(result).toMatchObject({ ok: true, agents: [clientId], kids: [keyId], warnings: [] });
    expect(result.checkpoints).toBeGreaterThanOrEqual(2);

    const { text, events } = await readEvents(trailPath);
    const names = events.map((event) => event.event);

    // Complete, and in order.
    const at = (name: AuditEvent['event'], predicate: (event: AuditEvent) => boolean = () => true) =>
      events.findIndex((event) => event.event === name && predicate(event));
    const payout = (event: AuditEvent) => event.tool === 'create_payout';
    const order = [
      at('token.requested', (event) => event.scope === 'accounts:read'),
      at('token.issued', (event) => event.scope === 'accounts:read'),
      at('tool.invoked', payout),
      at('approval.requested', payout),
      at('approval.approved', payout),
      at('tool.executed', payout),
    ];
    expect(order.every((index) => index >= 0), `events: ${names.join(', ')}`).toBe(true);
    const [requestedToken, issuedToken, invokedTool, requestedApproval, approvedApproval, executedTool] = order as [number, number, number, number, number, number];
    // The guard records tool.invoked once it has the approval id, so the two may come in either order.
    expect(requestedToken).toBeLessThan(issuedToken);
    expect(issuedToken).toBeLessThan(Math.min(invokedTool, requestedApproval));
    expect(Math.max(invokedTool, requestedApproval)).toBeLessThan(approvedApproval);
    expect(approvedApproval).toBeLessThan(executedTool);
    expect(names.filter((name) => name === 'tool.executed')).toHaveLength(1);
    expect(names.at(-1)).toBe('agent.closed');

    const invoked = events[order[2]!]!;
    const approved = events[order[4]!]!;
    const executed = events[order[5]!]!;
    expect(invoked.argsSha256).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(approved).toMatchObject({ approvalId: invoked.approvalId, argsSha256: invoked.argsSha256, outcome: 'ok' });
    expect(approved.approvers?.map((approver) => approver.subject)).toEqual(['alice']);
    expect(executed).toMatchObject({ approvalId: invoked.approvalId, argsSha256: invoked.argsSha256, outcome: 'ok' });
    for (const event of events) {
      expect(event).toMatchObject({ agent: clientId, kid: keyId, jkt: dpopThumbprint });
    }
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => index + 1));

    // No token, proof, assertion or key: none of the secrets the run produced, and nothing JWS-shaped
    // in any event (checkpoint signatures are the trail's own, and are not credentials).
    const secrets = knownSecrets();
    expect(secrets.length).toBeGreaterThan(3);
    for (const secret of secrets) expect(text.includes(secret), 'a secret reached the audit trail').toBe(false);
    walk(events, (value) => expect(scrubString(value)).toBe(value));
    expect(events.some((event) => event.args !== undefined)).toBe(false);
    expect(text).not.toContain('Invoice 2026-118');
  });

  it('names both approvers of a dual-control payout, distinct, in the approval and the execution', async () => {
    const { trailPath, jwks } = await approveAndPay('dual', 1500, ['alice', 'bob']);
    expect(await verifyAuditTrail(trailPath, { jwks })).toMatchObject({ ok: true, warnings: [] });
    const { events } = await readEvents(trailPath);
    const subjects = (name: string) => events.find((event) => event.event === name && event.tool === 'create_payout')?.approvers?.map((approver) => approver.subject);
    expect(subjects('approval.approved')).toEqual(['alice', 'bob']);
    expect(subjects('tool.executed')).toEqual(['alice', 'bob']);
    expect(events.filter((event) => event.event === 'tool.executed')).toHaveLength(1);
  });
});
