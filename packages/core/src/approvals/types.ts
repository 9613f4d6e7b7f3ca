import type { AccessToken, AuthorizationDetail } from '../types.js';

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
 * Persistent state of a guarded tool call tied to an approval: the record that makes execution
 * happen at most once per approval.
 */
export interface StoredToolCall {
  /** The approval id. */
  id: string;
  tool: string;
  /** Id of the model's tool call, when the adapter knows it. */
  callId?: string | undefined;
  argsSha256: string;
  approval: SerializedApproval;
  /**
   * `pending` until executed; `executing` while the function runs; then the final state.
   * `unknown`: the process running it stopped renewing its lease mid-run (it crashed or lost the
   * store), so whether the function took effect is not known; it never runs again.
   */
  state: 'pending' | 'executing' | 'done' | 'failed' | 'denied' | 'expired' | 'unknown';
  /** Fencing token of the lease the call was claimed under, once `executing`. */
  fence?: number | undefined;
  /** Stored outcome once final (JSON). */
  outcome?: unknown;
  updatedAt: number;
}

/**
 * Where guarded tool calls waiting for approval live. Implementations must make `update` atomic
 * per id and leases exclusive across every user of the store (every process, for a shared store):
 * that is how resumes at once, anywhere, still execute once.
 */
export interface ApprovalStore {
  /**
   * How long, in milliseconds, a lease outlives a holder that stops renewing it; a call whose
   * executor's lease lapses is settled as `unknown`. Default 30 000.
   */
  readonly leaseMs?: number | undefined;
  /**
   * Takes the lease `name` for `ttlMs` milliseconds unless another holder's lease on it is still
   * live. Resolves a fencing token, greater than every token this store handed out before, or
   * `undefined` while someone else holds the lease.
   */
  acquireLease(name: string, ttlMs: number): Promise<number | undefined>;
  /** Extends the lease held under `fence` to `ttlMs` from now; `false` once it was lost. */
  renewLease(name: string, fence: number, ttlMs: number): Promise<boolean>;
  /** Gives up the lease held under `fence` (nothing happens when it was lost). */
  releaseLease(name: string, fence: number): Promise<void>;
  get(id: string): Promise<StoredToolCall | undefined>;
  /** The record for a model tool call, so a re-run of the same call resumes instead of asking again. */
  findByCall(tool: string, callId: string): Promise<StoredToolCall | undefined>;
  put(record: StoredToolCall): Promise<void>;
  /** Atomically replaces the record with `change(current)`; returns the new record. */
  update(id: string, change: (current: StoredToolCall) => StoredToolCall): Promise<StoredToolCall>;
  list(): Promise<StoredToolCall[]>;
  delete(id: string): Promise<void>;
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
