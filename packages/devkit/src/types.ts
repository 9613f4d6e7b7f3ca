import type { DevApprovals } from './approvals/types.js';
import type { DevWorkloadIssuer } from './authorization-server/workload-issuer.js';

/** A JSON Web Key Set with public keys only. */
export interface PublicJwks {
  keys: Array<Record<string, unknown>>;
}

/** An agent to register with the dev authorization server. */
export interface AgentRegistration {
  clientId: string;
  /** The agent's public identity keys (private_key_jwt). */
  jwks: PublicJwks;
  /** Scopes it may request, e.g. `['accounts:read', 'payouts:write']`. */
  scopes: string[];
  /**
   * Approver id of the person who owns (runs) this agent, e.g. `alice`. Known owners may not approve
   * their own agent's actions, and requests addressed to them are refused.
   */
  owner?: string | undefined;
}

/**
 * An agent whose credential is a workload-identity JWT (RFC 7523 §2.1 JWT bearer grant) instead of
 * a key: it names itself with `clientId` and presents JWTs whose `sub` is `subject`, signed by the
 * stack's workload issuer (`stack.workloadIssuer`).
 */
export interface WorkloadAgentRegistration {
  clientId: string;
  /** `sub` of its workload JWTs, e.g. `system:serviceaccount:payments:payout-agent`. */
  subject: string;
  /** Scopes it may request. */
  scopes: string[];
  /** Approver id of the person who owns this agent (see {@link AgentRegistration.owner}). */
  owner?: string | undefined;
}

/** Options of {@link startDevStack}. */
export interface DevStackOptions {
  /** Port of the authorization server (and its approval inbox) on 127.0.0.1; 0 picks a free one. Default 4000. */
  port?: number;
  /** Port of the demo tool API on 127.0.0.1; 0 picks a free one. Default 4001. */
  toolApiPort?: number;
  /** Lifetime of routine access tokens in seconds (default 300, at most 300). */
  accessTokenTtl?: number;
  /** Lifetime of approved action tokens in seconds (default 120, at most 120). */
  actionTokenTtl?: number;
  /** Lifetime of a CIBA request in seconds (default 300). */
  approvalTtl?: number;
  /** Payouts above this amount need two approvers (default 1000). */
  dualControlThreshold?: number;
  /** CIBA poll interval the server enforces, seconds (default 1 in the devkit, so demos are quick). */
  pollInterval?: number;
  /** Agents to register at start. */
  agents?: AgentRegistration[];
  /**
   * Further APIs the authorization server issues tokens for, besides the demo treasury: your own API
   * protected with `@countersign/server` (its resource identifier, e.g. `http://127.0.0.1:5000`, and
   * the scopes it serves). Agents may then be registered with those scopes.
   */
  resources?: Array<{ url: string; scopes: readonly string[] }>;
}

/** A running dev stack. */
export interface DevStack {
  /** Issuer identifier, e.g. `http://127.0.0.1:4000`. */
  issuer: string;
  /** Base URL of the demo treasury API, e.g. `http://127.0.0.1:4001`; also its resource indicator. */
  toolApiUrl: string;
  /** The approval inbox page. */
  inboxUrl: string;
  /** Registers (or updates the JWKS and scopes of) an agent. */
  registerAgent(registration: AgentRegistration): void;
  /**
   * Registers (or updates) an agent that gets its tokens with workload-identity JWTs from
   * {@link DevStack.workloadIssuer} (RFC 7523 §2.1 JWT bearer grant, no client key). The kill
   * switch ({@link DevStack.disableAgent}) works on it as on any agent.
   */
  registerWorkloadAgent(registration: WorkloadAgentRegistration): void;
  /** The stack's stand-in for a workload-identity platform (Kubernetes, SPIFFE): mints the JWTs its authorization server trusts. */
  workloadIssuer: DevWorkloadIssuer;
  /**
   * Disables an agent (its kill switch): its client authentication fails with `invalid_client` from
   * now on, its outstanding approvals are denied, its CIBA requests deleted and its access and action
   * tokens revoked, for good: registering the same client_id again (same key or a new one) brings
   * none of them back.
   */
  disableAgent(clientId: string): void;
  /** The human side of CIBA. */
  approvals: DevApprovals;
  /** Stops every server. */
  close(): Promise<void>;
}
