/**
 * @countersign/server — the enforcement point for any tool API: DPoP proofs (RFC 9449), bound
 * access tokens (RFC 9068 or RFC 7662), scope, and approvals bound to one exact tool call
 * (RFC 9396 `agent_action`), spent once. Framework-neutral core, thin adapters.
 *
 * @packageDocumentation
 */

// The resource server
export { createResourceServer } from './resource-server.js';
export type {
  ResourceServer,
  ResourceServerOptions,
  TokenValidation,
  VerifyOptions,
  Requirement,
  ActionRequirement,
  Verdict,
  Accepted,
  Refused,
  RefusalError,
  RefusalReason,
  VerifiedAgent,
  TokenClaims,
  Approver,
} from './types.js';
export { ResourceServerConfigurationError, ReplayStoreError } from './errors.js';

// Shared state
export { memoryReplayStore } from './replay-store.js';
export type { ReplayStore, MemoryReplayStoreOptions } from './replay-store.js';

// Pieces for those who assemble their own
export { dpopChallenge } from './refusal.js';
export type { DpopChallengeParameters } from './refusal.js';
export { protectedResourceMetadata, resourceMetadataUrl } from './metadata.js';
export { createStatelessNonces } from './dpop/stateless-nonces.js';
export type { DpopNonces, StatelessNonceOptions } from './dpop/stateless-nonces.js';
export { AGENT_ACTION_TYPE } from './action-binding.js';

// Adapters
export { nodeMiddleware, protectNode, verifyNodeRequest, sendRefusal, readJsonBody, toWebRequest } from './adapters/node.js';
export type { NodeRequirement, VerifiedIncomingMessage } from './adapters/node.js';
export { protectFetch } from './adapters/fetch.js';
export type { FetchRequirement } from './adapters/fetch.js';
export { readJsonRequest, RequestBodyError, DEFAULT_BODY_LIMIT } from './adapters/request-body.js';
export type { RequestBodyProblem } from './adapters/request-body.js';
