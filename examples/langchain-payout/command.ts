/** The LangChain example's command line: its parser, `--help` and the README's flag list come from this table. */
import { approvalFlags } from '../shared/approval-desk.js';
import { defineCommand } from '../shared/cli.js';
import { stackFlags } from '../shared/example-stack.js';
import { amountFlag } from '../shared/treasury-tools.js';

export const langchainPayoutCommand = defineCommand({
  name: 'pnpm exec tsx examples/langchain-payout/main.ts',
  summary:
    'A LangChain agent whose payout pauses the graph (a LangGraph interrupt) until a human decides. Offline by default ' +
    '(a scripted model); with OPENAI_API_KEY set, or --model, it uses a real chat model through initChatModel.',
  flags: {
    ...approvalFlags,
    ...amountFlag,
    ...stackFlags,
    model: { type: 'string', value: '<provider:name>', description: 'chat model for initChatModel, e.g. openai:gpt-4.1-mini (default with OPENAI_API_KEY set)' },
    scripted: { type: 'boolean', default: false, description: 'use the offline scripted model even when OPENAI_API_KEY or --model is set' },
  },
  examples: ['pnpm exec tsx examples/langchain-payout/main.ts --approve-as alice', 'pnpm exec tsx examples/langchain-payout/main.ts --model openai:gpt-4.1-mini'],
});
