import { findNonJson } from '../lib/plain-json.js';
import { ConfigurationError, InvalidArgumentsError } from '../errors.js';
import { canonicalJson, canonicalSha256 } from '../lib/canonical-json.js';
import { validateDisplayedText } from '../approvals/binding-message.js';
import type { AuthorizationDetail } from '../oauth/types.js';
import type { ApprovalPolicy } from './types.js';

/** The RFC 9396 `type` of the authorization detail that binds an approval to one tool call. */
export const AGENT_ACTION_TYPE = 'agent_action';

/** Members of the `agent_action` detail that `details(args)` may not set. */
const RESERVED_MEMBERS = ['type', 'tool', 'args', 'args_sha256', 'approval'] as const;

/**
 * Largest arguments that travel with an approval, in bytes of their RFC 8785 canonical JSON
 * (UTF-8). The approver is shown every argument, so a call whose arguments exceed this is refused
 * before anything is sent: pass a reference (a document id, a file hash) instead of the content.
 * The devkit authorization server enforces the same limit.
 */
export const MAX_ACTION_ARGUMENTS_BYTES = 16_384;

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
 * `[{ type: 'agent_action', tool, args, args_sha256, ...details(args), approval: 'dual' }]`
 * (`approval` only in dual mode). `args` is the validated call itself, so the approver is shown
 * what runs, not only its hash. `details(args)` adds policy members the server decides on (amount,
 * currency); it may not set `type`, `tool`, `args`, `args_sha256` or `approval`, its values must be
 * plain JSON and its strings may not hold invisible or format characters.
 *
 * @throws {InvalidArgumentsError} when the canonical arguments exceed {@link MAX_ACTION_ARGUMENTS_BYTES}.
 * @throws {ConfigurationError} when `details(args)` is not a plain object, sets a reserved member
 * or holds a string an approver could misread.
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
  for (const [member, value] of Object.entries(extra)) {
    if (typeof value === 'string') validateDisplayedText(`approval.details() of tool ${tool}: member ${member}`, value);
  }
  const size = new TextEncoder().encode(canonicalJson(args)).length;
  if (size > MAX_ACTION_ARGUMENTS_BYTES) {
    throw new InvalidArgumentsError(tool, [
      `the arguments are ${size} bytes as canonical JSON; at most ${MAX_ACTION_ARGUMENTS_BYTES} travel with an approval (pass a reference instead of the content)`,
    ]);
  }
  const detail: AuthorizationDetail = { type: AGENT_ACTION_TYPE, tool, args, args_sha256: argsSha256, ...extra };
  if (policy.mode === 'dual') detail.approval = 'dual';
  const offending = findNonJson(detail);
  if (offending !== undefined) throw new ConfigurationError(`approval.details() of tool ${tool} must return plain JSON values (${offending} is not)`);
  return [JSON.parse(JSON.stringify(detail)) as AuthorizationDetail];
}
