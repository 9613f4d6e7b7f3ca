/**
 * The whole Countersign story on the embedded local stack:
 *
 *   1. an agent with its own identity key reads accounts with a routine DPoP-bound token;
 *   2. it proposes a payout, which waits for a human to countersign that exact payout;
 *   3. once approved (in the inbox page, in this terminal, or with --approve-as for unattended runs),
 *      the payout runs exactly once with a short-lived action token;
 *   4. the evidence: who did what, with which key, approved by whom, verified from a hash-chained trail.
 *
 * Usage: pnpm demo [options]   (pnpm demo --help lists them; examples/shared/cli.ts parses them)
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createAgent,
  fileKeyStore,
  jsonlAuditSink,
  verifyAuditTrail,
  type ToolOutcome,
} from '@countersign/core';
import type { TrailRecord } from '@countersign/core/audit';
import { checkApproverFlags, decideAtDesk } from '../shared/approval-desk.js';
import { runCli, UserFacingError } from '../shared/cli.js';
import { openExampleStack } from '../shared/example-stack.js';
import { openRedisApprovals } from '../shared/redis-flag.js';
import { parseAmount, treasuryTools, type PayoutReceipt } from '../shared/treasury-tools.js';
import { demoCommand } from './command.js';

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const say = (text = '') => process.stdout.write(`${text}\n`);

await runCli(demoCommand.name, runDemo);

async function runDemo(signal: AbortSignal): Promise<void> {
  const flags = demoCommand.parse();
  const amount = parseAmount(flags.amount);
  const redis = await openRedisApprovals(flags.redis);
  let stack: Awaited<ReturnType<typeof openExampleStack>> | undefined;
  try {
    stack = await openExampleStack(flags);
    checkApproverFlags(flags, await stack.approvers());
    const stateDir = flags['state-dir'];
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const auditPath = join(stateDir, 'demo-audit.jsonl');
    await rm(auditPath, { force: true });

    say(bold('Countersign demo: an agent that cannot move money without a human'));
    say(`  authorization server  ${stack.issuer}`);
    say(`  treasury API          ${stack.toolApiUrl}`);
    say(`  approval inbox        ${stack.inboxUrl}`);
    if (redis) say(`  approvals: ${redis.where}`);
    say();

    // 1. Its own identity: a key kept on disk (0600), registered with the AS by its public JWKS.
    const keys = fileKeyStore(join(stateDir, 'payout-agent'));
    const key = await keys.load();
    const agent = await createAgent({
      issuer: stack.issuer,
      clientId: 'payout-agent',
      key,
      audit: jsonlAuditSink(auditPath, { signer: key }),
      ...(redis ? { approvals: { store: redis.store } } : {}),
    });
    await stack.registerAgent({ clientId: 'payout-agent', jwks: await agent.publicJwks(), scopes: ['accounts:read', 'payouts:write'] });
    say(`${bold('agent')} payout-agent  key ${agent.keyId}  DPoP key ${agent.dpopThumbprint}`);

    // 2. A routine read with a DPoP-bound token (client_credentials + private_key_jwt).
    const accountsResponse = await agent.fetch(`${stack.toolApiUrl}/accounts`, { resource: stack.toolApiUrl, scope: 'accounts:read' });
    const { accounts } = (await accountsResponse.json()) as { accounts: Array<{ id: string; name: string; balance: number; currency: string }> };
    say(`${bold('read')}  GET /accounts -> ${accounts.map((account) => `${account.id} ${account.balance} ${account.currency}`).join(', ')}`);

    // 3. An irreversible tool: it runs only after a human approves these exact arguments
    //    (see examples/shared/treasury-tools.ts for its definition: schema, risk, approval policy).
    const { createPayout } = treasuryTools(agent, stack.toolApiUrl);

    const account = accounts[0]!;
    const payoutArgs = { accountId: account.id, recipient: 'ACME Supplies Ltd', amount, currency: account.currency, memo: 'Invoice 2026-118' };
    let outcome: ToolOutcome<PayoutReceipt> = await createPayout.invoke(payoutArgs, { callId: 'demo-call-1' });
    if (outcome.status === 'failed') throw new UserFacingError(`the payout was refused before any approval: ${outcome.error.message}`);
    if (outcome.status !== 'approval_pending') throw new Error(`expected the payout to wait for approval, got ${outcome.status}`);

    say();
    say(`${bold('approval pending')}  "${outcome.bindingMessage}"`);
    say(`  asked: ${outcome.approver}   expires: ${outcome.expiresAt}   args sha256: ${outcome.argsSha256}`);
    say(`  approve or deny it in the inbox: ${stack.inboxUrl}`);

    const pendingId = outcome.approvalId;
    const request = await stack.findPending(outcome.argsSha256);
    if (!request) throw new Error('the dev stack has no matching pending request');

    // The flags decide, or this terminal asks (beside the inbox page) until someone decides.
    await decideAtDesk(stack, request, { flags, say, signal });

    while (outcome.status === 'approval_pending') {
      if (signal.aborted) return;
      await sleep(1_000);
      outcome = await createPayout.resume(pendingId, payoutArgs);
    }

    say();
    switch (outcome.status) {
      case 'done':
        say(`${bold('executed once')}  payout ${outcome.result.payoutId} (${outcome.result.status})`);
        break;
      case 'denied':
        say(`${bold('denied')}  nothing was paid${outcome.reason ? `: ${outcome.reason}` : ''}`);
        break;
      case 'expired':
        say(`${bold('expired')}  nobody decided in time; nothing was paid`);
        break;
      case 'failed':
        say(`${bold('failed')}  ${outcome.error.message}`);
        process.exitCode = 1;
        break;
    }

    if (outcome.status === 'done') {
      // A second resume of the same approval returns the stored outcome: the function does not run again.
      const again = await createPayout.resume(pendingId, payoutArgs);
      const after = (await (await agent.fetch(`${stack.toolApiUrl}/accounts`, { resource: stack.toolApiUrl, scope: 'accounts:read' })).json()) as { accounts: Array<{ id: string; balance: number }> };
      const balance = after.accounts.find((candidate) => candidate.id === account.id)!.balance;
      say(`  resumed again -> ${again.status} (same payout ${again.status === 'done' ? again.result.payoutId : '-'}); ${account.id} balance ${account.balance} -> ${balance}`);
    }

    // 4. Evidence: the hash-chained, signed trail, verified with the agent's public keys.
    await agent.close();
    const jwks = await keys.jwks({ includeRetired: true }); // retired public keys too: old checkpoints still verify
    const jwksPath = join(stateDir, 'payout-agent.jwks.json');
    await writeFile(jwksPath, `${JSON.stringify(jwks, null, 2)}\n`);
    const report = await verifyAuditTrail(auditPath, { jwks });
    say();
    say(bold('evidence'));
    for (const line of (await readFile(auditPath, 'utf8')).trim().split('\n')) say(`  ${describeRecord(JSON.parse(line) as TrailRecord)}`);
    if (!report.ok) throw new Error(`audit trail failed verification at line ${report.line}: ${report.reason}`);
    say(`  ${report.records} records, ${report.checkpoints} signed checkpoint(s), hash chain and signatures verified`);
    say(`  verify it yourself: pnpm countersign audit verify ${auditPath} --jwks ${jwksPath}`);
  } finally {
    try {
      await stack?.close();
    } finally {
      await redis?.close();
    }
  }
}

function describeRecord(record: TrailRecord): string {
  if (record.kind === 'checkpoint') return `#${record.seq} checkpoint signed by ${record.checkpoint.kid}`;
  const { event, tool, scope, argsSha256, approvers, outcome } = record.event;
  const parts = [`#${record.seq} ${event}`];
  if (tool) parts.push(`tool=${tool}`);
  if (scope) parts.push(`scope="${scope}"`);
  if (argsSha256) parts.push(`args=${argsSha256.slice(0, 12)}…`);
  if (approvers?.length) parts.push(`approvers=${approvers.map((approver) => approver.subject).join('+')}`);
  if (outcome) parts.push(`outcome=${outcome}`);
  return parts.join('  ');
}
