/**
 * The demo treasury's tools, guarded, as every example defines them: a read that runs with the
 * agent's routine token and a payout that waits for a human to approve its exact arguments.
 */
import { z } from 'zod';
import { guardTool, type Agent } from '@countersign/core';
import { UsageError, type FlagTable } from './cli.js';

/** A treasury account as `GET /accounts` lists it. */
export interface TreasuryAccount {
  id: string;
  name: string;
  balance: number;
  currency: string;
}

/** What `POST /payouts` answers. */
export interface PayoutReceipt {
  payoutId: string;
  status: string;
}

/** Options of {@link treasuryTools}. */
export interface TreasuryToolsOptions {
  /** Who approves payouts (login hint; default `alice`). */
  approver?: string;
}

/** The arguments `create_payout` accepts: the one definition its guard and the examples' `--amount` check use. */
export const payoutSchema = z.object({
  accountId: z.string().describe('id of the account to pay from'),
  recipient: z.string(),
  amount: z.number().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/).describe('ISO 4217 code of the account'),
  memo: z.string().optional(),
});

/** `--amount`: the payout amount every example takes. */
export const amountFlag = {
  amount: { type: 'string', value: '<n>', default: '250', description: 'payout amount in the account currency; above 1000 needs two approvers' },
} as const satisfies FlagTable;

/**
 * Reads `--amount` and checks it against `create_payout`'s own schema, so a bad amount stops the
 * example with the schema's reason before anything starts.
 */
export function parseAmount(text: string): number {
  const amount = /^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(amount)) throw new UsageError(`--amount must be a number, got "${text}"`, 'e.g. --amount 250');
  const checked = payoutSchema.shape.amount.safeParse(amount);
  if (!checked.success) {
    throw new UsageError(`--amount ${text} is not a valid payout amount: ${checked.error.issues.map((issue) => issue.message).join('; ')}`, 'e.g. --amount 250');
  }
  return amount;
}

/** `list_accounts` (risk `read`) and `create_payout` (risk `irreversible`) for the treasury at `treasuryUrl`. */
export function treasuryTools(agent: Agent, treasuryUrl: string, options: TreasuryToolsOptions = {}) {
  const listAccounts = guardTool(agent, {
    name: 'list_accounts',
    description: 'Lists the treasury accounts with their balances and currencies.',
    schema: z.object({}),
    risk: 'read',
    resource: treasuryUrl,
    scope: 'accounts:read',
    execute: async (_args, { fetch }) => (await (await fetch(`${treasuryUrl}/accounts`)).json()) as { accounts: TreasuryAccount[] },
  });

  const createPayout = guardTool(agent, {
    name: 'create_payout',
    description: 'Sends money from a treasury account to a recipient. A human must approve every payout.',
    schema: payoutSchema,
    risk: 'irreversible',
    resource: treasuryUrl,
    scope: 'payouts:write',
    approval: {
      approver: options.approver ?? 'alice',
      describe: (args) => `Pay ${args.amount} ${args.currency} to ${args.recipient}`,
      // The amount lets the authorization server apply its dual-control threshold.
      details: (args) => ({ amount: args.amount, currency: args.currency, recipient: args.recipient }),
    },
    async execute(args, { fetch }) {
      const response = await fetch(`${treasuryUrl}/payouts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(args),
      });
      if (!response.ok) throw new Error(`the treasury API refused the payout (HTTP ${response.status})${await reasonOf(response)}`);
      return (await response.json()) as PayoutReceipt;
    },
  });

  return { listAccounts, createPayout };
}

/** `: <error_description>` from a refusal's JSON body (one line, at most 200 characters), or nothing. */
async function reasonOf(response: Response): Promise<string> {
  const body = (await response.json().catch(() => undefined)) as { error?: unknown; error_description?: unknown } | undefined;
  const reason = typeof body?.error_description === 'string' ? body.error_description : typeof body?.error === 'string' ? body.error : undefined;
  return reason === undefined ? '' : `: ${reason.replace(/\s+/g, ' ').slice(0, 200)}`;
}
