/**
 * @countersign/core — an AI agent authenticates as itself (private_key_jwt), holds only DPoP-bound
 * tokens, and cannot run a risky tool call until a human countersigns that exact call.
 *
 * This root entry holds what an agent developer uses: the agent, its keys, the tool guard, approval
 * stores, audit sinks and their verification, and the errors to catch. The building blocks they are
 * made of live in subpath entries (docs/public-api.md):
 *
 * - `@countersign/core/dpop`: DPoP proofs, pre-signed proofs, nonces, thumbprints, challenges
 * - `@countersign/core/oauth`: the authorization server client, discovery, client assertions,
 *   response processors, the jwt-bearer grant, CIBA requests
 * - `@countersign/core/keys`: signers, key rotation, public JWKs
 * - `@countersign/core/tools`: what binds an approval to one call (canonical JSON, `args_sha256`,
 *   `agent_action` details), what an approver is shown, what a store keeps
 * - `@countersign/core/audit`: the auditor, trail records, checkpoints, scrubbing
 * - `@countersign/core/errors`: every error class, including those of the building blocks
 * - `@countersign/core/adapters`: the kit framework adapters are built on
 * - `@countersign/core/testing`: adapter and approval store tests against a real authorization server
 *
 * @packageDocumentation
 */

// The agent
export { createAgent } from './agent.js';
export type { Agent, AgentOptions, WorkloadAgentOptions, AgentFetchInit, AccessToken, AuthorizationDetail, TokenRequestOptions } from './types.js';

// Keys
export type { Signer, SigningAlgorithm } from './keys/signer.js';
export type { KeyStore } from './keys/key-store.js';
export { generateKey } from './keys/generate-key.js';
export type { GenerateKeyOptions } from './keys/generate-key.js';
export { createNodeSigner } from './keys/node-signer.js';
export { memoryKeyStore } from './keys/memory-key-store.js';
export { fileKeyStore } from './keys/file-key-store.js';
export type { FileKeyStoreOptions } from './keys/file-key-store.js';

// Approvals
export { memoryApprovalStore } from './tools/memory-approval-store.js';
export { fileApprovalStore } from './tools/file-approval-store.js';
export type { ApprovalStore } from './tools/tool-call-ledger.js';
export { describeApprovalProgress } from './approvals/approval-progress.js';
export type { ApprovalRequest, ApprovalStatus, ApprovalProgress, PendingApproval, SerializedApproval } from './approvals/types.js';

// Tool guard
export { guardTool } from './tools/guard-tool.js';
export type {
  RiskTier,
  ApprovalPolicy,
  ToolContext,
  ToolDefinition,
  GuardedTool,
  InvokeOptions,
  ToolOutcome,
  ToolApprovalPending,
} from './tools/types.js';

// Audit
export { jsonlAuditSink } from './audit/jsonl-audit-sink.js';
export { otelAuditSink } from './audit/otel-audit-sink.js';
export { callbackAuditSink } from './audit/callback-audit-sink.js';
export { verifyAuditTrail } from './audit/verify-audit-trail.js';
export type { AuditTrailVerification } from './audit/verify-audit-trail.js';
export type { AuditEvent, AuditSink } from './audit/types.js';

// Errors an agent developer catches (every error class: @countersign/core/errors)
export {
  CountersignError,
  ConfigurationError,
  InsecureEndpointError,
  OAuthError,
  NetworkError,
  TimeoutError,
  ResourceChallengeError,
  AgentRevokedError,
  AgentClosedError,
  KeyError,
  ApprovalDeniedError,
  ApprovalExpiredError,
  ArgumentsChangedError,
  InvalidArgumentsError,
  ApprovalStoreError,
} from './errors.js';
export { ToolExecutionError } from './tools/errors.js';
