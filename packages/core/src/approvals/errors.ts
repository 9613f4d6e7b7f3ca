import { CountersignError, type CountersignErrorOptions } from '../errors.js';

/**
 * A serialized approval (from {@link PendingApproval.toJSON}, a store or a caller) does not have
 * the expected shape, so it is not resumed. The message names the member at fault, never a value.
 */
export class MalformedApprovalError extends CountersignError {
  static override readonly code: string = 'ERR_MALFORMED_APPROVAL';
  override readonly code = 'ERR_MALFORMED_APPROVAL';
}

/**
 * The approval was granted, but its action token went to another instance (tokens are never
 * serialized and a CIBA `auth_req_id` gives out its token once). A new approval is needed.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10.1
 */
export class ApprovalTokenUnavailableError extends CountersignError {
  static override readonly code: string = 'ERR_APPROVAL_TOKEN_UNAVAILABLE';
  override readonly code = 'ERR_APPROVAL_TOKEN_UNAVAILABLE';
  /** The approval's id. */
  readonly approvalId: string;
  constructor(approvalId: string) {
    super(`approval ${approvalId} was granted to an earlier instance; its token is not kept across restarts, ask again`);
    this.approvalId = approvalId;
  }
}

/**
 * The authorization server refused an approval's grant (`invalid_grant`) before it expired. A CIBA
 * `auth_req_id` gives out its token once, so this most likely means the approval was already
 * redeemed: an earlier poll received its action token (for example in a process that stopped
 * between receiving the token and saving it). It may also have been revoked (the agent was disabled).
 * Either way it can never run: a new approval is needed. `cause` is the server's {@link OAuthError}.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.11
 */
export class ApprovalGrantRefusedError extends CountersignError {
  static override readonly code: string = 'ERR_APPROVAL_GRANT_REFUSED';
  override readonly code = 'ERR_APPROVAL_GRANT_REFUSED';
  /** The approval's id. */
  readonly approvalId: string;
  /** The authorization server's `error` (`invalid_grant`). */
  readonly error: string;
  constructor(approvalId: string, options?: CountersignErrorOptions & { error?: string | undefined }) {
    const error = options?.error ?? 'invalid_grant';
    super(
      `approval ${approvalId}: the authorization server refused its grant (${error}) before it expired. It was most likely redeemed already: ` +
        'an earlier poll received its action token (for example a process that stopped between receiving the token and saving it), ' +
        'or it was revoked (the agent was disabled). It cannot run; ask for a new approval',
      options,
    );
    this.approvalId = approvalId;
    this.error = error;
  }
}
