import { z } from 'zod';
import { guardTool } from '../tools/guard-tool.js';
import type { GuardedTool } from '../tools/types.js';
import type { Agent } from '../types.js';

/** The arguments of the sample payout tool. */
export const samplePayoutSchema = z.object({
  accountId: z.string(),
  recipient: z.string(),
  amount: z.number().positive(),
  currency: z.string(),
  memo: z.string().optional(),
});

/** Arguments of {@link samplePayoutSchema}. */
export type SamplePayout = z.infer<typeof samplePayoutSchema>;

/** Options of {@link sampleTools}. */
export interface SampleToolsOptions {
  /** The API the tools act on: their RFC 8707 resource indicator (the devkit's `toolApiUrl`). */
  resource: string;
  /** Scope of the read tool (default `accounts:read`). */
  readScope?: string | undefined;
  /** Scope of the payout (default `payouts:write`). */
  payoutScope?: string | undefined;
  /** Who approves payouts (CIBA `login_hint`; default `alice`). */
  approver?: string | undefined;
  /** Lifetime of each approval request in seconds (CIBA `requested_expiry`). */
  requestedExpiry?: number | undefined;
  /** Name of the payout tool (default `create_payout`). */
  payoutName?: string | undefined;
  /** When set, the payout function throws it after approval (a tool that fails). */
  payoutFailure?: Error | undefined;
}

/** A read tool and an irreversible payout, guarded by the real guard, that count what ran. */
export interface SampleTools {
  /** `list_accounts` (risk `read`): runs at once, returns `{ accounts: ['acc-1'] }`. */
  listAccounts: GuardedTool<z.ZodObject<{}>, { accounts: string[] }>;
  /** `create_payout` (risk `irreversible`): asks the approver, then returns `{ payoutId: 'payout-<n>' }`. */
  createPayout: GuardedTool<typeof samplePayoutSchema, { payoutId: string }>;
  /** What ran: the read tool's runs, and each payout's arguments with the approval it ran under. */
  executions: { listAccounts: number; createPayout: Array<{ args: SamplePayout; approvalId: string | undefined }> };
}

/**
 * Two sample tools on `agent` for adapter tests: each adapter's test drives the same real guard
 * (schema validation, RFC 9396 `agent_action` binding, CIBA approval, run-once ledger). The tool
 * functions themselves call nothing; they count their runs.
 */
export function sampleTools(agent: Agent, options: SampleToolsOptions): SampleTools {
  const executions: SampleTools['executions'] = { listAccounts: 0, createPayout: [] };
  const listAccounts = guardTool(agent, {
    name: 'list_accounts',
    description: 'Lists treasury accounts.',
    schema: z.object({}),
    risk: 'read',
    resource: options.resource,
    scope: options.readScope ?? 'accounts:read',
    execute: async () => {
      executions.listAccounts += 1;
      return { accounts: ['acc-1'] };
    },
  });
  const createPayout = guardTool(agent, {
    name: options.payoutName ?? 'create_payout',
    description: 'Sends money from a treasury account to a recipient.',
    schema: samplePayoutSchema,
    risk: 'irreversible',
    resource: options.resource,
    scope: options.payoutScope ?? 'payouts:write',
    approval: {
      approver: options.approver ?? 'alice',
      requestedExpiry: options.requestedExpiry,
      describe: (args) => `Pay ${args.amount} ${args.currency} to ${args.recipient}`,
    },
    execute: async (args, context) => {
      executions.createPayout.push({ args, approvalId: context.approvalId });
      if (options.payoutFailure !== undefined) throw options.payoutFailure;
      return { payoutId: `payout-${executions.createPayout.length}` };
    },
  });
  return { listAccounts, createPayout, executions };
}
