/**
 * An agent calling a protected MCP treasury server as itself, on the devkit stack:
 *
 *   1. `list_accounts` runs with the agent's routine DPoP-bound token;
 *   2. `create_payout` is irreversible: the MCP server refuses it without an approval of that
 *      exact call, so the tool answers `approval_pending` (CIBA request to the approver);
 *   3. once a human approves (in the inbox page, or with --approve-as for unattended runs), the
 *      same call resumes and the payout runs exactly once with the action token;
 *   4. resuming that call again returns the stored outcome and pays nothing.
 *
 * Offline: the authorization server, the inbox and the MCP server all run in this process on
 * 127.0.0.1.
 *
 * Usage: pnpm exec tsx examples/mcp-payout/main.ts [--approve-as alice] [--deny]
 */
import { createAgent, generateKey } from '@countersign/core';
import { startDevStack, TREASURY_SCOPES } from '@countersign/devkit';
import { mcpTools } from '@countersign/mcp';
import { progressLine } from '../shared/approval-desk.js';
import { startTreasuryMcpServer } from './treasury-mcp-server.js';

const say = (text = '') => process.stdout.write(`${text}\n`);

function flags(argv: string[]): { approveAs?: string; deny: boolean } {
  const result: { approveAs?: string; deny: boolean } = { deny: false };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    if (flag === '--approve-as' && argv[index + 1] && !argv[index + 1]!.startsWith('--')) result.approveAs = argv[++index];
    else if (flag === '--deny') result.deny = true;
    else throw new UsageError(`unknown or incomplete option ${flag}`);
  }
  return result;
}

class UsageError extends Error {}

async function main(): Promise<void> {
  const options = flags(process.argv.slice(2));
  const mcp = await startTreasuryMcpServer({});
  const stack = await startDevStack({ port: 0, toolApiPort: 0, pollInterval: 1, resources: [{ url: mcp.url, scopes: TREASURY_SCOPES }] });
  try {
    await mcp.trust(stack.issuer);
    const key = await generateKey();
    const clientId = 'mcp-payout-agent';
    stack.registerAgent({ clientId, jwks: { keys: [{ ...key.publicJwk, kid: key.kid, alg: key.alg, use: 'sig' }] }, scopes: [...TREASURY_SCOPES] });
    const agent = await createAgent({ issuer: stack.issuer, clientId, key });
    say(`MCP server ${mcp.url} (protected by @countersign/server), authorization server ${stack.issuer}`);

    const tools = await mcpTools(agent, {
      url: mcp.url,
      resource: mcp.url,
      scope: 'accounts:read',
      approval: {
        approver: 'alice',
        describe: (args) => `Pay ${String(args.amount)} ${String(args.currency)} to ${String(args.recipient)}`,
        details: (args) => ({ amount: args.amount, currency: args.currency, recipient: args.recipient }),
      },
    });
    say(`tools: ${tools.map((tool) => `${tool.name} (${tool.risk})`).join(', ')}`);

    const accounts = await tools.find((tool) => tool.name === 'list_accounts')!.invoke({});
    say(`list_accounts -> ${accounts.status}${accounts.status === 'done' ? ` ${JSON.stringify(accounts.result.content)}` : ''}`);

    const payout = tools.find((tool) => tool.name === 'create_payout')!;
    const args = { accountId: 'acc_operating', recipient: 'ACME Supplies Ltd', amount: 250, currency: 'EUR' };
    const callId = 'model-call-1';
    const pending = await payout.invoke(args, { callId });
    if (pending.status !== 'approval_pending') throw new Error(`expected approval_pending, got ${pending.status}`);
    say(`create_payout(${JSON.stringify(args)}) -> approval_pending (${pending.approver}: "${pending.bindingMessage}", until ${pending.expiresAt})`);

    const request = stack.approvals.list().find((approval) => approval.status === 'pending');
    if (options.deny && request) {
      await stack.approvals.deny(request.id, options.approveAs ?? 'alice', 'not this one');
      say('denied (--deny)');
    } else if (options.approveAs && request) {
      const view = await stack.approvals.approve(request.id, options.approveAs);
      say(`approved as ${options.approveAs} (--approve-as)${progressLine(view)}`);
    } else {
      say(`approve or deny it at ${stack.inboxUrl} ...`);
    }

    const outcome = await payout.resume(pending.approvalId, args, { callId, wait: true });
    say(`create_payout -> ${outcome.status}${outcome.status === 'done' ? ` ${JSON.stringify(outcome.result.content)}` : ''}`);
    const again = await payout.resume(pending.approvalId, args, { callId });
    say(`the same call resumed again -> ${again.status}; payouts executed by the MCP server: ${mcp.payouts.length}`);
    if (outcome.status === 'done' && mcp.payouts.length !== 1) throw new Error('the payout did not run exactly once');
    if (outcome.status !== 'done' && mcp.payouts.length !== 0) throw new Error('a payout ran without approval');
    await agent.close();
  } finally {
    await stack.close();
    await mcp.close();
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`mcp-payout: ${error.message}\nhint: pnpm exec tsx examples/mcp-payout/main.ts [--approve-as alice] [--deny]\n`);
  } else {
    process.stderr.write(`mcp-payout: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exitCode = 1;
});
