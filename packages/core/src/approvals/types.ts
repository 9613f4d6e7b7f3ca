import type { AuthorizationDetail } from '../oauth/types.js';
import type { AccessToken } from '../tokens/types.js';

/**
 * What a human is asked to approve.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 */
export interface ApprovalRequest {
  /** Who should approve (`login_hint`), e.g. `alice`. */
  loginHint: string;
  /** Short text shown on the approver's device (`binding_message`). */
  bindingMessage: string;
  /** The exact action (RFC 9396), e.g. `[{ type: 'agent_action', tool, args_sha256 }]`. */
  authorizationDetails: AuthorizationDetail[];
  /** Scope requested with it; `openid` is added when missing (CIBA requires it). */
  scope?: string | undefined;
  /** RFC 8707 resource indicator of the action token. */
  resource?: string | undefined;
  /** Requested lifetime of the request in seconds (`requested_expiry`). */
  requestedExpiry?: number | undefined;
  /** Aborts the backchannel request. */
  signal?: AbortSignal | undefined;
}

/** Where an approval request stands. */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

/** One approver's decision, as reported by the authorization server. */
export interface ApproverRecord {
  /** The approver's subject identifier, e.g. `alice`. */
  subject: string;
  /** When they approved, in milliseconds since the epoch, when known. */
  approvedAt?: number | undefined;
}

/** Dual-control progress, where the authorization server reports it. */
export interface ApprovalProgress {
  /** How many distinct approvers the server's policy requires. */
  required: number;
  /** Who has approved so far. */
  received: ApproverRecord[];
  /** Who could give the next approval, when the server says (`approvals_waiting_for`). */
  waitingFor?: string[] | undefined;
}

/** JSON form of a pending approval, enough to resume it after a restart. Holds no token. */
export interface SerializedApproval {
  version: 1;
  id: string;
  /** The CIBA handle; only usable together with this agent's client authentication. */
  authReqId: string;
  status: ApprovalStatus;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  /** Polling interval in seconds. */
  interval: number;
  /** Next poll allowed at, milliseconds since the epoch. */
  nextPollAt: number;
  loginHint: string;
  bindingMessage: string;
  authorizationDetails: AuthorizationDetail[];
  scope?: string | undefined;
  resource?: string | undefined;
  progress?: ApprovalProgress | undefined;
  reason?: string | undefined;
}

/**
 * A CIBA request waiting for a human decision.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.3
 */
export interface PendingApproval {
  /** Countersign's id for this approval (not the `auth_req_id`). */
  readonly id: string;
  /** Current status, as of the last poll. */
  readonly status: ApprovalStatus;
  /** When the request expires, milliseconds since the epoch. */
  readonly expiresAt: number;
  /** The binding message shown to the approver. */
  readonly bindingMessage: string;
  /** Who was asked to approve. */
  readonly loginHint: string;
  /** The authorization details requested. */
  readonly authorizationDetails: readonly AuthorizationDetail[];
  /** Dual-control progress, when the server reports it. */
  readonly progress: ApprovalProgress | undefined;
  /** The approved action token, once `status` is `approved`. */
  readonly token: AccessToken | undefined;
  /** One token request at most; returns at once when the interval has not elapsed. Never blocks. */
  poll(options?: { signal?: AbortSignal }): Promise<ApprovalStatus>;
  /** Polls until decided; resolves with the action token or throws ApprovalDeniedError / ApprovalExpiredError. */
  wait(options?: { signal?: AbortSignal }): Promise<AccessToken>;
  /** Serializable state for {@link Agent.resumeApproval}; holds no token. */
  toJSON(): SerializedApproval;
}

/**
 * What approvals need from the agent that owns them. Built by `createAgent`; approvals never see
 * the agent's keys directly.
 */
export interface ApprovalContext {
  /** Client-authenticated, DPoP-capable requests to the authorization server. */
  client: import('../oauth/types.js').AuthorizationServerClient;
  /** Audit trail of the owning agent. */
  audit: import('../audit/types.js').Auditor;
  /** Clock in milliseconds since the epoch. */
  clock: () => number;
  /** The owning agent's client_id. */
  clientId: string;
  /**
   * Waits `milliseconds` (timers unref'd), rejecting with the signal's reason when aborted.
   * Default: a real timer. Tests inject one that advances a manual clock.
   */
  sleep?: ((milliseconds: number, signal?: AbortSignal) => Promise<void>) | undefined;
}
