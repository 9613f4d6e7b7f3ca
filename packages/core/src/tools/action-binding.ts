import { findNonJson } from '../lib/plain-json.js';
import { ConfigurationError, InvalidArgumentsError } from '../errors.js';
import { canonicalSha256 } from '../lib/canonical-json.js';
import type { AuthorizationDetail } from '../oauth/types.js';
import type { ApprovalPolicy } from './types.js';

/** The RFC 9396 `type` of the authorization detail that binds an approval to one tool call. */
export const AGENT_ACTION_TYPE = 'agent_action';

/** Members of the `agent_action` detail that `details(args)` may not set. */
const RESERVED_MEMBERS = ['type', 'tool', 'args_sha256', 'approval'] as const;

/**
 * SHA-256 (base64url) of the RFC 8785 canonical JSON of validated arguments: the value that ties
 * an approval to exact arguments. The tool API computes the same over the request body.
 *
 * @throws {InvalidArgumentsError} when the arguments are not plain JSON (for example a schema
 * transform produced a Date or a bigint).
 * @see https://www.rfc-editor.org/rfc/rfc8785
 */
export function argumentsSha256(tool: string, args: unknown): string {
  const offending = findNonJson(args);
  if (offending !== undefined) throw new InvalidArgumentsError(tool, [`${offending}: must be a plain JSON value after validation`]);
  return canonicalSha256(args);
}

/**
 * The authorization details an irreversible call is approved under:
 * `[{ type: 'agent_action', tool, args_sha256, ...details(args), approval: 'dual' }]` (`approval`
 * only in dual mode). `details(args)` adds display members (amount, currency); it may not set
 * `type`, `tool`, `args_sha256` or `approval`, and its values must be plain JSON.
 *
 * @throws {ConfigurationError} when `details(args)` is not a plain object or sets a reserved member.
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 */
export function actionAuthorizationDetails<Args>(tool: string, argsSha256: string, policy: ApprovalPolicy<Args>, args: Args): AuthorizationDetail[] {
  const extra = policy.details?.(args) ?? {};
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    throw new ConfigurationError(`approval.details() of tool ${tool} must return a plain object`);
  }
  const reserved = RESERVED_MEMBERS.filter((member) => member in extra);
  if (reserved.length > 0) {
    throw new ConfigurationError(`approval.details() of tool ${tool} may not set ${reserved.join(', ')}: the guard sets them`);
  }
  const detail: AuthorizationDetail = { type: AGENT_ACTION_TYPE, tool, args_sha256: argsSha256, ...extra };
  if (policy.mode === 'dual') detail.approval = 'dual';
  const offending = findNonJson(detail);
  if (offending !== undefined) throw new ConfigurationError(`approval.details() of tool ${tool} must return plain JSON values (${offending} is not)`);
  return [JSON.parse(JSON.stringify(detail)) as AuthorizationDetail];
}
