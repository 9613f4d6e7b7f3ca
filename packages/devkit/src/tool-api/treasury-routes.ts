import type { IncomingMessage } from 'node:http';
import type { Accepted, Requirement } from '@countersign/server';
import { z } from 'zod';
import { readJsonBody } from './http-io.js';
import { invalidRequest } from './tool-api-error.js';
import type { TokenApprover, TreasuryLedger } from './treasury-ledger.js';

/** The body of `POST /payouts`: exactly the `create_payout` tool's arguments. */
export const payoutArguments = z.strictObject({
  accountId: z.string().min(1).max(64),
  recipient: z.string().min(1).max(200),
  amount: z
    .number()
    .positive()
    .max(1_000_000_000)
    .refine((amount) => Math.abs(amount * 100 - Math.round(amount * 100)) < 1e-6, 'at most two decimal places'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'),
  memo: z.string().max(500).optional(),
});

/** The body of `POST /admin/keys/rotate`: exactly the `rotate_signing_key` tool's arguments. */
export const keyRotationArguments = z.strictObject({
  keyId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, '1 to 64 letters, digits, dots, dashes or underscores'),
  reason: z.string().min(1).max(500),
});

/** A route's answer. */
export interface RouteResult {
  status: number;
  body: unknown;
}

/**
 * Verifies the request with `@countersign/server` against `requirement`; resolves with the accepted
 * verdict or throws a {@link ToolApiError} carrying the refusal. Called once per request.
 */
export type Authorize = (requirement: Requirement) => Promise<Accepted>;

/** A handler for one method of one path. */
export type RouteHandler = (request: IncomingMessage, authorize: Authorize) => Promise<RouteResult>;

/** Options of {@link createTreasuryRoutes}. */
export interface TreasuryRoutesOptions {
  ledger: TreasuryLedger;
  /** Payouts above this amount need two distinct approvers. */
  dualControlThreshold: number;
}

/**
 * The demo treasury's routes, by path then method: `GET /accounts` (`accounts:read`),
 * `POST /payouts` (`payouts:write` plus an approved `create_payout` action for exactly this body,
 * dual control above the threshold), `POST /admin/keys/rotate` (`admin:keys` plus an approved
 * `rotate_signing_key` action, always dual control). The enforcement point spends an action token
 * when it accepts it: an approval authorizes one attempt, even one the ledger then refuses.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-9.2
 */
export function createTreasuryRoutes(options: TreasuryRoutesOptions): Map<string, Record<string, RouteHandler>> {
  const { ledger } = options;

  const accounts: RouteHandler = async (_request, authorize) => {
    await authorize({ scope: 'accounts:read' });
    return { status: 200, body: { accounts: ledger.accounts() } };
  };

  const payouts: RouteHandler = async (request, authorize) => {
    const body = await readJsonBody(request);
    const args = parse(payoutArguments, body);
    const approvals = args.amount > options.dualControlThreshold ? 2 : 1;
    const verdict = await authorize({ scope: 'payouts:write', action: { tool: 'create_payout', args: body, approvers: approvals } });
    const approvers = approversOf(verdict);
    const payout = ledger.pay({ ...args, clientId: verdict.agent.clientId, tokenId: String(verdict.token.jti), approvers });
    const { payoutId, accountId, recipient, amount, currency, executedAt } = payout;
    return { status: 201, body: { payoutId, status: 'executed', accountId, recipient, amount, currency, executedAt, approvers } };
  };

  const rotateKey: RouteHandler = async (request, authorize) => {
    const body = await readJsonBody(request);
    const args = parse(keyRotationArguments, body);
    const verdict = await authorize({ scope: 'admin:keys', action: { tool: 'rotate_signing_key', args: body, approvers: 2 } });
    const approvers = approversOf(verdict);
    const rotation = ledger.rotate({ ...args, clientId: verdict.agent.clientId, tokenId: String(verdict.token.jti), approvers });
    return { status: 200, body: { keyId: rotation.keyId, version: rotation.version, status: 'rotated', rotatedAt: rotation.rotatedAt, approvers } };
  };

  return new Map<string, Record<string, RouteHandler>>([
    ['/accounts', { GET: accounts }],
    ['/payouts', { POST: payouts }],
    ['/admin/keys/rotate', { POST: rotateKey }],
  ]);
}

function approversOf(verdict: Accepted): TokenApprover[] {
  return verdict.approvers.map((approver) => ({ sub: approver.sub, approved_at: Number(approver.approved_at ?? 0) }));
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
  throw invalidRequest(`invalid request body (${problems.join('; ')})`);
}
