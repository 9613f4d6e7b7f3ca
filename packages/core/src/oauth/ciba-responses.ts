import { ApprovalMismatchError } from '../errors.js';
import { canonicalJson } from '../lib/canonical-json.js';
import type { AuthorizationDetail, BackchannelAuthenticationResponse, TokenResponse } from './types.js';
import type { ApprovalProgress, ApproverRecord } from '../approvals/types.js';

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
 * Reads a backchannel authentication response that `processBackchannelAuthenticationResponse`
 * already validated (the one validation of it), in the names approvals use.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.3
 */
export function processBackchannelResponse(response: BackchannelAuthenticationResponse): BackchannelResult {
  return { authReqId: response.auth_req_id, expiresIn: response.expires_in, interval: response.interval };
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
 * Checks the token response of an approved CIBA request, already validated by
 * `processTokenResponse` (DPoP-bound, well-formed): the granted `authorization_details` must
 * be exactly (RFC 8785 canonical JSON) the requested ones, or the token is never used.
 *
 * @throws {ApprovalMismatchError} when the granted details are missing or differ.
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-7
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.11
 */
export function processApprovedTokenResponse(response: TokenResponse, requested: readonly AuthorizationDetail[]): ApprovedGrant {
  if (!Array.isArray(response.authorization_details)) {
    throw new ApprovalMismatchError('approved token response carries no authorization_details; the token is not used');
  }
  if (!sameAuthorizationDetails(response.authorization_details, requested)) {
    throw new ApprovalMismatchError('approved token authorization_details differ from the request; the token is not used');
  }
  return {
    accessToken: response.access_token,
    expiresIn: response.expires_in,
    scope: response.scope,
    authorizationDetails: response.authorization_details,
    approvers: parseApprovers(response.approvers),
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
 * (`approvals_required`, `approvals_received`, `approvals_waiting_for`), when the server sends them.
 */
export function parsePendingProgress(parameters: Readonly<Record<string, unknown>>): ApprovalProgress | undefined {
  const required = parameters.approvals_required;
  if (typeof required !== 'number' || !Number.isInteger(required) || required < 1) return undefined;
  const progress: ApprovalProgress = { required, received: parseApprovers(parameters.approvals_received) };
  const waiting = parameters.approvals_waiting_for;
  if (Array.isArray(waiting)) progress.waitingFor = waiting.filter((entry): entry is string => typeof entry === 'string' && entry !== '').slice(0, 50);
  return progress;
}
