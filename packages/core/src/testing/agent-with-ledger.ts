import { memoryApprovalStore } from '../tools/memory-approval-store.js';
import type { ApprovalStore } from '../tools/tool-call-ledger.js';
import type { Agent } from '../types.js';

/**
 * The same agent (identity, DPoP key, tokens, authorization server) with a tool-call ledger of its
 * own, empty by default: test cases that reuse model call ids each start from a clean ledger
 * without registering another agent. Closing the view leaves `agent` open.
 */
export function agentWithLedger(agent: Agent, ledger: ApprovalStore = memoryApprovalStore()): Agent {
  return {
    clientId: agent.clientId,
    keyId: agent.keyId,
    dpopThumbprint: agent.dpopThumbprint,
    approvalStore: ledger,
    audit: agent.audit,
    publicJwks: () => agent.publicJwks(),
    getToken: (options) => agent.getToken(options),
    fetch: (url, init) => agent.fetch(url, init),
    dispatcher: (options) => agent.dispatcher(options),
    requestApproval: (request) => agent.requestApproval(request),
    resumeApproval: (saved) => agent.resumeApproval(saved),
    close: async () => undefined,
  };
}
