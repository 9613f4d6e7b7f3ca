// Test-only fixtures shared by this package's unit tests.
import { z } from 'zod';
import { fakeGuardedTool, type FakeGuardedToolDefinition } from './fake-guarded-tool.js';

export const payoutSchema = z.object({
  accountId: z.string(),
  recipient: z.string(),
  amount: z.number().positive(),
  currency: z.string().length(3),
  memo: z.string().optional(),
});

export type PayoutArgs = z.infer<typeof payoutSchema>;

/** A fake irreversible payout tool; `paid` lists every payout the function made. */
export function fakePayoutTool(overrides: Partial<FakeGuardedToolDefinition<typeof payoutSchema, { payoutId: string }>> = {}) {
  const paid: PayoutArgs[] = [];
  const tool = fakeGuardedTool({
    name: 'create_payout',
    description: 'Send money from a treasury account to a recipient.',
    schema: payoutSchema,
    risk: 'irreversible',
    approver: 'alice',
    describe: (args) => `Pay ${args.amount} ${args.currency} to ${args.recipient}`,
    execute: (args) => {
      paid.push(args);
      return { payoutId: `payout-${paid.length}` };
    },
    ...overrides,
  });
  return { tool, paid };
}

/** A fake read tool listing accounts. */
export function fakeAccountsTool() {
  return fakeGuardedTool({
    name: 'list_accounts',
    description: 'List treasury accounts and balances.',
    schema: z.object({}),
    risk: 'read',
    execute: () => ({ accounts: [{ id: 'acc-1', balance: 5000, currency: 'EUR' }] }),
  });
}

export const payoutArgs: PayoutArgs = { accountId: 'acc-1', recipient: 'ACME Supplies Ltd', amount: 250, currency: 'EUR' };
