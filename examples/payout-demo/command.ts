/** `pnpm demo`'s command line: its parser, `--help` and the README's flag list come from this table. */
import { approvalFlags } from '../shared/approval-desk.js';
import { defineCommand } from '../shared/cli.js';
import { stackFlags } from '../shared/example-stack.js';
import { redisFlag } from '../shared/redis-flag.js';
import { amountFlag } from '../shared/treasury-tools.js';

export const demoCommand = defineCommand({
  name: 'pnpm demo',
  summary: 'The whole Countersign story on a local dev stack: a payout waits for a human to countersign it, runs once, and leaves verified evidence.',
  flags: {
    ...approvalFlags,
    ...amountFlag,
    ...stackFlags,
    ...redisFlag,
    'state-dir': { type: 'string', value: '<dir>', default: '.countersign', description: "where the agent's key (0600) and the audit trail are kept" },
  },
  examples: ['pnpm demo', 'pnpm demo --approve-as alice', 'pnpm demo --amount 5000 --approve-as alice --approve-as bob', 'pnpm demo --port 0', 'pnpm demo --redis auto'],
});

