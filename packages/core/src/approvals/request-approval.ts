import { randomUUID } from 'node:crypto';
import { ConfigurationError } from '../errors.js';
import type { AuthorizationDetail } from '../oauth/types.js';
import { validateBindingMessage } from './binding-message.js';
import { findNonJson } from '../lib/plain-json.js';
import { processBackchannelResponse } from '../oauth/ciba-responses.js';
import { approvalAuditFields, createPendingApproval, DEFAULT_POLL_INTERVAL, describeError } from './pending-approval.js';
import { parseSerializedApproval } from './serialized-approval.js';
import type { ApprovalContext, ApprovalRequest, PendingApproval, SerializedApproval } from './types.js';

/** Polls are never closer together than this, whatever the server's `interval`, in seconds. */
export const MINIMUM_POLL_INTERVAL = 1;

/**
 * Asks a human to approve an exact action: an OpenID CIBA backchannel authentication request (poll
 * mode) carrying `login_hint`, `binding_message`, RFC 9396 `authorization_details`, `scope` (with
 * `openid` added when missing), the RFC 8707 `resource` and `requested_expiry`. The request is
 * client-authenticated by `context.client`. The returned handle polls the token endpoint; its `id`
 * is random and unrelated to the `auth_req_id`, which never reaches an error, a log or the audit
 * trail.
 *
 * @example
 * ```ts
 * const pending = await agent.requestApproval({
 *   loginHint: 'alice',
 *   bindingMessage: 'Pay 250 EUR to ACME',
 *   authorizationDetails: [{ type: 'agent_action', tool: 'create_payout', args_sha256 }],
 *   scope: 'payouts:write',
 *   resource: 'https://treasury.example',
 * });
 * const actionToken = await pending.wait();
 * ```
 * @throws {ConfigurationError} when the request is invalid (nothing is sent).
 * @throws {ResponseError} when the server's answer is malformed.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 */
export async function requestApproval(context: ApprovalContext, request: ApprovalRequest): Promise<PendingApproval> {
  const parameters = backchannelParameters(request);
  const startedAt = context.clock();
  const subject = {
    id: randomUUID(),
    // The JSON form that was sent: what the granted details are compared with.
    authorizationDetails: JSON.parse(parameters.authorization_details) as AuthorizationDetail[],
    scope: parameters.scope,
    resource: request.resource,
  };
  let state: SerializedApproval;
  try {
    const result = processBackchannelResponse(await context.client.backchannelAuthentication(parameters, { signal: request.signal }));
    const interval = Math.max(result.interval ?? DEFAULT_POLL_INTERVAL, MINIMUM_POLL_INTERVAL);
    state = {
      version: 1,
      ...subject,
      authReqId: result.authReqId,
      status: 'pending',
      // Counted from before the request was sent, so the local deadline is never later than the server's.
      expiresAt: startedAt + result.expiresIn * 1000,
      interval,
      nextPollAt: context.clock() + interval * 1000,
      loginHint: request.loginHint,
      bindingMessage: request.bindingMessage,
    };
  } catch (error) {
    context.audit.record({ event: 'approval.requested', ...approvalAuditFields(subject), outcome: 'error', error: describeError(error) });
    throw error;
  }
  context.audit.record({ event: 'approval.requested', ...approvalAuditFields(state), outcome: 'pending' });
  return createPendingApproval(context, state);
}

/**
 * Restores a pending approval from {@link PendingApproval.toJSON} output (an object or its JSON
 * text), for example after a restart. The shape is checked member by member first.
 *
 * @throws {MalformedApprovalError} when `saved` is not a serialized approval.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.3
 */
export function resumeApproval(context: ApprovalContext, saved: SerializedApproval | string): PendingApproval {
  return createPendingApproval(context, parseSerializedApproval(saved));
}

/** Validates `request` and builds the form parameters of the backchannel authentication request. */
function backchannelParameters(request: ApprovalRequest): Record<string, string> & { scope: string; authorization_details: string } {
  if (typeof request.loginHint !== 'string' || request.loginHint.trim() === '') {
    throw new ConfigurationError('approval loginHint must be a non-empty string');
  }
  validateBindingMessage(request.bindingMessage);
  const details = validateAuthorizationDetails(request.authorizationDetails);
  const parameters: Record<string, string> & { scope: string; authorization_details: string } = {
    scope: withOpenidScope(request.scope),
    login_hint: request.loginHint,
    binding_message: request.bindingMessage,
    authorization_details: details,
  };
  if (request.resource !== undefined) parameters.resource = validateResource(request.resource);
  if (request.requestedExpiry !== undefined) {
    if (!Number.isInteger(request.requestedExpiry) || request.requestedExpiry <= 0) {
      throw new ConfigurationError('approval requestedExpiry must be a positive whole number of seconds');
    }
    parameters.requested_expiry = String(request.requestedExpiry);
  }
  return parameters;
}

/**
 * `scope` with `openid` added when missing: CIBA authentication requests require it.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 */
export function withOpenidScope(scope: string | undefined): string {
  if (scope !== undefined && typeof scope !== 'string') throw new ConfigurationError('approval scope must be a string');
  const scopes = (scope ?? '').split(/\s+/).filter(Boolean);
  return scopes.includes('openid') ? scopes.join(' ') : ['openid', ...scopes].join(' ');
}

function validateAuthorizationDetails(details: unknown): string {
  if (!Array.isArray(details) || details.length === 0) {
    throw new ConfigurationError('approval authorizationDetails must be a non-empty array');
  }
  details.forEach((detail: AuthorizationDetail, index) => {
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail) || typeof detail.type !== 'string' || detail.type === '') {
      throw new ConfigurationError(`approval authorizationDetails[${index}] must be an object with a string type`);
    }
  });
  const offending = findNonJson(details);
  if (offending !== undefined) {
    throw new ConfigurationError(`approval authorizationDetails must be plain JSON values (authorizationDetails${offending.replace('(root)', '')} is not)`);
  }
  return JSON.stringify(details);
}

function validateResource(resource: unknown): string {
  if (typeof resource !== 'string' || !URL.canParse(resource) || new URL(resource).hash !== '' || resource.includes('#')) {
    throw new ConfigurationError('approval resource must be an absolute URI without a fragment (RFC 8707)');
  }
  return resource;
}
