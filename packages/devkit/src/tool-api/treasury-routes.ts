import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { requireApprovedAction } from './action-authorization.js';
import type { AuthenticatedRequest } from './authenticate.js';
import type { ExpiringSet } from './expiring-set.js';
import { readJsonBody } from './http-io.js';
import { insufficientScope, invalidRequest, invalidToken } from './tool-api-error.js';
import type { TreasuryLedger } from './treasury-ledger.js';

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

/** A handler for one method of one path, called once the request is authenticated. */
export type RouteHandler = (request: IncomingMessage, auth: AuthenticatedRequest) => Promise<RouteResult>;

/** Options of {@link createTreasuryRoutes}. */
export interface TreasuryRoutesOptions {
  ledger: TreasuryLedger;
  /** This API's identifiers (`aud`, and accepted `locations`). */
  audience: readonly string[];
  /** Payouts above this amount need two distinct approvers. */
  dualControlThreshold: number;
  /** `jti`s of action tokens already spent, kept until the token expires. */
  spentActionTokens: ExpiringSet;
  /** Seconds added to a spent token's `exp` before it is forgotten. */
  clockTolerance: number;
}

/**
 * The demo treasury's routes, by path then method: `GET /accounts` (`accounts:read`),
 * `POST /payouts` (`payouts:write` plus an approved `create_payout` action, dual control above the
 * threshold, once), `POST /admin/keys/rotate` (`admin:keys` plus an approved `rotate_signing_key`
 * action, always dual control, once).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-9.2
 */
export function createTreasuryRoutes(options: TreasuryRoutesOptions): Map<string, Record<string, RouteHandler>> {
  const { ledger, audience } = options;

  /** Spends the action token, runs `operation`, and gives the token back if the operation refused. */
  function once<T>(auth: AuthenticatedRequest, operation: () => T): T {
    const { jti, exp } = auth.token;
    if (!options.spentActionTokens.add(jti, exp + options.clockTolerance + 1)) {
      throw invalidToken('this action token was already used; an approval authorizes one call');
    }
    try {
      return operation();
    } catch (error) {
      options.spentActionTokens.delete(jti);
      throw error;
    }
  }

  const accounts: RouteHandler = async (_request, auth) => {
    requireScope(auth, 'accounts:read');
    return { status: 200, body: { accounts: ledger.accounts() } };
  };

  const payouts: RouteHandler = async (request, auth) => {
    const scope = 'payouts:write';
    requireScope(auth, scope);
    const body = await readJsonBody(request);
    const args = parse(payoutArguments, body);
    const approvers = requireApprovedAction(auth.token, {
      tool: 'create_payout',
      args: body,
      scope,
      audience,
      approvals: args.amount > options.dualControlThreshold ? 2 : 1,
    });
    const payout = once(auth, () =>
      ledger.pay({ ...args, clientId: auth.token.clientId, tokenId: auth.token.jti, approvers }),
    );
    const { payoutId, accountId, recipient, amount, currency, executedAt } = payout;
    return { status: 201, body: { payoutId, status: 'executed', accountId, recipient, amount, currency, executedAt, approvers } };
  };

  const rotateKey: RouteHandler = async (request, auth) => {
    const scope = 'admin:keys';
    requireScope(auth, scope);
    const body = await readJsonBody(request);
    const args = parse(keyRotationArguments, body);
    const approvers = requireApprovedAction(auth.token, { tool: 'rotate_signing_key', args: body, scope, audience, approvals: 2 });
    const rotation = once(auth, () => ledger.rotate({ ...args, clientId: auth.token.clientId, tokenId: auth.token.jti, approvers }));
    return { status: 200, body: { keyId: rotation.keyId, version: rotation.version, status: 'rotated', rotatedAt: rotation.rotatedAt, approvers } };
  };

  return new Map<string, Record<string, RouteHandler>>([
    ['/accounts', { GET: accounts }],
    ['/payouts', { POST: payouts }],
    ['/admin/keys/rotate', { POST: rotateKey }],
  ]);
}

function requireScope(auth: AuthenticatedRequest, scope: string): void {
  if (!auth.token.scopes.has(scope)) throw insufficientScope(`this call needs the ${scope} scope`, scope);
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
  throw invalidRequest(`invalid request body (${problems.join('; ')})`);
}
