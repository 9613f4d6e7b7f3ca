/**
 * A LangChain agent (createAgent from `langchain`) that cannot move money without a human: its
 * treasury tools are Countersign guarded tools, the payout pauses the graph with a LangGraph
 * interrupt until the approver decides in the devkit's inbox, and resumeWhenDecided resumes it.
 *
 * Offline by default (a scripted model, an in-process devkit stack). With OPENAI_API_KEY set (or
 * --model provider:name) it uses a real chat model through initChatModel, which needs that
 * provider's package (`@langchain/openai` is already a dev dependency of this workspace).
 *
 * Usage: pnpm exec tsx examples/langchain-payout/main.ts [options]   (--help lists them)
 */
import { HumanMessage } from '@langchain/core/messages';
import { MemorySaver } from '@langchain/langgraph';
import { createAgent as createLangChainAgent, initChatModel } from 'langchain';
import { createAgent, generateKey } from '@countersign/core';
import { countersignMiddleware, countersignTools, resumeWhenDecided, type PendingApprovalInterrupt } from '@countersign/langchain';
import { checkApproverFlags, decideAtDesk } from '../shared/approval-desk.js';
import { runCli } from '../shared/cli.js';
import { openExampleStack, type ExampleStack } from '../shared/example-stack.js';
import { parseAmount, treasuryTools } from '../shared/treasury-tools.js';
import { langchainPayoutCommand } from './command.js';
import { scriptedPayoutModel } from './scripted-model.js';

const say = (text = '') => process.stdout.write(`${text}\n`);

await runCli(langchainPayoutCommand.name, async (signal) => {
  const flags = langchainPayoutCommand.parse();
  const amount = parseAmount(flags.amount);
  const stack = await openExampleStack(flags);
  try {
    checkApproverFlags(flags, await stack.approvers());
    say(`authorization server ${stack.issuer}   treasury API ${stack.toolApiUrl}   approval inbox ${stack.inboxUrl}`);

    // The agent's own identity, registered with the dev authorization server.
    const agent = await createAgent({ issuer: stack.issuer, clientId: 'langchain-payout-agent', key: await generateKey() });
    await stack.registerAgent({ clientId: 'langchain-payout-agent', jwks: await agent.publicJwks(), scopes: ['accounts:read', 'payouts:write'] });

    const { listAccounts, createPayout } = treasuryTools(agent, stack.toolApiUrl);

    // The three lines: guarded tools as LangChain tools, an agent that can pause, a resumer.
    const tools = countersignTools([listAccounts, createPayout]);
    const model = await chooseModel(flags, amount);
    const langchainAgent = createLangChainAgent({ model, tools, middleware: [countersignMiddleware()], checkpointer: new MemorySaver() });

    const before = await balances();
    const config = { configurable: { thread_id: 'invoice-2026-118' } };
    const first = await langchainAgent.invoke({ messages: [new HumanMessage(`Pay ${amount} to ACME Supplies Ltd for invoice 2026-118 from an account that can cover it.`)] }, config);

    const { state, settlements } = await resumeWhenDecided(langchainAgent, config, {
      tools,
      pollIntervalMs: 1_000,
      signal,
      onPending: (entries) => Promise.all(entries.map((entry) => decide(stack, entry))).then(() => undefined),
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
      if (outcome.status !== 'done') throw new Error(`could not read the accounts: ${outcome.status === 'failed' ? outcome.error.message : outcome.status}`);
      return new Map((outcome.result as { accounts: Array<{ id: string; balance: number }> }).accounts.map((account) => [account.id, account.balance]));
    }

    /** Shows who must approve what, then decides it as the flags say (or asks here, beside the inbox). */
    async function decide(exampleStack: ExampleStack, entry: PendingApprovalInterrupt): Promise<void> {
      const { value } = entry;
      say();
      say(`paused   ${value.tool} waits for ${value.approver}: "${value.bindingMessage}" (expires ${value.expiresAt})`);
      say(`         approve or deny it in the inbox: ${exampleStack.inboxUrl}`);
      const request = await exampleStack.findPending(value.argsSha256);
      if (request !== undefined) await decideAtDesk(exampleStack, request, { flags, say, signal, indent: '         ' });
    }
  } finally {
    await stack.close();
  }
});

async function chooseModel(flags: { model: string | undefined; scripted: boolean }, amount: number) {
  const name = flags.model ?? (process.env.OPENAI_API_KEY ? 'openai:gpt-4.1-mini' : undefined);
  if (flags.scripted || name === undefined) {
    say('model    scripted (offline); set OPENAI_API_KEY or pass --model provider:name for a real one');
    return scriptedPayoutModel({ recipient: 'ACME Supplies Ltd', amount, memo: 'Invoice 2026-118' });
  }
  say(`model    ${name}`);
  return initChatModel(name, { temperature: 0 });
}
