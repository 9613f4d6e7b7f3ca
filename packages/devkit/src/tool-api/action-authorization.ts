import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import type { AccessTokenClaims, TokenApprover } from './access-token-verifier.js';
import { insufficientScope, invalidRequest } from './tool-api-error.js';

// The package is CommonJS (`module.exports = serialize`) while its typings declare a default export.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/**
 * The arguments hash an approval is bound to: base64url(SHA-256(RFC 8785 canonical JSON)). The
 * devkit computes it on its own (not with the SDK's code), so the enforcement point checks the SDK
 * rather than trusting it.
 *
 * @example
 * ```ts
 * argumentsHash({ amount: 250, currency: 'EUR' }); // base64url SHA-256 of '{"amount":250,"currency":"EUR"}'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8785#section-3
 */
export function argumentsHash(value: unknown): string {
  let canonical: string | undefined;
  try {
    canonical = canonicalize(value);
  } catch (error) {
    throw invalidRequest('the request body cannot be canonicalized', { cause: error });
  }
  if (canonical === undefined) throw invalidRequest('the request body cannot be canonicalized');
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

/** What a request needs from an action token. */
export interface ActionRequirement {
  /** `tool` of the `agent_action` detail. */
  tool: string;
  /** The parsed request body: the tool's arguments. */
  args: unknown;
  /** Scope needed, for the challenge. */
  scope: string;
  /** This resource server's identifiers: a detail with `locations` must name one of them. */
  audience: readonly string[];
  /** Distinct approvers required (1, or 2 for dual control). */
  approvals: number;
}

/**
 * Checks that an action token authorizes this exact call: an RFC 9396 `agent_action` detail for the
 * tool whose `args_sha256` equals the hash of the request body (and whose `locations`, when given,
 * name this API), approved by at least the required number of distinct people. Returns the distinct
 * approvers. Throws 403 `insufficient_scope` otherwise.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-9.2
 */
export function requireApprovedAction(token: AccessTokenClaims, requirement: ActionRequirement): TokenApprover[] {
  const actions = token.authorizationDetails.filter((detail) => detail.type === 'agent_action' && detail.tool === requirement.tool);
  if (actions.length === 0) {
    throw insufficientScope(`this call needs an approved agent_action for ${requirement.tool} (authorization_details)`, requirement.scope);
  }
  const hash = argumentsHash(requirement.args);
  const matching = actions.find((detail) => detail.args_sha256 === hash && namesThisApi(detail, requirement.audience));
  if (matching === undefined) {
    throw insufficientScope('the request body does not match the approved arguments (args_sha256)', requirement.scope);
  }
  const misleading = displayedMembers.filter((member) => member in matching && !sameValue(matching[member], memberOf(requirement.args, member)));
  if (misleading.length > 0) {
    // The approver decided on what the inbox showed (these members), not on the hash.
    throw insufficientScope(`the approved ${misleading.join(', ')} differ${misleading.length === 1 ? 's' : ''} from the request body`, requirement.scope);
  }
  const approvers = distinctApprovers(token.approvers);
  if (approvers.length < requirement.approvals) {
    throw insufficientScope(
      `this call needs ${requirement.approvals} distinct approver${requirement.approvals === 1 ? '' : 's'}; the token names ${approvers.length}`,
      requirement.scope,
    );
  }
  return approvers;
}

/** Members of an `agent_action` detail that the inbox shows the approver; each must say what the body does. */
const displayedMembers = ['amount', 'currency', 'recipient', 'accountId', 'keyId', 'reason', 'memo'] as const;

function memberOf(args: unknown, member: string): unknown {
  return typeof args === 'object' && args !== null ? (args as Record<string, unknown>)[member] : undefined;
}

function sameValue(shown: unknown, actual: unknown): boolean {
  return canonicalize(shown) === canonicalize(actual);
}

/** One entry per distinct subject, the earliest approval kept. */
function distinctApprovers(approvers: readonly TokenApprover[]): TokenApprover[] {
  const bySubject = new Map<string, TokenApprover>();
  for (const approver of approvers) {
    if (approver.sub.length === 0) continue;
    const known = bySubject.get(approver.sub);
    if (known === undefined || approver.approved_at < known.approved_at) bySubject.set(approver.sub, { sub: approver.sub, approved_at: approver.approved_at });
  }
  return [...bySubject.values()];
}

function namesThisApi(detail: Record<string, unknown>, audience: readonly string[]): boolean {
  const { locations } = detail;
  if (locations === undefined) return true;
  return Array.isArray(locations) && locations.some((location) => typeof location === 'string' && audience.includes(location));
}
