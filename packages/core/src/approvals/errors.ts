import { CountersignError } from '../errors.js';

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
