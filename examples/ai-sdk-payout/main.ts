/**
 * A Vercel AI SDK agent (`ai` 7, generateText) that cannot move money until a human countersigns
 * the payout. The SDK's own tool approval flow shows the approval (the `tool-approval-request` a
 * `useChat` UI renders), but the decision is the authorization server's:
 *
 *   1. the model reads the accounts (a routine, DPoP-bound read) and proposes a payout;
 *   2. the payout's approval request names the approver and what they are shown; nothing ran;
 *   3. the approver decides in the devkit (inbox page, this terminal, or --approve-as / --deny);
 *   4. the chat sends its `tool-approval-response` (the user clicked "approve"): a hint to go and
 *      look, not a decision. The payout runs once if the authorization server approved it; its
 *      denial reaches the model as the SDK's own denial;
 *   5. the evidence: the balance moved as the human decided, and replaying the chat's approval pays
 *      nothing more.
 *
 * Offline by default (an in-process dev stack and the SDK's mock model, scripted). With
 * AI_GATEWAY_API_KEY set, a real model through the AI Gateway (AI_MODEL, default
 * openai/gpt-4.1-mini); --offline forces the scripted model.
 *
 * Usage: pnpm exec tsx examples/ai-sdk-payout/main.ts [options]   (--help lists them)
 */
import { generateText, stepCountIs, type LanguageModel, type ModelMessage } from 'ai';
import { createAgent, generateKey, type Agent } from '@countersign/core';
import { countersignTools, type ToolCallContent } from '@countersign/ai-sdk';
import { checkApproverFlags, decideAtDesk } from '../shared/approval-desk.js';
import { runCli } from '../shared/cli.js';
import { openExampleStack } from '../shared/example-stack.js';
import { parseAmount, treasuryTools } from '../shared/treasury-tools.js';
import { aiSdkPayoutCommand } from './command.js';
import { scriptedPayoutModel } from './scripted-model.js';

const say = (text = '') => process.stdout.write(`${text}\n`);
const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

