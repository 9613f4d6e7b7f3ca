/**
 * An OpenAI tool-calling agent that cannot move money until a human countersigns the payout.
 *
 *   1. the model reads the treasury accounts (a routine, DPoP-bound read);
 *   2. it proposes a payout: the tool answers `approval_pending` (approver, binding message,
 *      expiry) and the model tells the user who must approve;
 *   3. once the approver decides (in the inbox page, in this terminal, or with --approve-as for
 *      unattended runs), the same tool call resumes: the payout runs exactly once, or the denial
 *      reaches the model;
 *   4. the evidence: the balance moved once, and handling the same tool call again pays nothing.
 *
 * Offline by default: an in-process dev stack (authorization server + treasury API) and a local
 * scripted model server. With OPENAI_API_KEY set, the real API is used (OPENAI_MODEL, default
 * gpt-4.1-mini); --offline forces the scripted model.
 *
 * Usage: pnpm exec tsx examples/openai-payout/main.ts [options]   (--help lists them)
 */
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { createAgent, generateKey, type Agent } from '@countersign/core';
import { createChatCompletionsTools, replaceToolMessages, type ToolCallContent } from '@countersign/openai';
import { checkApproverFlags, decideAtDesk } from '../shared/approval-desk.js';
import { runCli } from '../shared/cli.js';
import { openExampleStack } from '../shared/example-stack.js';
import { parseAmount, treasuryTools } from '../shared/treasury-tools.js';
import { openaiPayoutCommand } from './command.js';
import { startOfflineModel, type OfflineModel } from './offline-model.js';

const say = (text = '') => process.stdout.write(`${text}\n`);
const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const MAX_MODEL_TURNS = 8;

