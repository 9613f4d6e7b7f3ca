/**
 * `@countersign/core/tools`: what binds an approval to one exact tool call, for code that checks
 * that binding on the other side (a resource server, an authorization server, an MCP server) or
 * stores tool calls itself: RFC 8785 canonical JSON, `args_sha256`, the `agent_action`
 * authorization detail, the rules for text shown to an approver, and the record an approval store
 * keeps. `guardTool` (root entry) does all of this for an agent.
 *
 * @example
 * ```ts
 * import { argumentsSha256 } from '@countersign/core/tools';
 *
 * const approved = detail.args_sha256 === argumentsSha256('create_payout', body);
 * ```
 *
 * @see https://www.rfc-editor.org/rfc/rfc8785
 * @see https://www.rfc-editor.org/rfc/rfc9396
 * @packageDocumentation
 */
export { AGENT_ACTION_TYPE, MAX_ACTION_ARGUMENTS_BYTES, argumentsSha256, actionAuthorizationDetails } from './action-binding.js';
export { canonicalJson, canonicalSha256 } from '../lib/canonical-json.js';
export { validateBindingMessage, validateDisplayedText, MAX_BINDING_MESSAGE_LENGTH } from '../approvals/binding-message.js';
export { findInvisibleCharacter, codePointLabel, INVISIBLE_CHARACTER } from '../lib/invisible-characters.js';
export type { InvisibleCharacter } from '../lib/invisible-characters.js';
export type { StoredToolCall } from './tool-call-ledger.js';
export type { MemoryApprovalStoreOptions } from './memory-approval-store.js';
export type { BoundFetch, ToolDone, ToolDenied, ToolExpired, ToolFailed } from './types.js';
export type { ApproverRecord } from '../approvals/types.js';
export { ToolCallInProgressError, ToolOutcomeUnknownError, StoredToolError } from './errors.js';
