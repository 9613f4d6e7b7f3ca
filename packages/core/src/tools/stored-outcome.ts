import { ApprovalStoreError, CountersignError } from '../errors.js';
import type { ApproverRecord } from '../approvals/types.js';
import type { StoredToolCall } from './tool-call-ledger.js';
import { StoredToolError, ToolOutcomeUnknownError } from './errors.js';
import type { ToolOutcome } from './types.js';

/** The final outcomes a tool call can be stored with. */
export type FinalOutcome<Result> = Exclude<ToolOutcome<Result>, { status: 'approval_pending' }>;

/**
 * The JSON form of a final outcome, as kept in the approval store: results as JSON, errors as
 * `{ name, code, message }` (messages never hold secrets).
 */
export function encodeOutcome(outcome: FinalOutcome<unknown>): Record<string, unknown> {
  if (outcome.status === 'failed') {
    const { error } = outcome;
    return {
      status: 'failed',
      tool: outcome.tool,
      approvalId: outcome.approvalId,
      error: { name: error.name, code: CountersignError.isInstance(error) ? error.code : error.name, message: error.message },
    };
  }
  if (outcome.status === 'done') {
    const result = outcome.result === undefined ? undefined : (JSON.parse(JSON.stringify(outcome.result)) as unknown);
    return { ...outcome, result };
  }
  return { ...outcome };
}

/**
 * Reads a stored final outcome back.
 *
 * @throws {ApprovalStoreError} when the stored value is not an outcome.
 */
export function decodeOutcome<Result>(record: StoredToolCall): FinalOutcome<Result> {
  const stored = record.outcome as Record<string, unknown> | undefined;
  if (typeof stored !== 'object' || stored === null || stored.status !== record.state) {
    throw new ApprovalStoreError(`stored outcome of approval ${record.id} is missing or does not match its state`);
  }
  const base = { tool: record.tool, approvalId: record.id };
  switch (stored.status) {
    case 'done':
      return {
        status: 'done',
        ...base,
        result: stored.result as Result,
        argsSha256: record.argsSha256,
        approvers: Array.isArray(stored.approvers) ? (stored.approvers as ApproverRecord[]) : undefined,
      };
    case 'denied':
      return { status: 'denied', ...base, reason: typeof stored.reason === 'string' ? stored.reason : undefined };
    case 'expired':
      return { status: 'expired', ...base };
    case 'unknown':
      return { status: 'failed', ...base, error: new ToolOutcomeUnknownError(record.id), retryable: false };
    default: {
      const error = (stored.error ?? {}) as Record<string, unknown>;
      const text = (value: unknown, fallback: string) => (typeof value === 'string' && value !== '' ? value : fallback);
      return {
        status: 'failed',
        ...base,
        error: new StoredToolError(text(error.code, 'ERR_COUNTERSIGN'), text(error.message, 'tool call failed'), text(error.name, 'Error')),
      };
    }
  }
}
