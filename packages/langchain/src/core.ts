// TEMPORARY seam while packages/core/src/index.ts does not export these names yet: every file of
// this package imports Countersign core through here, so switching to '@countersign/core' is one edit.
export {
  ApprovalExpiredError,
  ArgumentsChangedError,
  ConfigurationError,
  CountersignError,
  InvalidArgumentsError,
  NetworkError,
} from '../../core/src/errors.js';
export { canonicalSha256 } from '../../core/src/lib/canonical-json.js';
export type { CountersignErrorOptions } from '../../core/src/errors.js';
export type {
  GuardedTool,
  InvokeOptions,
  ToolApprovalPending,
  ToolDenied,
  ToolDone,
  ToolExpired,
  ToolFailed,
  ToolOutcome,
} from '../../core/src/tools/types.js';
export type { ApprovalProgress, ApprovalStore } from '../../core/src/approvals/types.js';
