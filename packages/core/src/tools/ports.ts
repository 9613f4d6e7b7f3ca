import type { ApprovalRequest, PendingApproval, SerializedApproval } from '../approvals/types.js';
import type { AuditEventInput } from '../audit/types.js';
import type { AccessToken, TokenRequestOptions } from '../tokens/types.js';
import type { Agent, AgentFetchInit } from '../types.js';
import type { ApprovalStore } from './tool-call-ledger.js';

/**
 * What the guard needs from the agent that owns it, and nothing more: the tool-call ledger, the
 * audit trail, routine tokens, DPoP fetch and CIBA approvals. The guard is written against these
 * ports, not against the public {@link Agent}, so the agent's surface can grow without the guard
 * seeing it, and a test can hand the guard exactly these parts.
 */
export interface ToolCallPorts {
  /** The tool-call ledger: where calls waiting for approval and their outcomes live. */
  readonly ledger: ApprovalStore;
  /** Records one audit event with the owning agent's identity filled in. */
  record(input: AuditEventInput): void;
  /** A routine token (RFC 8707 `resource`, `scope`). */
  getToken(options: TokenRequestOptions): Promise<AccessToken>;
  /** A DPoP-bound request (RFC 9449 §7). */
  fetch(url: string | URL, init: AgentFetchInit): Promise<Response>;
  /** Asks a human (OpenID CIBA, poll mode). */
  requestApproval(request: ApprovalRequest): Promise<PendingApproval>;
  /** Restores an approval from its stored form. */
  resumeApproval(saved: SerializedApproval): PendingApproval;
}

const registered = new WeakMap<Agent, ToolCallPorts>();

/** Registers the ports `createAgent` built for `agent`, so guards of that agent use them. */
export function registerToolCallPorts(agent: Agent, ports: ToolCallPorts): void {
  registered.set(agent, ports);
}

/**
 * The ports of `agent`: those its `createAgent` registered, or, for any other object implementing
 * {@link Agent} (a test double, a wrapper), ports read from its public members.
 */
export function toolCallPorts(agent: Agent): ToolCallPorts {
  const known = registered.get(agent);
  if (known !== undefined) return known;
  return {
    ledger: agent.approvalStore,
    record: (input) => agent.audit.record(input),
    getToken: (options) => agent.getToken(options),
    fetch: (url, init) => agent.fetch(url, init),
    requestApproval: (request) => agent.requestApproval(request),
    resumeApproval: (saved) => agent.resumeApproval(saved),
  };
}
