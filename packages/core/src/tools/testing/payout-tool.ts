import { z } from 'zod';
import type { Agent } from '../../types.js';
import { guardTool } from '../guard-tool.js';
import type { ApprovalPolicy, ToolContext } from '../types.js';

/** The treasury API's base URL in unit tests. */
export const TREASURY = 'http://127.0.0.1:4001';

/** The demo payout arguments schema. */
export const payoutSchema = z.object({
  accountId: z.string().min(1),
  recipient: z.string().min(1),
  amount: z.number().positive(),
  currency: z.string().length(3),
  memo: z.string().optional(),
});

/** Payout arguments. */
export type PayoutArgs = z.infer<typeof payoutSchema>;

/** Valid payout arguments. */
export const payout: PayoutArgs = { accountId: 'acc_ops', recipient: 'ACME GmbH', amount: 250, currency: 'EUR' };

/** A guarded `create_payout` that POSTs its arguments, counting executions. */
export function payoutTool(agent: Agent, overrides: { approval?: Partial<ApprovalPolicy<PayoutArgs>>; execute?: (args: PayoutArgs, context: ToolContext) => Promise<unknown> } = {}) {
  const executions: { args: PayoutArgs; context: ToolContext }[] = [];
  const tool = guardTool(agent, {
    name: 'create_payout',
    description: 'Send money from one of our accounts',
    schema: payoutSchema,
    risk: 'irreversible',
    resource: TREASURY,
    scope: 'payouts:write',
    approval: {
      approver: 'alice',
      describe: (args) => `Pay ${args.amount} ${args.currency} to ${args.recipient}`,
      details: (args) => ({ amount: args.amount, currency: args.currency }),
      ...overrides.approval,
    },
    async execute(args, context) {
      executions.push({ args, context });
      if (overrides.execute) return overrides.execute(args, context);
      const response = await context.fetch(`${TREASURY}/payouts`, { method: 'POST', body: JSON.stringify(args), headers: { 'content-type': 'application/json' } });
      return { status: response.status, payoutId: `p${executions.length}` };
    },
  });
  return { tool, executions };
}
