/**
 * An in-memory {@link DevApprovals} for the inbox tests: the same contract as the dev stack's
 * registry (distinct approvers counted against a required number, refusals as DevkitError that
 * change nothing, expiry, change notifications), without an authorization server behind it.
 * Test-only.
 */
import { randomBytes } from 'node:crypto';
import type { ApprovalView, DevApprovals, DevApprover } from '../../approvals/types.js';
import { DevkitError } from '../../errors.js';

/** A request as a test creates it. */
export interface TestApprovalRequest {
  bindingMessage: string;
  clientId?: string;
  loginHint?: string;
  scope?: string;
  authorizationDetails?: Array<{ type: string; [member: string]: unknown }>;
  requiredApprovals?: number;
  /** Seconds until it expires (default 300). */
  ttl?: number;
}

/** The test double, with the two things a test needs beyond {@link DevApprovals}. */
export interface MemoryDevApprovals extends DevApprovals {
  /** Adds a pending request, as a CIBA backchannel request would. */
  add(request: TestApprovalRequest): ApprovalView;
  /** Stops expiry timers. */
  close(): void;
}

/** The same directory as the dev stack: alice and bob (treasury), carol (security). */
export const testApprovers: readonly DevApprover[] = [
  { id: 'alice', name: 'Alice Martin', roles: ['treasury'] },
  { id: 'bob', name: 'Bob Okafor', roles: ['treasury'] },
  { id: 'carol', name: 'Carol Nguyen', roles: ['security'] },
];

/** Creates an empty in-memory registry. */
export function createMemoryDevApprovals(): MemoryDevApprovals {
  const records = new Map<string, ApprovalView>();
  const listeners = new Set<(view: ApprovalView) => void>();
  const timers = new Set<NodeJS.Timeout>();

  const notify = (view: ApprovalView) => {
    for (const listener of [...listeners]) listener(structuredClone(view));
  };

  function expireIfDue(view: ApprovalView): void {
    if (view.status === 'pending' && Date.parse(view.expiresAt) <= Date.now()) {
      view.status = 'expired';
      notify(view);
    }
  }

  function decidable(id: string, approver: string): ApprovalView {
    if (!testApprovers.some((known) => known.id === approver)) throw new DevkitError('unknown_approver', `no approver named ${approver}`);
    const view = records.get(id);
    if (view === undefined) throw new DevkitError('not_found', 'no approval request with this id');
    expireIfDue(view);
    if (view.status === 'expired') throw new DevkitError('expired', 'the approval request has expired');
    if (view.status !== 'pending') throw new DevkitError('already_decided', `the approval request was already ${view.status}`);
    return view;
  }

  return {
    add(request) {
      const details = request.authorizationDetails ?? [];
      const action = details.find((detail) => detail.type === 'agent_action');
      const summary = Object.fromEntries(Object.entries(action ?? {}).filter(([name]) => !['type', 'tool', 'args', 'args_sha256'].includes(name)));
      const now = Date.now();
      const view: ApprovalView = {
        id: randomBytes(12).toString('base64url'),
        status: 'pending',
        clientId: request.clientId ?? 'payout-agent',
        loginHint: request.loginHint ?? 'alice',
        bindingMessage: request.bindingMessage,
        scope: request.scope ?? 'openid payouts:write',
        authorizationDetails: structuredClone(details),
        tool: action?.tool as string | undefined,
        args: structuredClone(action?.args),
        argsSha256: action?.args_sha256 as string | undefined,
        summary,
        requiredApprovals: request.requiredApprovals ?? 1,
        // The double counts distinct approvers only; addressee and owner rules live in the real registry.
        decisionRule: 'Test double: anyone in the directory may decide.',
        mayApprove: testApprovers.map((approver) => approver.id),
        mayDeny: testApprovers.map((approver) => approver.id),
        approvals: [],
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + (request.ttl ?? 300) * 1000).toISOString(),
      };
      records.set(view.id, view);
      const timer = setTimeout(() => {
        timers.delete(timer);
        expireIfDue(view);
      }, (request.ttl ?? 300) * 1000 + 5);
      timer.unref();
      timers.add(timer);
      notify(view);
      return structuredClone(view);
    },
    list() {
      const all = [...records.values()];
      all.forEach(expireIfDue);
      return all.reverse().map((view) => structuredClone(view));
    },
    get(id) {
      const view = records.get(id);
      if (view === undefined) throw new DevkitError('not_found', 'no approval request with this id');
      return structuredClone(view);
    },
    approvers: () => structuredClone([...testApprovers]),
    async approve(id, approver) {
      const view = decidable(id, approver);
      if (view.approvals.some((decision) => decision.approver === approver)) {
        throw new DevkitError('already_approved', `${approver} already approved this request; a second approval must come from someone else`);
      }
      view.approvals.push({ approver, at: new Date().toISOString() });
      view.mayApprove = view.mayApprove.filter((candidate) => candidate !== approver);
      if (view.approvals.length >= view.requiredApprovals) view.status = 'approved';
      notify(view);
      return structuredClone(view);
    },
    async deny(id, approver, reason) {
      const view = decidable(id, approver);
      view.status = 'denied';
      view.denial = { approver, at: new Date().toISOString(), reason };
      notify(view);
      return structuredClone(view);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
