import { ApprovalMismatchError, ResponseError, TokenTypeDowngradeError } from '../errors.js';
import { canonicalJson } from '../lib/canonical-json.js';
import type { BackchannelAuthenticationResponse, TokenResponse } from '../oauth/types.js';
import type { AuthorizationDetail } from '../types.js';
import type { ApprovalProgress, ApproverRecord } from './types.js';

/** A validated backchannel authentication response. */
export interface BackchannelResult {
  /** The CIBA handle. Never logged, never put in an error. */
  authReqId: string;
  /** Lifetime of the request in seconds. */
  expiresIn: number;
  /** Minimum seconds between polls, when the server said. */
  interval: number | undefined;
}

/**
 * Validates a CIBA backchannel authentication response: `auth_req_id` a non-empty string,
 * `expires_in` a positive number, `interval` (optional) a non-negative number.
 *
 * @throws {ResponseError} naming the member at fault.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.3
 */
export function processBackchannelResponse(response: BackchannelAuthenticationResponse | unknown): BackchannelResult {
  if (typeof response !== 'object' || response === null || Array.isArray(response)) {
    throw new ResponseError('backchannel authentication response is not a JSON object');
  }
  const { auth_req_id: authReqId, expires_in: expiresIn, interval } = response as Record<string, unknown>;
  if (typeof authReqId !== 'string' || authReqId === '') {
    throw new ResponseError('backchannel authentication response has no auth_req_id string');
  }
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new ResponseError('backchannel authentication response expires_in must be a positive number');
  }
  if (interval !== undefined && (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 0)) {
    throw new ResponseError('backchannel authentication response interval must be a non-negative number');
  }
  return { authReqId, expiresIn, interval };
}

/** What an approved CIBA token response grants, once checked against the request. */
export interface ApprovedGrant {
  accessToken: string;
  /** Seconds. */
  expiresIn: number;
  scope: string | undefined;
  authorizationDetails: AuthorizationDetail[];
  approvers: ApproverRecord[];
}

/**
 * Validates the token response of an approved CIBA request and checks that the granted
 * `authorization_details` are exactly (RFC 8785 canonical JSON) the requested ones: a token for
 * anything else is never used.
 *
 * @throws {ApprovalMismatchError} when the granted details are missing or differ.
 * @throws {ResponseError} when the response is malformed.
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-7
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.11
 */
export function processApprovedTokenResponse(response: TokenResponse | unknown, requested: readonly AuthorizationDetail[]): ApprovedGrant {
  if (typeof response !== 'object' || response === null || Array.isArray(response)) {
    throw new ResponseError('token response is not a JSON object');
  }
  const body = response as Record<string, unknown>;
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    throw new ResponseError('token response has no access_token string');
  }
  if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'dpop') {
    throw new TokenTypeDowngradeError('approved token is not DPoP-bound (token_type must be DPoP)');
  }
  if (typeof body.expires_in !== 'number' || !Number.isFinite(body.expires_in) || body.expires_in <= 0) {
    throw new ResponseError('token response expires_in must be a positive number');
  }
  if (body.scope !== undefined && typeof body.scope !== 'string') {
    throw new ResponseError('token response scope must be a string');
  }
  if (!Array.isArray(body.authorization_details)) {
    throw new ApprovalMismatchError('approved token response carries no authorization_details; the token is not used');
  }
  if (!sameAuthorizationDetails(body.authorization_details, requested)) {
    throw new ApprovalMismatchError('approved token authorization_details differ from the request; the token is not used');
  }
  return {
    accessToken: body.access_token,
    expiresIn: body.expires_in,
    scope: body.scope,
    authorizationDetails: body.authorization_details as AuthorizationDetail[],
    approvers: parseApprovers(body.approvers),
  };
}

/** True when both are the same JSON value under RFC 8785 canonicalization. */
export function sameAuthorizationDetails(granted: unknown, requested: readonly AuthorizationDetail[]): boolean {
  try {
    return canonicalJson(granted) === canonicalJson(requested);
  } catch {
    return false;
  }
}

/**
 * Reads `approvers` (`[{ sub, approved_at }]`, `approved_at` in seconds) as the server reported
 * it. Entries without a string `sub` are skipped: the list is evidence, not an authorization input.
 */
export function parseApprovers(value: unknown): ApproverRecord[] {
  if (!Array.isArray(value)) return [];
  const approvers: ApproverRecord[] = [];
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { sub, approved_at: approvedAt } = entry as Record<string, unknown>;
    if (typeof sub !== 'string' || sub === '') continue;
    approvers.push(
      typeof approvedAt === 'number' && Number.isFinite(approvedAt) ? { subject: sub, approvedAt: approvedAt * 1000 } : { subject: sub },
    );
  }
  return approvers;
}

/**
 * Dual-control progress from an `authorization_pending` error's extra members
 * (`approvals_required`, `approvals_received`), when the server sends them.
 */
export function parsePendingProgress(parameters: Readonly<Record<string, unknown>>): ApprovalProgress | undefined {
  const required = parameters.approvals_required;
  if (typeof required !== 'number' || !Number.isInteger(required) || required < 1) return undefined;
  return { required, received: parseApprovers(parameters.approvals_received) };
}
