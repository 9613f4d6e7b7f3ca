/** A person in the devkit's small directory of approvers. */
export interface DevApprover {
  /** Login hint and subject, e.g. `alice`. */
  id: string;
  /** Display name. */
  name: string;
  /** Roles, e.g. `treasury`, `security`. */
  roles: string[];
}

/** One approver's decision on a request. */
export interface DevDecision {
  approver: string;
  /** ISO 8601. */
  at: string;
}

/** What the inbox and the JSON API show of one CIBA request. Holds no token and no auth_req_id. */
export interface ApprovalView {
  /** Devkit approval id (random; not the auth_req_id). */
  id: string;
  status: 'pending' | 'approved' | 'denied' | 'expired';
  /** The agent that asked. */
  clientId: string;
  /** Who it was addressed to (`login_hint`). */
  loginHint: string;
  bindingMessage: string;
  scope: string;
  authorizationDetails: Array<{ type: string; [member: string]: unknown }>;
  /** From the first `agent_action` detail, for display. */
  tool?: string | undefined;
  /** The arguments of the call, exactly as approved and as they will run: what the inbox shows first. */
  args?: unknown;
  argsSha256?: string | undefined;
  /** Other members of the `agent_action` detail (amount, currency, …). */
  summary: Record<string, unknown>;
  /** Distinct approvers the server's policy requires (1, or 2 for dual control). */
  requiredApprovals: number;
  /** Who may decide this request and why, in one sentence for the approver. */
  decisionRule: string;
  /** Approver ids who may give the next approval now (empty once decided). */
  mayApprove: string[];
  /** Approver ids who may deny now (empty once decided). */
  mayDeny: string[];
  /** Approver id of the person who owns the asking agent, when the directory knows it. */
  agentOwner?: string | undefined;
  approvals: DevDecision[];
  denial?: (DevDecision & { reason?: string | undefined }) | undefined;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  expiresAt: string;
  /** Argument values an approver could mistake for other names (filled in by the inbox). */
  lookalikes?: LookalikeName[] | undefined;
}

/**
 * One argument value that may imitate another name (UTS #39 confusables): the inbox flags it
 * beside the value.
 */
export interface LookalikeName {
  /** The argument's path as the inbox shows it, e.g. `recipient` or `routing.bank`. */
  path: string;
  /** Its characters confusable with Latin letters, as `U+0430 looks like "a"`. */
  characters: string[];
  /** A different known name (argument, agent, approver) that it looks exactly like. */
  resembles?: string | undefined;
}

/** The devkit's approval registry: the human side of CIBA. */
export interface DevApprovals {
  /** Every request this stack has seen, newest first. */
  list(): ApprovalView[];
  /** One request. Throws DevkitError `not_found`. */
  get(id: string): ApprovalView;
  /** The directory of dev approvers. */
  approvers(): DevApprover[];
  /**
   * Records `approver`'s approval; completes the CIBA request once the required number of
   * distinct approvers approved. Throws DevkitError: `unknown_approver`, `not_found`,
   * `already_decided`, `expired`, `already_approved` (same person twice), `not_allowed`.
   */
  approve(id: string, approver: string): Promise<ApprovalView>;
  /** Denies the request (`access_denied` for the agent). Same errors as {@link DevApprovals.approve}. */
  deny(id: string, approver: string, reason?: string): Promise<ApprovalView>;
  /** Called after every change (new request, decision, expiry); returns an unsubscribe function. */
  subscribe(listener: (view: ApprovalView) => void): () => void;
}