await runCli(openaiPayoutCommand.name, async (signal) => {
  const flags = openaiPayoutCommand.parse();
  const amount = parseAmount(flags.amount);
  const stack = await openExampleStack(flags);
  const useRealApi = Boolean(process.env.OPENAI_API_KEY) && !flags.offline;
  let offlineModel: OfflineModel | undefined;
  let agent: Agent | undefined;

  try {
    checkApproverFlags(flags, await stack.approvers());
    offlineModel = useRealApi ? undefined : await startOfflineModel();
    const openai = offlineModel ? new OpenAI({ apiKey: 'offline', baseURL: offlineModel.baseURL, maxRetries: 0 }) : new OpenAI();
    const model = offlineModel ? 'offline-scripted' : (process.env.OPENAI_MODEL ?? 'gpt-4.1-mini');
    say(bold('Countersign + OpenAI tool calling: a payout waits for a human'));
    say(`  model                 ${offlineModel ? `offline scripted model at ${offlineModel.baseURL}` : `${model} (OpenAI API)`}`);
    say(`  authorization server  ${stack.issuer}`);
    say(`  treasury API          ${stack.toolApiUrl}`);
    say(`  approval inbox        ${stack.inboxUrl}`);

    // The agent's own identity (a fresh key here), registered with the dev authorization server.
    agent = await createAgent({ issuer: stack.issuer, clientId: 'openai-payout-agent', key: await generateKey() });
    await stack.registerAgent({ clientId: 'openai-payout-agent', jwks: await agent.publicJwks(), scopes: ['accounts:read', 'payouts:write'] });
    const treasury = stack.toolApiUrl;
    const readAccounts = async () =>
      (await (await agent!.fetch(`${treasury}/accounts`, { resource: treasury, scope: 'accounts:read' })).json()) as {
        accounts: Array<{ id: string; name: string; balance: number; currency: string }>;
      };

    const { listAccounts, createPayout } = treasuryTools(agent, treasury);
    const countersign = createChatCompletionsTools([listAccounts, createPayout]);
    const before = await readAccounts();
    let messages: ChatCompletionMessageParam[] = [
      {
        role: 'system',
        content:
          'You are a treasury assistant. Use list_accounts to find a suitable account, then create_payout. ' +
          'When a tool answers approval_pending, tell the user who must approve it and do not call it again.',
      },
      { role: 'user', content: `Pay ACME Supplies Ltd ${amount} EUR from our EUR operating account for invoice 2026-118.` },
    ];
    say();
    say(`${bold('user')}  ${messages[1]!.content as string}`);

    let executed = 0;
    const payoutCalls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> = [];
    await converse();

    // The model has told the user the payout waits. Now the human side, then resume the same call.
    while (countersign.pendingCalls().length > 0) {
      const [pending] = countersign.pendingCalls();
      say();
      say(`${bold('approval pending')}  "${pending!.bindingMessage}"  asked: ${pending!.approver}  expires: ${pending!.expiresAt}`);
      say(`  approve or deny it in the inbox: ${stack.inboxUrl}`);
      const request = await stack.findPending(pending!.argsSha256);
      if (request) await decideAtDesk(stack, request, { flags, say, signal });
      const updates = await countersign.resume({ wait: true, signal });
      for (const update of updates) {
        const content = JSON.parse(update.content as string) as ToolCallContent;
        if (content.status === 'done') executed += 1;
        say(`${bold('tool')}  create_payout -> ${summarize(content)}`);
      }
      messages = replaceToolMessages(messages, updates);
      await converse();
    }

    // Evidence: the treasury's own numbers, and a re-run of the same tool call.
    const after = await readAccounts();
    const moved = before.accounts.flatMap((account) => {
      const now = after.accounts.find((candidate) => candidate.id === account.id)!;
      return now.balance === account.balance ? [] : [`${account.id} ${account.balance} -> ${now.balance} ${account.currency}`];
    });
    say();
    say(bold('evidence'));
    say(`  balances changed: ${moved.length === 0 ? 'none' : moved.join(', ')}`);
    if (payoutCalls.length > 0) {
      const [again] = await countersign.handle(payoutCalls.slice(-1));
      const rerun = JSON.parse(again!.content as string) as ToolCallContent;
      const unchanged = JSON.stringify((await readAccounts()).accounts) === JSON.stringify(after.accounts);
      say(`  the same tool call handled again -> ${rerun.status}; balances unchanged: ${unchanged}`);
      if (!unchanged) process.exitCode = 1;
    }
    // The treasury must show exactly the payouts the human let through: one if approved, none if denied.
    if (moved.length !== executed) {
      say(`  expected ${executed} balance change(s) (payouts executed), saw ${moved.length}`);
      process.exitCode = 1;
    }

    /** Asks the model, runs its tool calls, and repeats until it answers in words. */
    async function converse(): Promise<void> {
      for (let turn = 0; turn < MAX_MODEL_TURNS; turn += 1) {
        const completion = await openai.chat.completions.create({ model, messages, tools: countersign.definitions });
        const message = completion.choices[0]!.message;
        messages.push(message);
        if (!message.tool_calls?.length) {
          say(`${bold('assistant')}  ${message.content ?? ''}`);
          return;
        }
        const replies = await countersign.handle(message.tool_calls);
        messages.push(...replies);
        for (const [index, call] of message.tool_calls.entries()) {
          if (call.type !== 'function') continue;
          if (call.function.name === 'create_payout') payoutCalls.push(call);
          say(`${bold('tool')}  ${call.function.name}(${call.function.arguments}) -> ${summarize(JSON.parse(replies[index]!.content as string) as ToolCallContent)}`);
        }
      }
      throw new Error(`the model did not finish within ${MAX_MODEL_TURNS} turns`);
    }
  } finally {
    await agent?.close();
    await offlineModel?.close();
    await stack.close();
  }
});

function summarize(content: ToolCallContent): string {
  switch (content.status) {
    case 'done':
      return `done ${JSON.stringify(content.result)}${content.approvedBy ? ` (approved by ${content.approvedBy.join(', ')})` : ''}`;
    case 'approval_pending':
      return `approval_pending (${content.approver}: "${content.bindingMessage}", approval ${content.approvalId})`;
    case 'denied':
      return `denied${content.reason ? `: ${content.reason}` : ''}`;
    case 'expired':
      return 'expired';
    case 'failed':
      return `failed ${content.error.code}: ${content.error.message}`;
  }
}
