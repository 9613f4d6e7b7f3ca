import { randomBytes } from 'node:crypto';
import { DevkitError } from '../errors.js';
import type { AgentActionDetail } from '../authorization-server/agent-action-details.js';
import { findApprover, listApprovers, DEV_APPROVERS } from './approver-directory.js';
import { hiddenCharacterIn } from './displayed-text.js';
import type { ActionPolicy } from './dual-control-policy.js';
import { decisionRule, nextApprovers, possibleDeniers, refusalToApproveRequest, refusalToDenyRequest, type DecisionContext } from './decision-rights.js';
import type { ApprovalView, DevApprovals, DevApprover } from './types.js';

/** One RFC 9396 authorization details object, as the agent sent it. */
export type RequestedDetail = { type: string; [member: string]: unknown };

/** A CIBA request entering the registry. */
export interface NewApproval {
  /** The CIBA `auth_req_id`; stays inside the devkit (never shown in views). */
  authReqId: string;
  clientId: string;
  loginHint: string;
  bindingMessage: string;
  scope: string;
  resource?: string | undefined;
  /** Exactly as requested. */
  authorizationDetails: RequestedDetail[];
  /** The validated `agent_action`, if any. */
  action?: AgentActionDetail | undefined;
  policy: ActionPolicy;
  /** Approver id of the person who owns the asking agent, when known: they may not approve its actions. */
  agentOwner?: string | undefined;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** One approval as the token endpoint reports it (`approved_at` in seconds). */
export interface ApproverClaim {
  sub: string;
  approved_at: number;
}

/** What the registry knows of a request, for the token endpoint. */
export interface ApprovalProgressState {
  id: string;
  status: ApprovalView['status'];
  requiredApprovals: number;
  approvers: ApproverClaim[];
  /** Who could give the next approval (approver ids). */
  waitingFor: string[];
  denialReason?: string | undefined;
}

/** A request held by the registry. */
export interface ApprovalRecord extends NewApproval {
  id: string;
  createdAt: number;
  status: ApprovalView['status'];
  approvals: Array<{ approver: string; at: number }>;
  denial?: { approver: string; at: number; reason?: string | undefined } | undefined;
}

/** How a decision reaches the authorization server. Throwing rolls the decision back. */
export interface ApprovalOutcomes {
  approved(record: Readonly<ApprovalRecord>): Promise<void>;
  denied(record: Readonly<ApprovalRecord>): Promise<void>;
}

/** Options of {@link createApprovalRegistry}. */
export interface ApprovalRegistryOptions {
  outcomes: ApprovalOutcomes;
  /** Milliseconds since the epoch (default `Date.now`). */
  clock?: () => number;
  directory?: readonly DevApprover[];
  /**
   * Decided and expired requests beyond this many are forgotten, oldest first, once their CIBA
   * request has expired (default 1000).
   */
  maxRecords?: number;
}

/** The devkit's approval registry, plus what the authorization server needs of it. */
export interface ApprovalRegistry extends DevApprovals {
  /** Records a new CIBA request; returns its view. */
  add(request: NewApproval): ApprovalView;
  /** Progress of the request with this `auth_req_id`. */
  progressByAuthReqId(authReqId: string): ApprovalProgressState | undefined;
  /** How many requests are pending (not decided, not expired) from this agent, or addressed to this approver. */
  openRequests(filter: { clientId?: string; loginHint?: string }): number;
  /**
   * The agent was disabled: every request of `clientId` still pending or approved becomes denied
   * (`reason`), for good. Returns the `auth_req_id`s it held, so their CIBA requests can be dropped.
   */
  revokeClient(clientId: string, reason: string): string[];
  /** Stops expiry timers and forgets listeners. */
  close(): void;
}

const MAX_REASON_LENGTH = 200;

/**
 * Creates the registry behind the approval inbox: every CIBA request becomes an
 * {@link ApprovalView}; approvals are counted per distinct approver against the server's
 * {@link ActionPolicy}; a refused operation throws {@link DevkitError} and changes nothing.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.8
 */
export function createApprovalRegistry(options: ApprovalRegistryOptions): ApprovalRegistry {
  const clock = options.clock ?? Date.now;
  const directory = options.directory ?? DEV_APPROVERS;
  const maxRecords = options.maxRecords ?? 1000;
  const records = new Map<string, ApprovalRecord>();
  const byAuthReqId = new Map<string, ApprovalRecord>();
  const timers = new Map<string, NodeJS.Timeout>();
  const listeners = new Set<(view: ApprovalView) => void>();

  function notify(record: ApprovalRecord): void {
    const snapshot = view(record, directory);
    for (const listener of [...listeners]) {
      try {
        listener(snapshot);
      } catch {
        // A failing listener (say, a closed inbox stream) must not undo or block a decision.
      }
    }
  }

  function refreshExpiry(record: ApprovalRecord): void {
    if (record.status === 'pending' && clock() >= record.expiresAt) {
      record.status = 'expired';
      clearTimeout(timers.get(record.id));
      timers.delete(record.id);
      notify(record);
    }
  }

  function scheduleExpiry(record: ApprovalRecord): void {
    const timer = setTimeout(() => {
      timers.delete(record.id);
      refreshExpiry(record);
    }, Math.max(0, record.expiresAt - clock()) + 5);
    timer.unref();
    timers.set(record.id, timer);
  }

  function settle(record: ApprovalRecord): void {
    clearTimeout(timers.get(record.id));
    timers.delete(record.id);
  }

  /**
   * Forgets the oldest decided requests beyond `maxRecords`, but only those whose CIBA request has
   * expired: until then the kill switch must still find an approved one (to delete its grant, so a
   * disabled agent registered again cannot redeem it), and the token endpoint reports its
   * progress. A forgotten request cannot be decided again (`not_found`).
   */
  function forgetOldest(): void {
    if (records.size <= maxRecords) return;
    for (const record of records.values()) {
      if (records.size <= maxRecords) break;
      refreshExpiry(record);
      if (record.status === 'pending' || clock() < record.expiresAt) continue;
      records.delete(record.id);
      byAuthReqId.delete(record.authReqId);
    }
  }

  /** Looks the request up and checks it can still be decided, in the order the caller hears about it. */
  function decidable(id: string, approverId: string): { record: ApprovalRecord; approver: DevApprover } {
    const approver = findApprover(approverId, directory);
    if (approver === undefined) throw new DevkitError('unknown_approver', 'no approver with this id in the directory');
    const record = typeof id === 'string' ? records.get(id) : undefined;
    if (record === undefined) throw new DevkitError('not_found', 'no approval request with this id');
    refreshExpiry(record);
    if (record.status === 'expired') throw new DevkitError('expired', 'the approval request has expired');
    if (record.status !== 'pending') throw new DevkitError('already_decided', `the approval request was already ${record.status}`);
    return { record, approver };
  }

  const registry: ApprovalRegistry = {
    add(request) {
      const record: ApprovalRecord = {
        ...request,
        authorizationDetails: structuredClone(request.authorizationDetails),
        id: randomBytes(16).toString('base64url'),
        createdAt: clock(),
        status: 'pending',
        approvals: [],
      };
      records.set(record.id, record);
      byAuthReqId.set(record.authReqId, record);
      scheduleExpiry(record);
      forgetOldest();
      notify(record);
      return view(record, directory);
    },

    list() {
      const all = [...records.values()];
      all.forEach(refreshExpiry);
      return all.reverse().map((record) => view(record, directory));
    },

    get(id) {
      const record = typeof id === 'string' ? records.get(id) : undefined;
      if (record === undefined) throw new DevkitError('not_found', 'no approval request with this id');
      refreshExpiry(record);
      return view(record, directory);
    },

    approvers() {
      return listApprovers(directory);
    },

    async approve(id, approverId) {
      const { record, approver } = decidable(id, approverId);
      if (record.approvals.some((decision) => decision.approver === approver.id)) {
        throw new DevkitError('already_approved', `${approver.id} already approved this request; a second approval must come from someone else`);
      }
      const refusal = refusalToApproveRequest(decisionContext(record, directory), approver);
      if (refusal !== undefined) throw new DevkitError('not_allowed', refusal);

      record.approvals.push({ approver: approver.id, at: clock() });
      if (record.approvals.length >= record.policy.requiredApprovals) {
        // Decided synchronously, so a concurrent approval or denial sees `already_decided`.
        record.status = 'approved';
        try {
          await options.outcomes.approved(record);
        } catch (error) {
          record.approvals.pop();
          record.status = 'pending';
          throw error;
        }
        settle(record);
      }
      notify(record);
      return view(record, directory);
    },

    async deny(id, approverId, reason) {
      if (reason !== undefined && !isPlainReason(reason)) {
        throw new DevkitError('invalid_request', `a denial reason is one line of at most ${MAX_REASON_LENGTH} characters`);
      }
      const { record, approver } = decidable(id, approverId);
      const refusal = refusalToDenyRequest(decisionContext(record, directory), approver);
      if (refusal !== undefined) throw new DevkitError('not_allowed', refusal);

      record.status = 'denied';
      record.denial = { approver: approver.id, at: clock(), reason: reason === undefined || reason.trim() === '' ? undefined : reason.trim() };
      try {
        await options.outcomes.denied(record);
      } catch (error) {
        record.status = 'pending';
        record.denial = undefined;
        throw error;
      }
      settle(record);
      notify(record);
      return view(record, directory);
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    revokeClient(clientId, reason) {
      const revoked: string[] = [];
      for (const record of records.values()) {
        if (record.clientId !== clientId) continue;
        revoked.push(record.authReqId);
        refreshExpiry(record);
        if (record.status !== 'pending' && record.status !== 'approved') continue;
        record.status = 'denied';
        record.denial = { approver: 'countersign-dev', at: clock(), reason };
        settle(record);
        notify(record);
      }
      return revoked;
    },

    progressByAuthReqId(authReqId) {
      const record = byAuthReqId.get(authReqId);
      if (record === undefined) return undefined;
      refreshExpiry(record);
      return {
        id: record.id,
        status: record.status,
        requiredApprovals: record.policy.requiredApprovals,
        approvers: record.approvals.map((decision) => ({ sub: decision.approver, approved_at: Math.floor(decision.at / 1000) })),
        waitingFor: record.status === 'pending' ? nextApprovers(decisionContext(record, directory), directory) : [],
        denialReason: record.denial?.reason,
      };
    },

    openRequests(filter) {
      let count = 0;
      for (const record of records.values()) {
        refreshExpiry(record);
        if (record.status !== 'pending') continue;
        if (filter.clientId !== undefined && record.clientId !== filter.clientId) continue;
        if (filter.loginHint !== undefined && record.loginHint !== filter.loginHint) continue;
        count += 1;
      }
      return count;
    },

    close() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      listeners.clear();
    },
  };
  return registry;
}

function isPlainReason(reason: unknown): reason is string {
  return typeof reason === 'string' && [...reason].length <= MAX_REASON_LENGTH && hiddenCharacterIn(reason) === undefined;
}

/** The facts that decide who may approve or deny `record`. */
function decisionContext(record: ApprovalRecord, directory: readonly DevApprover[]): DecisionContext {
  return {
    policy: record.policy,
    addressedTo: record.loginHint,
    agentOwner: record.agentOwner,
    approvedSoFar: record.approvals.map((decision) => findApprover(decision.approver, directory)).filter((approver) => approver !== undefined),
  };
}

/** What the inbox and the JSON API show of a record: no `auth_req_id`, no token. */
function view(record: ApprovalRecord, directory: readonly DevApprover[]): ApprovalView {
  const context = decisionContext(record, directory);
  const pending = record.status === 'pending';
  const summary: Record<string, unknown> = {};
  if (record.action !== undefined) {
    for (const [member, value] of Object.entries(record.action)) {
      if (member !== 'type' && member !== 'tool' && member !== 'args' && member !== 'args_sha256') summary[member] = value;
    }
  }
  return {
    id: record.id,
    status: record.status,
    clientId: record.clientId,
    loginHint: record.loginHint,
    bindingMessage: record.bindingMessage,
    scope: record.scope,
    authorizationDetails: structuredClone(record.authorizationDetails),
    tool: record.action?.tool,
    args: structuredClone(record.action?.args),
    argsSha256: record.action?.args_sha256,
    summary: structuredClone(summary),
    requiredApprovals: record.policy.requiredApprovals,
    decisionRule: decisionRule(context, directory),
    mayApprove: pending ? nextApprovers(context, directory) : [],
    mayDeny: pending ? possibleDeniers(context, directory) : [],
    agentOwner: record.agentOwner,
    approvals: record.approvals.map((decision) => ({ approver: decision.approver, at: new Date(decision.at).toISOString() })),
    denial:
      record.denial === undefined
        ? undefined
        : { approver: record.denial.approver, at: new Date(record.denial.at).toISOString(), reason: record.denial.reason },
    createdAt: new Date(record.createdAt).toISOString(),
    expiresAt: new Date(record.expiresAt).toISOString(),
  };
}
