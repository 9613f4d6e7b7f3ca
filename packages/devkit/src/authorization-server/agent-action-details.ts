import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import * as z from 'zod';
import { hiddenCharacterIn } from '../approvals/displayed-text.js';

// The package is CommonJS (`module.exports = serialize`) while its typings declare a default export.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** The RFC 9396 authorization details type that binds an approval to one exact tool call. */
export const AGENT_ACTION_TYPE = 'agent_action';

/**
 * Largest `args` accepted, in bytes of RFC 8785 canonical JSON (UTF-8); the same limit as the
 * agent SDK. The approver is shown every argument, so large content travels as a reference.
 */
export const MAX_ACTION_ARGUMENTS_BYTES = 16_384;

/** Members shown to the approver beside the arguments; each must equal the argument of that name. */
export const DISPLAYED_MEMBERS = ['amount', 'currency', 'recipient', 'accountId', 'keyId', 'reason', 'memo'] as const;

const shownText = (max: number, min = 1) =>
  z
    .string()
    .min(min)
    .max(max)
    .superRefine((value, context) => {
      const hidden = hiddenCharacterIn(value);
      if (hidden !== undefined) context.addIssue({ code: 'custom', message: `contains an invisible or format character (${hidden})` });
    });

/**
 * Strict schema of one `agent_action` authorization details object. Unknown members are refused,
 * so nothing an approver was not shown can ride along into the token.
 *
 * - `tool`: the tool name, e.g. `create_payout`.
 * - `args`: the validated arguments of the call: what the approver is shown and what runs.
 * - `args_sha256`: base64url(SHA-256(RFC 8785 canonical JSON of `args`)), 43 characters; the server
 *   recomputes it.
 * - `approval`: `single` or `dual`; the server's own policy may require more, never less.
 * - `amount` (non-negative number), `currency` (ISO 4217 code), `recipient`, `accountId`, `keyId`,
 *   `reason`, `memo`: policy and display members; no invisible or format characters.
 * - `locations`: RFC 9396 §2.2 common member, absolute URLs of the resource servers.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 */
export const agentActionDetailSchema = z.strictObject({
  type: z.literal(AGENT_ACTION_TYPE),
  tool: z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/, 'a tool name of letters, digits, _ . : - (at most 64)'),
  args: z.json(),
  args_sha256: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a base64url SHA-256 digest (43 characters)'),
  approval: z.enum(['single', 'dual']).optional(),
  amount: z.number().finite().nonnegative().optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code').optional(),
  recipient: shownText(200).optional(),
  accountId: shownText(200).optional(),
  keyId: shownText(200).optional(),
  reason: shownText(500).optional(),
  memo: shownText(500, 0).optional(),
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
 * base64url(SHA-256(RFC 8785 canonical JSON of `args`)) and the canonical size in bytes, computed
 * by the devkit itself (not by the SDK that sent them).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8785#section-3
 */
export function hashArguments(args: unknown): { sha256: string; bytes: number } {
  const canonical = canonicalize(args);
  if (canonical === undefined) throw new AgentActionDetailError('args cannot be canonicalized as JSON');
  return { sha256: createHash('sha256').update(canonical, 'utf8').digest('base64url'), bytes: Buffer.byteLength(canonical, 'utf8') };
}

/**
 * Validates one `agent_action` authorization details object: its shape, then that `args` is at
 * most {@link MAX_ACTION_ARGUMENTS_BYTES}, that `args_sha256` is the hash of `args`, and that each
 * displayed member (amount, recipient, …) equals the argument of the same name when there is one.
 *
 * @throws {AgentActionDetailError} naming the first offending member.
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-5
 */
export function parseAgentActionDetail(detail: unknown, index = 0): AgentActionDetail {
  const where = `authorization_details[${index}]`;
  const result = agentActionDetailSchema.safeParse(detail);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const member = issue.path.length > 0 ? `.${issue.path.map(String).join('.')}` : '';
    const reason =
      issue.code === 'unrecognized_keys'
        ? `unknown member(s) ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`
        : issue.path[0] === 'args'
          ? 'the arguments of the call, as JSON (required: the approver is shown them)'
          : issue.message;
    throw new AgentActionDetailError(`${where}${member}: ${reason}`);
  }
  const action = result.data;
  const { sha256, bytes } = hashArguments(action.args);
  if (bytes > MAX_ACTION_ARGUMENTS_BYTES) {
    throw new AgentActionDetailError(
      `${where}.args: ${bytes} bytes as canonical JSON; at most ${MAX_ACTION_ARGUMENTS_BYTES} are accepted (send a reference instead of the content)`,
    );
  }
  if (sha256 !== action.args_sha256) {
    throw new AgentActionDetailError(`${where}.args_sha256 is not the SHA-256 of the canonical args: the approver would see other arguments than the ones bound`);
  }
  const args = typeof action.args === 'object' && action.args !== null && !Array.isArray(action.args) ? (action.args as Record<string, unknown>) : {};
  for (const member of DISPLAYED_MEMBERS) {
    if (action[member] !== undefined && member in args && canonicalize(args[member]) !== canonicalize(action[member])) {
      throw new AgentActionDetailError(`${where}.${member} differs from args.${member}: what the approver is shown must be what runs`);
    }
  }
  return action;
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
