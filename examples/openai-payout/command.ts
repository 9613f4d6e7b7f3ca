/** The OpenAI example's command line: its parser, `--help` and the README's flag list come from this table. */
import { approvalFlags } from '../shared/approval-desk.js';
import { defineCommand } from '../shared/cli.js';
import { stackFlags } from '../shared/example-stack.js';
import { amountFlag } from '../shared/treasury-tools.js';

export const openaiPayoutCommand = defineCommand({
  name: 'pnpm exec tsx examples/openai-payout/main.ts',
  summary:
    'An OpenAI tool-calling agent whose payout waits for a human. Offline by default (a local scripted model); ' +
    'with OPENAI_API_KEY set it uses the OpenAI API (model from OPENAI_MODEL, default gpt-4.1-mini).',
  flags: {
    ...approvalFlags,
    ...amountFlag,
    ...stackFlags,
    offline: { type: 'boolean', default: false, description: 'use the local scripted model even when OPENAI_API_KEY is set' },
  },
  examples: ['pnpm exec tsx examples/openai-payout/main.ts --approve-as alice', 'pnpm exec tsx examples/openai-payout/main.ts --deny --port 0'],
});
