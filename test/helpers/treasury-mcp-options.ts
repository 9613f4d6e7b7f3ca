/**
 * How the MCP tests reach the example treasury MCP server (examples/mcp-payout): routine tools with
 * `accounts:read`, and an approval by alice that shows a payout's amount, currency and recipient
 * (or the account a `close_account` closes).
 */
import type { McpToolsOptions } from '@countersign/mcp';

export function treasuryMcpToolsOptions(url: string): McpToolsOptions {
  return {
    url,
    resource: url,
    scope: 'accounts:read',
    approval: {
      approver: 'alice',
      describe: (args) => (args.amount === undefined ? `Close account ${String(args.accountId)}` : `Pay ${String(args.amount)} ${String(args.currency)} to ${String(args.recipient)}`),
      details: (args) => (args.amount === undefined ? {} : { amount: args.amount, currency: args.currency, recipient: args.recipient }),
    },
  };
}
