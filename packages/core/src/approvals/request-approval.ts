import { randomUUID } from 'node:crypto';
import type { AuthorizationDetail } from '../oauth/types.js';
import { backchannelAuthenticationParameters } from './backchannel-parameters.js';
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
  const parameters = backchannelAuthenticationParameters(request);
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
