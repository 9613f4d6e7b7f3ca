/**
 * A LangChain agent (createAgent from `langchain`) that cannot move money without a human: its
 * treasury tools are Countersign guarded tools, the payout pauses the graph with a LangGraph
 * interrupt until the approver decides in the devkit's inbox, and resumeWhenDecided resumes it.
 *
 * Offline by default (a scripted model, an in-process devkit stack). With OPENAI_API_KEY set (or
 * --model provider:name) it uses a real chat model through initChatModel, which needs that
 * provider's package (`@langchain/openai` is already a dev dependency of this workspace).
 *
 * Usage: pnpm exec tsx examples/langchain-payout/main.ts [--approve-as alice] [--deny] [--amount 250] [--port 4000] [--scripted]
 */
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline/promises';
import { HumanMessage } from '@langchain/core/messages';
import { MemorySaver } from '@langchain/langgraph';
import { createAgent as createLangChainAgent, initChatModel } from 'langchain';
import { createAgent, generateKey } from '@countersign/core';
import { startDevStack } from '@countersign/devkit';
import { countersignMiddleware, countersignTools, resumeWhenDecided, type PendingApprovalInterrupt } from '@countersign/langchain';
import { treasuryTools } from '../shared/treasury-tools.js';
import { scriptedPayoutModel } from './scripted-model.js';

const { values: flags } = parseArgs({
  options: {
    'approve-as': { type: 'string', multiple: true },
    deny: { type: 'boolean', default: false },
    amount: { type: 'string', default: '250' },
    port: { type: 'string', default: '4000' },
    model: { type: 'string' },
    scripted: { type: 'boolean', default: false },
  },
});

const say = (text = '') => process.stdout.write(`${text}\n`);
const amount = Number(flags.amount);
if (!(amount > 0)) throw new Error('--amount must be a positive number');
const port = Number(flags.port);
const stack = await startDevStack({ port, toolApiPort: port === 0 ? 0 : port + 1 });
const stop = new AbortController();
process.once('SIGINT', () => stop.abort(new Error('interrupted')));

try {
  say(`authorization server ${stack.issuer}   treasury API ${stack.toolApiUrl}   approval inbox ${stack.inboxUrl}`);

  // The agent's own identity, registered with the dev authorization server.
  const agent = await createAgent({ issuer: stack.issuer, clientId: 'langchain-payout-agent', key: await generateKey() });
  stack.registerAgent({ clientId: 'langchain-payout-agent', jwks: await agent.publicJwks(), scopes: ['accounts:read', 'payouts:write'] });

  const { listAccounts, createPayout } = treasuryTools(agent, stack.toolApiUrl);

  // The three lines: guarded tools as LangChain tools, an agent that can pause, a resumer.
  const tools = countersignTools([listAccounts, createPayout]);
  const model = await chooseModel();
  const langchainAgent = createLangChainAgent({ model, tools, middleware: [countersignMiddleware()], checkpointer: new MemorySaver() });

  const before = await balances();
  const config = { configurable: { thread_id: 'invoice-2026-118' } };
  const first = await langchainAgent.invoke({ messages: [new HumanMessage(`Pay ${amount} to ACME Supplies Ltd for invoice 2026-118 from an account that can cover it.`)] }, config);

  const { state, settlements } = await resumeWhenDecided(langchainAgent, config, {
    tools,
    pollIntervalMs: 1_000,
    signal: stop.signal,
    onPending: (entries) => Promise.all(entries.map(decide)).then(() => undefined),
    onSettled: (settlement) => void say(`settled  ${settlement.tool} (${settlement.toolCallId}): ${settlement.status}`),
  });

  say();
  say(`agent    ${String((state ?? first).messages.at(-1)?.content)}`);
  const after = await balances();
  const moved = [...after].filter(([id, balance]) => balance !== before.get(id)).map(([id, balance]) => `${id} ${before.get(id)} -> ${balance}`);
  const executed = settlements.filter((settlement) => settlement.status === 'done').length;
  say(`treasury ${moved.length === 0 ? 'no balance changed' : moved.join(', ')}; payouts executed: ${executed}`);
  await agent.close();

  async function balances(): Promise<Map<string, number>> {
    const outcome = await listAccounts.invoke({});
    if (outcome.status !== 'done') throw new Error(`could not read the accounts: ${outcome.status}`);
    return new Map((outcome.result as { accounts: Array<{ id: string; balance: number }> }).accounts.map((account) => [account.id, account.balance]));
  }
} finally {
  await stack.close();
}

async function chooseModel() {
  const name = flags.model ?? (process.env.OPENAI_API_KEY ? 'openai:gpt-4.1-mini' : undefined);
  if (flags.scripted || name === undefined) {
    say('model    scripted (offline); set OPENAI_API_KEY or pass --model provider:name for a real one');
    return scriptedPayoutModel({ recipient: 'ACME Supplies Ltd', amount, memo: 'Invoice 2026-118' });
  }
  say(`model    ${name}`);
  return initChatModel(name, { temperature: 0 });
}

/** Shows who must approve what, then decides it as the flags say (or lets a human do it). */
async function decide(entry: PendingApprovalInterrupt): Promise<void> {
  const { value } = entry;
  say();
  say(`paused   ${value.tool} waits for ${value.approver}: "${value.bindingMessage}" (expires ${value.expiresAt})`);
  say(`         approve or deny it in the inbox: ${stack.inboxUrl}`);
  const request = stack.approvals.list().find((view) => view.status === 'pending' && view.argsSha256 === value.argsSha256);
  if (request === undefined) return;
  const approvers = flags['approve-as'] ?? [];
  if (flags.deny) {
    await stack.approvals.deny(request.id, approvers[0] ?? value.approver, 'denied with --deny');
    say(`         denied (--deny)`);
  } else if (approvers.length > 0) {
    for (const approver of approvers) {
      await stack.approvals.approve(request.id, approver);
      say(`         approved as ${approver} (--approve-as)`);
    }
  } else if (process.stdin.isTTY) {
    void askInTerminal(request.id);
  }
}

async function askInTerminal(requestId: string): Promise<void> {
  const terminal = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = (await terminal.question('         or here: approve as [alice/bob/carol], or "deny": ')).trim();
    if (answer === 'deny') await stack.approvals.deny(requestId, 'alice', 'denied in the terminal');
    else if (answer) await stack.approvals.approve(requestId, answer);
  } catch (error) {
    say(`         ${(error as Error).message}`);
  } finally {
    terminal.close();
  }
}
