// The dev stack
export { startDevStack, TREASURY_SCOPES } from './stack.js';
export type { AgentRegistration, DevStack, DevStackOptions, PublicJwks, WorkloadAgentRegistration } from './types.js';
export type { DevWorkloadIssuer, WorkloadTokenOptions } from './authorization-server/workload-issuer.js';
export { DevkitError } from './errors.js';
export type { DevkitErrorCode } from './errors.js';

// Approvals: the human side of CIBA, and the server's dual-control policy
export type { ApprovalView, DevApprovals, DevApprover, DevDecision } from './approvals/types.js';
export { DEV_APPROVERS } from './approvals/approver-directory.js';
export { actionPolicy } from './approvals/dual-control-policy.js';
export type { ActionPolicy, ActionPolicyOptions } from './approvals/dual-control-policy.js';

// RFC 9396 `agent_action` authorization details, as the authorization server validates them
export { AGENT_ACTION_TYPE, agentActionDetailSchema, parseAgentActionDetail, AgentActionDetailError } from './authorization-server/agent-action-details.js';
export type { AgentActionDetail } from './authorization-server/agent-action-details.js';

// The parts, for those who assemble their own stack
export { startToolApi, ToolApiError, argumentsHash, defaultTreasuryAccounts } from './tool-api/index.js';
export type {
  ToolApi,
  ToolApiOptions,
  ToolApiErrorCode,
  KeyRotationRecord,
  PayoutRecord,
  TreasuryAccount,
  TreasuryLedgerView,
  TokenApprover,
  DpopAlgorithm,
} from './tool-api/index.js';
export { createInboxHandler } from './inbox/index.js';
export type { InboxHandler, InboxHandlerOptions } from './inbox/index.js';
