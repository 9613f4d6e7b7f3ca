import * as z from 'zod';

/** The RFC 9396 authorization details type that binds an approval to one exact tool call. */
export const AGENT_ACTION_TYPE = 'agent_action';

const text = (max: number) => z.string().min(1).max(max);

/**
 * Strict schema of one `agent_action` authorization details object. Unknown members are refused,
 * so nothing an approver was not shown can ride along into the token.
 *
 * - `tool`: the tool name, e.g. `create_payout`.
 * - `args_sha256`: base64url(SHA-256(RFC 8785 canonical JSON of the arguments)), 43 characters.
 * - `approval`: `single` or `dual`; the server's own policy may require more, never less.
 * - `amount` (non-negative number), `currency` (ISO 4217 code), `recipient`, `accountId`, `keyId`,
 *   `reason`, `memo`: what the approver is shown.
 * - `locations`: RFC 9396 §2.2 common member, absolute URLs of the resource servers.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 */
export const agentActionDetailSchema = z.strictObject({
  type: z.literal(AGENT_ACTION_TYPE),
  tool: z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/, 'a tool name of letters, digits, _ . : - (at most 64)'),
  args_sha256: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a base64url SHA-256 digest (43 characters)'),
  approval: z.enum(['single', 'dual']).optional(),
  amount: z.number().finite().nonnegative().optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code').optional(),
  recipient: text(200).optional(),
  accountId: text(200).optional(),
  keyId: text(200).optional(),
  reason: text(500).optional(),
  memo: z.string().max(500).optional(),
  locations: z.array(z.url()).min(1).max(10).optional(),
});

/** One validated `agent_action` authorization details object. */
export type AgentActionDetail = z.infer<typeof agentActionDetailSchema>;

/** Why an `agent_action` detail was refused: the member path and what was expected. Never echoes values. */
export class AgentActionDetailError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentActionDetailError';
  }
}

/**
 * Validates one `agent_action` authorization details object.
 *
 * @throws {AgentActionDetailError} naming the first offending member.
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-5
 */
export function parseAgentActionDetail(detail: unknown, index = 0): AgentActionDetail {
  const result = agentActionDetailSchema.safeParse(detail);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const member = issue.path.length > 0 ? `.${issue.path.map(String).join('.')}` : '';
  const reason =
    issue.code === 'unrecognized_keys'
      ? `unknown member(s) ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`
      : issue.message;
  throw new AgentActionDetailError(`authorization_details[${index}]${member}: ${reason}`);
}

/**
 * The single `agent_action` of an authorization_details array, or `undefined` when it has none.
 * More than one action per request is refused: one approval authorizes one exact call.
 *
 * @throws {AgentActionDetailError}
 */
export function findAgentAction(details: ReadonlyArray<{ type: string }> | undefined): AgentActionDetail | undefined {
  if (details === undefined) return undefined;
  const actions = details.filter((detail) => detail.type === AGENT_ACTION_TYPE);
  if (actions.length > 1) throw new AgentActionDetailError('authorization_details: one agent_action per request');
  return actions.length === 0 ? undefined : parseAgentActionDetail(actions[0], details.indexOf(actions[0]!));
}
