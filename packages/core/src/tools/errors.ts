import { CountersignError } from '../errors.js';

/** A guarded tool's own function threw; the original error is the `cause`. */
export class ToolExecutionError extends CountersignError {
  static override readonly code: string = 'ERR_TOOL_EXECUTION';
  override readonly code = 'ERR_TOOL_EXECUTION';
  /** The tool's name. */
  readonly tool: string;
  constructor(tool: string, cause: unknown) {
    super(`tool ${tool} failed: ${cause instanceof Error ? cause.message : 'a non-error value was thrown'}`, { cause });
    this.tool = tool;
  }
}

/**
 * The tool call is executing elsewhere (another process on the same store), or an earlier run
 * stopped while executing: its outcome is not known yet, so the function is not run again.
 * Resume later to read the stored outcome; after a crash, check the target system before asking
 * for a new approval.
 */
export class ToolCallInProgressError extends CountersignError {
  static override readonly code: string = 'ERR_TOOL_CALL_IN_PROGRESS';
  override readonly code = 'ERR_TOOL_CALL_IN_PROGRESS';
  /** The approval's id. */
  readonly approvalId: string;
  constructor(approvalId: string) {
    super(`tool call under approval ${approvalId} is executing elsewhere or was interrupted while executing; its outcome is not known yet`);
    this.approvalId = approvalId;
  }
}

/**
 * The process that ran this call stopped renewing its lease while the function was running (it
 * crashed, was killed, or lost the approval store), so whether the function took effect is not
 * known. The call is never run again under this approval: check the target system (the approval
 * id was the call's idempotency key) before asking for a new approval.
 */
export class ToolOutcomeUnknownError extends CountersignError {
  static override readonly code: string = 'ERR_TOOL_OUTCOME_UNKNOWN';
  override readonly code = 'ERR_TOOL_OUTCOME_UNKNOWN';
  /** The approval's id, which the function received as its idempotency key. */
  readonly approvalId: string;
  constructor(approvalId: string) {
    super(
      `tool call under approval ${approvalId} was interrupted while executing; whether it took effect is unknown and it will not run again (idempotency key ${approvalId})`,
    );
    this.approvalId = approvalId;
  }
}

/**
 * A failure read back from the approval store. It keeps the original error's `code` (for example
 * `ERR_TOOL_EXECUTION` or `ERR_APPROVAL_MISMATCH`) and message; switch on `code`.
 */
export class StoredToolError extends CountersignError {
  static override readonly code: string = 'ERR_STORED_TOOL';
  /** The original error's code (not this class's static `code`). */
  override readonly code: string;
  /** The original error's class name. */
  readonly originalName: string;
  constructor(code: string, message: string, originalName: string) {
    super(message);
    this.code = code;
    this.originalName = originalName;
  }
}
