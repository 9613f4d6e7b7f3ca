/**
 * @countersign/core — an AI agent authenticates as itself (private_key_jwt), holds only DPoP-bound
 * tokens, and cannot run a risky tool call until a human countersigns that exact call.
 *
 * @packageDocumentation
 */

// The agent
export { createAgent } from './agent.js';
export type { Agent, AgentOptions, AgentFetchInit, AccessToken, AuthorizationDetail, TokenRequestOptions } from './types.js';

// Keys
export type { Signer, PublicJwk, SigningAlgorithm } from './keys/signer.js';
export { generateKey } from './keys/generate-key.js';
export type { GenerateKeyOptions } from './keys/generate-key.js';
export { createNodeSigner } from './keys/node-signer.js';
export { createNobleSigner } from './keys/noble-signer.js';
export { jwkThumbprint } from './keys/thumbprint.js';
export { isKeyStore, exportPublicJwk, publicJwks } from './keys/key-store.js';
export type { KeyStore, RotatingKeyStore, PublicJwks, JwksOptions, RotateOptions } from './keys/key-store.js';
export { memoryKeyStore } from './keys/memory-key-store.js';
export type { MemoryKeyStoreOptions } from './keys/memory-key-store.js';
export { fileKeyStore } from './keys/file-key-store.js';
export type { FileKeyStoreOptions } from './keys/file-key-store.js';
export { createCurrentKey } from './keys/current-key.js';
export type { CurrentKey, CurrentKeyOptions } from './keys/current-key.js';

// Client assertions and DPoP
export { createClientAssertionSigner, clientAssertionType } from './oauth/assertion.js';
export type { ClientAssertionSigner, ClientAssertionOptions, ClientAssertionInput } from './oauth/assertion.js';
export { createDpopProver, targetUri, accessTokenHash } from './dpop/proof.js';
export type { DpopProver, DpopProofInput, DpopProverOptions } from './dpop/proof.js';
export { DpopNonceCache } from './dpop/nonce-cache.js';
export { DpopProofError } from './dpop/dpop-proof-error.js';

// Authorization server
export { discover, discoveryUrls, assertIssuer, processMetadataResponse } from './oauth/discovery.js';
export type { DiscoveryOptions } from './oauth/discovery.js';
export { createAuthorizationServerClient } from './oauth/authorization-server-client.js';
export type { AuthorizationServerClientOptions, AgentAuthorizationServerClient } from './oauth/authorization-server-client.js';
export {
  processTokenResponse,
  processBackchannelAuthenticationResponse,
  processRevocationResponse,
  processErrorResponse,
} from './oauth/process-responses.js';
export type { SentSecrets } from './oauth/process-responses.js';
export type { ExchangeResponse } from './lib/http-exchange.js';
export type { BackoffOptions } from './lib/backoff.js';
export type { SkewClock } from './lib/clock-skew.js';
export type {
  AuthorizationServerClient,
  AuthorizationServerMetadata,
  TokenResponse,
  BackchannelAuthenticationResponse,
  RequestOptions,
} from './oauth/types.js';
export {
  JWT_BEARER_GRANT_TYPE,
  workloadTokenReader,
  jwtBearerParameters,
  terminalJwtBearerErrors,
  WorkloadTokenError,
  JwtBearerGrantError,
} from './oauth/jwt-bearer-grant.js';
export type { WorkloadTokenSource, WorkloadTokenReader } from './oauth/jwt-bearer-grant.js';
export { parseWwwAuthenticate } from './lib/www-authenticate.js';
export type { AuthenticationChallenge } from './lib/www-authenticate.js';

