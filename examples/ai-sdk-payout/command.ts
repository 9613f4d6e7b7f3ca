/** The AI SDK example's command line: its parser, `--help` and the README's flag list come from this table. */
import { approvalFlags } from '../shared/approval-desk.js';
import { defineCommand } from '../shared/cli.js';
import { stackFlags } from '../shared/example-stack.js';
import { amountFlag } from '../shared/treasury-tools.js';

export const aiSdkPayoutCommand = defineCommand({
  name: 'pnpm exec tsx examples/ai-sdk-payout/main.ts',
  summary:
    "A Vercel AI SDK (ai 7) agent whose payout shows up in the SDK's tool approval flow while the authorization server " +
    'holds the decision. Offline by default (the SDK mock model, scripted); with AI_GATEWAY_API_KEY set it uses a real ' +
    'model through the AI Gateway (AI_MODEL, default openai/gpt-4.1-mini).',
  flags: {
    ...approvalFlags,
    ...amountFlag,
    ...stackFlags,
    offline: { type: 'boolean', default: false, description: 'use the scripted mock model even when AI_GATEWAY_API_KEY is set' },
  },
  examples: ['pnpm exec tsx examples/ai-sdk-payout/main.ts --approve-as alice', 'pnpm exec tsx examples/ai-sdk-payout/main.ts --deny --port 0'],
});