await runCli(aiSdkPayoutCommand.name, async (signal) => {
  const flags = aiSdkPayoutCommand.parse();
  const amount = parseAmount(flags.amount);
  const stack = await openExampleStack(flags);
  const useGateway = Boolean(process.env.AI_GATEWAY_API_KEY) && !flags.offline;
  let agent: Agent | undefined;
  try {
    checkApproverFlags(flags, await stack.approvers());
    const model: LanguageModel = useGateway ? (process.env.AI_MODEL ?? 'openai/gpt-4.1-mini') : scriptedPayoutModel(amount);
    say(bold('Countersign + Vercel AI SDK: a payout waits for a human'));
    say(`  model                 ${useGateway ? `${String(model)} (AI Gateway)` : 'scripted MockLanguageModelV4 (offline)'}`);
    say(`  authorization server  ${stack.issuer}`);
    say(`  treasury API          ${stack.toolApiUrl}`);
    say(`  approval inbox        ${stack.inboxUrl}`);

    agent = await createAgent({ issuer: stack.issuer, clientId: 'ai-sdk-payout-agent', key: await generateKey() });
    await stack.registerAgent({ clientId: 'ai-sdk-payout-agent', jwks: await agent.publicJwks(), scopes: ['accounts:read', 'payouts:write'] });
    const treasury = stack.toolApiUrl;
    const balances = async () =>
      ((await (await agent!.fetch(`${treasury}/accounts`, { resource: treasury, scope: 'accounts:read' })).json()) as { accounts: Array<{ id: string; balance: number }> }).accounts;

    // The Countersign part: guarded tools, spread into generateText (tools + toolApproval).
    const { listAccounts, createPayout } = treasuryTools(agent, treasury);
    const countersign = countersignTools([listAccounts, createPayout]);
    const ask = (messages: ModelMessage[]) =>
      generateText({
        model,
        system: 'You are a treasury assistant. Use list_accounts to find the EUR operating account, then create_payout once. Never retry a declined payout.',
        messages,
        stopWhen: stepCountIs(8),
        abortSignal: signal,
        ...countersign,
      });

    const before = await balances();
    const messages: ModelMessage[] = [{ role: 'user', content: `Pay ACME Supplies Ltd ${amount} EUR from our EUR operating account for invoice 2026-118.` }];
    say();
    say(`${bold('user')}  ${messages[0]!.content as string}`);
    const first = await ask(messages);
    messages.push(...first.responseMessages);
    for (const result of first.toolResults) say(`${bold('tool')}  ${result.toolName} -> ${summarize(result.output as ToolCallContent)}`);

    let executed = 0;
    const requests = first.content.filter((part) => part.type === 'tool-approval-request' && !part.isAutomatic);
    for (const request of requests) {
      if (request.type !== 'tool-approval-request') continue;
      say();
      say(`${bold('approval requested')}  ${request.toolCall.toolName}  ${request.reason ?? ''}`);
      say(`  approve or deny it in the inbox: ${stack.inboxUrl}`);
      const [detail] = createPayout.authorizationDetails(request.toolCall.input);
      const pending = await stack.findPending(String(detail!.args_sha256));
      if (pending) await decideAtDesk(stack, pending, { flags, say, signal });
      // The chat's "approve" button: only a hint; the authorization server's decision is what counts.
      messages.push({ role: 'tool', content: [{ type: 'tool-approval-response', approvalId: request.approvalId, approved: true }] });
    }
    if (requests.length > 0) {
      const second = await ask(messages);
      for (const message of second.responseMessages) {
        if (message.role !== 'tool') continue;
        for (const part of message.content) {
          if (part.type !== 'tool-result') continue;
          const shown = part.output.type === 'json' ? summarize(part.output.value as ToolCallContent) : `${part.output.type}: ${'reason' in part.output ? part.output.reason : ''}`;
          if (part.output.type === 'json' && (part.output.value as ToolCallContent).status === 'done') executed += 1;
          say(`${bold('tool')}  ${part.toolName} -> ${shown}`);
        }
      }
      say(`${bold('assistant')}  ${second.text}`);

      // The chat's approval replayed: the guard returns the stored outcome, nothing pays twice.
      const afterFirstRun = await balances();
      await ask(messages);
      const unchanged = JSON.stringify(await balances()) === JSON.stringify(afterFirstRun);
      say();
      say(bold('evidence'));
      say(`  the chat's approval response sent again -> balances unchanged: ${unchanged}`);
      if (!unchanged) process.exitCode = 1;
    } else {
      say(`${bold('assistant')}  ${first.text}`);
    }

    const after = await balances();
    const moved = before.filter((account) => after.find((candidate) => candidate.id === account.id)!.balance !== account.balance);
    say(`  balances changed: ${moved.length === 0 ? 'none' : moved.map((account) => `${account.id} ${account.balance} -> ${after.find((candidate) => candidate.id === account.id)!.balance}`).join(', ')}`);
    // Exactly the payouts the authorization server let through: one if approved, none if denied.
    if (moved.length !== executed) {
      say(`  expected ${executed} balance change(s) (payouts executed), saw ${moved.length}`);
      process.exitCode = 1;
    }
  } finally {
    await agent?.close();
    await stack.close();
  }
});

function summarize(content: ToolCallContent): string {
  switch (content.status) {
    case 'done':
      return `done${content.approvedBy ? ` (approved by ${content.approvedBy.join(', ')})` : ''}`;
    case 'approval_pending':
      return `approval_pending (${content.approver}: "${content.bindingMessage}")`;
    case 'denied':
      return `denied${content.reason ? `: ${content.reason}` : ''}`;
    case 'expired':
      return 'expired';
    case 'failed':
      return `failed ${content.error.code}: ${content.error.message}`;
  }
}
