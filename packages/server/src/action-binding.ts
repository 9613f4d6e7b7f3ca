import { canonicalSha256 } from '@countersign/core/tools';
import { isObject } from './tokens/claims.js';
import { refuse } from './refusal.js';
import type { ActionRequirement, Approver, TokenClaims } from './types.js';

/** The RFC 9396 `type` of an approved tool call. */
export const AGENT_ACTION_TYPE = 'agent_action';

/** Members of an `agent_action` detail that describe the request rather than name a field of the arguments. */
const structuralMembers = new Set(['type', 'tool', 'args', 'args_sha256', 'locations', 'actions', 'datatypes', 'identifier', 'privileges']);

/** An approved call, as {@link checkAction} found it. */
export interface ApprovedAction {
  detail: Record<string, unknown>;
  approvers: Approver[];
}

/**
 * Checks that a token approves exactly this tool call: an `agent_action` detail for `tool` whose
 * `args_sha256` equals base64url(SHA-256(RFC 8785 canonical `args`)); whose own `args`, when it
 * carries them, hash to that same value; whose other members naming an argument (the `amount`,
 * `recipient` … the approver was shown) equal that argument; whose `locations`, if any, name this
 * resource; and approved by at least `approvers` distinct people. Refusals carry the
 * `authorization_details` to ask the authorization server for.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 * @see https://www.rfc-editor.org/rfc/rfc8785
 */
export function checkAction(claims: TokenClaims, requirement: ActionRequirement, resource: string, scope: string | undefined): ApprovedAction {
  let hash: string;
  try {
    hash = canonicalSha256(requirement.args);
  } catch {
    refuse('malformed_request', 'the tool arguments are not plain JSON');
  }
  const needed = [{ type: AGENT_ACTION_TYPE, tool: requirement.tool, args: requirement.args, args_sha256: hash, locations: [resource] }];
  const extra = { ...(scope === undefined ? {} : { scope }), authorizationDetails: needed };
  const candidates = (claims.authorization_details ?? []).filter((detail) => detail.type === AGENT_ACTION_TYPE && detail.tool === requirement.tool);
  if (candidates.length === 0) refuse('approval_required', `this call needs an approved ${AGENT_ACTION_TYPE} for ${requirement.tool}`, extra);

  const sameArguments = candidates.filter((detail) => detail.args_sha256 === hash && carriedArgumentsAgree(detail, hash));
  if (sameArguments.length === 0) refuse('approval_mismatch', 'the arguments do not match the approved arguments (args_sha256)', extra);
  const here = sameArguments.filter((detail) => namesResource(detail, resource));
  if (here.length === 0) refuse('approval_location', 'the approved action is for another resource (locations)', extra);
  const detail = here.find((candidate) => differingMembers(candidate, requirement.args).length === 0);
  if (detail === undefined) {
    const differing = differingMembers(here[0]!, requirement.args);
    refuse('approval_mismatch', `the approved ${differing.join(', ')} differ${differing.length === 1 ? 's' : ''} from the arguments`, extra);
  }

  const approvers = distinctApprovers(claims.approvers ?? []);
  const required = requirement.approvers ?? 1;
  if (approvers.length < required) {
    refuse('approvers_insufficient', `this call needs ${required} distinct approver${required === 1 ? '' : 's'}; the token names ${approvers.length}`, extra);
  }
  return { detail, approvers };
}

function carriedArgumentsAgree(detail: Record<string, unknown>, hash: string): boolean {
  if (!('args' in detail)) return true;
  try {
    return canonicalSha256(detail.args) === hash;
  } catch {
    return false;
  }
}

/** Members the approver was shown (named like an argument) whose value is not the argument's. */
function differingMembers(detail: Record<string, unknown>, args: unknown): string[] {
  if (!isObject(args)) return [];
  return Object.entries(detail)
    .filter(([member]) => !structuralMembers.has(member) && member in args)
    .filter(([member, shown]) => !sameJson(shown, args[member]))
    .map(([member]) => member);
}

function sameJson(left: unknown, right: unknown): boolean {
  try {
    return canonicalSha256(left) === canonicalSha256(right);
  } catch {
    return false;
  }
}

function namesResource(detail: Record<string, unknown>, resource: string): boolean {
  const { locations } = detail;
  if (locations === undefined) return true;
  return Array.isArray(locations) && locations.includes(resource);
}

/** One entry per distinct subject, the earliest approval kept. */
function distinctApprovers(approvers: readonly Approver[]): Approver[] {
  const bySubject = new Map<string, Approver>();
  for (const approver of approvers) {
    if (typeof approver.sub !== 'string' || approver.sub.length === 0) continue;
    const known = bySubject.get(approver.sub);
    if (known === undefined || (approver.approved_at ?? 0) < (known.approved_at ?? 0)) bySubject.set(approver.sub, { ...approver });
  }
  return [...bySubject.values()];
}
