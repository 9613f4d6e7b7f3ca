/**
 * One agent replica for the multi-process tests: an agent (own process, own DPoP key, shared
 * identity) on a shared Redis approval store, running a guarded payout against the devkit
 * treasury. Configured by the COUNTERSIGN_REPLICA environment variable (JSON); takes one JSON
 * command per stdin line and answers one JSON line per command on stdout.
 *
 *   { "op": "invoke", "args": {...}, "callId": "...", "wait": true, "hangAfterPayout": false }
 *     -> { "event": "outcome", "status": ..., "approvalId": ..., "code": ..., "retryable": ..., "result": ..., "executed": bool }
 *   with hangAfterPayout, once the treasury has paid: { "event": "paid" }, then never returns.
 */
import { createPrivateKey } from 'node:crypto';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { createAgent, createNodeSigner, guardTool } from '@countersign/core';
import { redisApprovalStore } from '../index.js';

interface ReplicaConfig {
  issuer: string;
  toolApiUrl: string;
  clientId: string;
  keyPem: string;
  redisUrl: string;
  keyPrefix: string;
  leaseMs: number;
}

const config = JSON.parse(process.env.COUNTERSIGN_REPLICA ?? '{}') as ReplicaConfig;
const say = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);

// A generous command timeout: these processes share a busy test machine, and timeouts are
// tested elsewhere (test/redis-approval-store.test.ts).
const store = redisApprovalStore({ url: config.redisUrl, keyPrefix: config.keyPrefix, leaseMs: config.leaseMs, commandTimeoutMs: 10_000, connectTimeoutMs: 10_000 });
const agent = await createAgent({
  issuer: config.issuer,
  clientId: config.clientId,
  key: createNodeSigner(createPrivateKey(config.keyPem)),
  approvals: { store },
  audit: { write: () => undefined },
});

let executed = false;
let hangAfterPayout = false;
const createPayout = guardTool(agent, {
  name: 'create_payout',
  description: 'Sends money from one of our accounts',
  schema: z.object({ accountId: z.string(), recipient: z.string(), amount: z.number().positive(), currency: z.string().length(3) }),
  risk: 'irreversible',
  resource: config.toolApiUrl,
  scope: 'payouts:write',
  approval: {
    approver: 'alice',
    describe: (args) => `Pay ${args.amount} ${args.currency} to ${args.recipient}`,
    details: (args) => ({ amount: args.amount, currency: args.currency, recipient: args.recipient }),
  },
  async execute(args, context) {
    executed = true;
    const response = await context.fetch(`${config.toolApiUrl}/payouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': context.idempotencyKey! },
      body: JSON.stringify(args),
    });
    if (!response.ok) throw new Error(`treasury answered ${response.status}`);
    const result = (await response.json()) as { payoutId: string };
    if (hangAfterPayout) {
      say({ event: 'paid', payoutId: result.payoutId });
      await new Promise(() => undefined); // killed here by the test
    }
    return result;
  },
});

say({ event: 'ready', pid: process.pid });
for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { op: 'invoke'; args: unknown; callId: string; wait?: boolean; hangAfterPayout?: boolean };
  executed = false;
  hangAfterPayout = command.hangAfterPayout === true;
  // As a replica's work loop would: a call still executing elsewhere is asked about again.
  let outcome = await createPayout.invoke(command.args, { callId: command.callId, wait: command.wait });
  for (let attempt = 1; attempt < 12 && outcome.status === 'failed' && outcome.retryable && (outcome.error as { code?: string }).code === 'ERR_TOOL_CALL_IN_PROGRESS'; attempt++) {
    outcome = await createPayout.invoke(command.args, { callId: command.callId, wait: command.wait });
  }
  say({
    event: 'outcome',
    status: outcome.status,
    approvalId: outcome.approvalId,
    code: outcome.status === 'failed' ? (outcome.error as { code?: string }).code : undefined,
    retryable: outcome.status === 'failed' ? outcome.retryable : undefined,
    result: outcome.status === 'done' ? outcome.result : undefined,
    executed,
  });
}
await agent.close();
await store.close();
