/**
 * `@countersign/core/errors`: every error class Countersign's core throws, from every layer, in one
 * place to `switch` on or check with `isInstance`. Each class has its own static `code`;
 * `SomeError.isInstance(value)` is true for instances of that class and its subclasses only, also
 * across two installed copies of the package. The root entry re-exports the ones an agent developer
 * usually catches; the same classes are exported here (they are the same objects).
 *
 * @example
 * ```ts
 * import { DpopProofError, StoredToolError } from '@countersign/core/errors';
 *
 * if (StoredToolError.isInstance(error)) console.error(error.code, error.originalName);
 * ```
 *
 * @packageDocumentation
 */
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
export { MalformedApprovalError, ApprovalTokenUnavailableError, ApprovalGrantRefusedError } from './approvals/errors.js';
export { ToolExecutionError, ToolCallInProgressError, ToolOutcomeUnknownError, StoredToolError } from './tools/errors.js';
export { AuditSinkError } from './audit/audit-sink-error.js';
export { AuditReadError } from './audit/audit-read-error.js';
export { TokenAudienceError } from './fetch/token-audience-error.js';
export { DpopProofError } from './dpop/dpop-proof-error.js';
export { WorkloadTokenError, JwtBearerGrantError } from './oauth/jwt-bearer-grant.js';