// Approvals
export { memoryApprovalStore } from './tools/memory-approval-store.js';
export type { MemoryApprovalStoreOptions } from './tools/memory-approval-store.js';
export { fileApprovalStore } from './tools/file-approval-store.js';
export { MalformedApprovalError, ApprovalTokenUnavailableError, ApprovalGrantRefusedError } from './approvals/errors.js';
export { describeApprovalProgress } from './approvals/approval-progress.js';
export { validateBindingMessage, validateDisplayedText, MAX_BINDING_MESSAGE_LENGTH } from './approvals/binding-message.js';
export { findInvisibleCharacter, codePointLabel, INVISIBLE_CHARACTER } from './lib/invisible-characters.js';
export type { InvisibleCharacter } from './lib/invisible-characters.js';
export type {
  ApprovalRequest,
  ApprovalStatus,
  ApprovalProgress,
  ApproverRecord,
  PendingApproval,
  SerializedApproval,
} from './approvals/types.js';
export type { ApprovalStore, StoredToolCall } from './tools/tool-call-ledger.js';

// Tool guard
export { guardTool } from './tools/guard-tool.js';
export { ToolExecutionError, ToolCallInProgressError, ToolOutcomeUnknownError, StoredToolError } from './tools/errors.js';
export { AGENT_ACTION_TYPE, MAX_ACTION_ARGUMENTS_BYTES, argumentsSha256, actionAuthorizationDetails } from './tools/action-binding.js';
export type {
  RiskTier,
  ApprovalPolicy,
  BoundFetch,
  ToolContext,
  ToolDefinition,
  ToolOutcome,
  ToolDone,
  ToolApprovalPending,
  ToolDenied,
  ToolExpired,
  ToolFailed,
  InvokeOptions,
  GuardedTool,
} from './tools/types.js';
export { canonicalJson, canonicalSha256 } from './lib/canonical-json.js';

// Audit
export { jsonlAuditSink } from './audit/jsonl-audit-sink.js';
export type { JsonlAuditSink, JsonlAuditSinkOptions } from './audit/jsonl-audit-sink.js';
export { fileCheckpointPublisher, readPublishedCheckpoints } from './audit/checkpoint-publishers.js';
export type { AuditCheckpointPublisher } from './audit/checkpoint-publishers.js';
export { otelAuditSink } from './audit/otel-audit-sink.js';
export type { OtelAuditSink, OtelAuditSinkOptions } from './audit/otel-audit-sink.js';
export { callbackAuditSink } from './audit/callback-audit-sink.js';
export type { CallbackAuditSinkOptions } from './audit/callback-audit-sink.js';
export { verifyAuditTrail } from './audit/verify-audit-trail.js';
export type {
  AuditTrailVerification,
  AuditTrailVerified,
  AuditTrailBroken,
  AuditTrailSummary,
  AuditBreakReason,
  AuditWarning,
  VerifyAuditTrailOptions,
} from './audit/verify-audit-trail.js';
export type { AuditJwks } from './audit/checkpoint-verifier.js';
export { createAuditor } from './audit/auditor.js';
export type { AuditIdentity, AuditorOptions } from './audit/auditor.js';
export { summarizeArguments } from './audit/summarize-arguments.js';
export { scrubSecrets } from './audit/scrub-secrets.js';
export type { ScrubResult } from './audit/scrub-secrets.js';
export { AuditSinkError } from './audit/audit-sink-error.js';
export type {
  TrailRecord,
  TrailEventRecord,
  TrailCheckpointRecord,
  TrailRecordBase,
  AuditCheckpoint,
  AuditCheckpointPayload,
} from './audit/trail-record.js';
export type {
  AuditEvent,
  AuditEventInput,
  AuditEventType,
  AuditSink,
  Auditor,
  AuditCapture,
  AuditSinkBinding,
} from './audit/types.js';

// Errors
export {
  CountersignError,
  InsecureEndpointError,
  DiscoveryError,
  OAuthError,
  ResponseError,
  TokenTypeDowngradeError,
  NetworkError,
  TimeoutError,
  ResourceChallengeError,
  InsufficientScopeError,
  InsufficientUserAuthenticationError,
  AgentRevokedError,
  KeyError,
  KeyPermissionError,
  ApprovalDeniedError,
  ApprovalExpiredError,
  ApprovalMismatchError,
  ArgumentsChangedError,
  InvalidArgumentsError,
  ApprovalStoreError,
  AgentClosedError,
  ConfigurationError,
} from './errors.js';
export type { CountersignErrorOptions } from './errors.js';
export { TokenAudienceError } from './fetch/token-audience-error.js';
