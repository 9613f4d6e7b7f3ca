import { CountersignError } from '@countersign/core';
import type { ToolOutcome } from '@countersign/core';
import { approvalInterrupt, type ApprovalInterrupt } from './approval-interrupt.js';

/** Artifact of the ToolMessage of a call that ran. */
export interface DoneArtifact {
  kind: 'countersign.done';
  tool: string;
  result: unknown;
  argsSha256: string;
  /** The approval it ran under, for irreversible tools. */
  approvalId?: string | undefined;
}

/** Artifact of the ToolMessage of a call a human denied. */
export interface DeniedArtifact {
  kind: 'countersign.denied';
  tool: string;
  approvalId: string;
  reason?: string | undefined;
}

/** Artifact of the ToolMessage of a call nobody approved in time. */
export interface ExpiredArtifact {
  kind: 'countersign.expired';
  tool: string;
  approvalId: string;
}

/** Artifact of the ToolMessage of a call that failed; `code` is the Countersign error code. */
export interface FailedArtifact {
  kind: 'countersign.failed';
  tool: string;
  approvalId?: string | undefined;
  error: { name: string; code?: string | undefined; message: string };
}

/**
 * The structured state a Countersign ToolMessage carries in `artifact` (never sent to the model):
 * what happened to the call, by `kind`.
 */
export type CountersignArtifact = ApprovalInterrupt | DoneArtifact | DeniedArtifact | ExpiredArtifact | FailedArtifact;

/** Content, artifact and status of the ToolMessage for one outcome. */
export interface ToolMessageFields {
  /** What the model reads. */
  content: string;
  artifact: CountersignArtifact;
  /** `error` when the call did not run, so providers flag it to the model. */
  status: 'success' | 'error';
}

/**
 * Turns a guarded tool's outcome into what the model reads (`content`) and what the program reads
 * (`artifact`). Content names what happened and what the model may do next; it never carries a
 * token (core errors hold none).
 */
export function toolMessageFields(outcome: ToolOutcome<unknown>, toolCallId: string): ToolMessageFields {
  switch (outcome.status) {
    case 'done':
      return {
        content: typeof outcome.result === 'string' ? outcome.result : (JSON.stringify(outcome.result) ?? ''),
        artifact: { kind: 'countersign.done', tool: outcome.tool, result: outcome.result, argsSha256: outcome.argsSha256, approvalId: outcome.approvalId },
        status: 'success',
      };
    case 'approval_pending':
      return { content: pendingContent(outcome), artifact: approvalInterrupt(outcome, toolCallId), status: 'success' };
    case 'denied':
      return {
        content:
          `${outcome.tool} did not run: it was denied${outcome.reason ? ` (${outcome.reason})` : ''}. ` +
          `Nothing was done. Tell the user; do not try again unless they ask.`,
        artifact: { kind: 'countersign.denied', tool: outcome.tool, approvalId: outcome.approvalId, reason: outcome.reason },
        status: 'error',
      };
    case 'expired':
      return {
        content:
          `${outcome.tool} did not run: nobody approved it before approval ${outcome.approvalId} expired. ` +
          `Nothing was done. If the user still wants it, call ${outcome.tool} again to ask for a new approval.`,
        artifact: { kind: 'countersign.expired', tool: outcome.tool, approvalId: outcome.approvalId },
        status: 'error',
      };
    case 'failed':
      return failedFields(outcome.tool, outcome.error, outcome.approvalId);
  }
}

function pendingContent(outcome: Extract<ToolOutcome<unknown>, { status: 'approval_pending' }>): string {
  const progress = outcome.progress;
  const soFar =
    progress && progress.required > 1
      ? ` (${progress.required} different people must approve; ${progress.received.length} so far${progress.received.length > 0 ? `: ${progress.received.map((record) => record.subject).join(', ')}` : ''})`
      : '';
  return (
    `${outcome.tool} has not run yet: it waits for approval by ${outcome.approver}${soFar}, who was asked to approve "${outcome.bindingMessage}". ` +
    `The approval request ${outcome.approvalId} expires at ${outcome.expiresAt}. ` +
    `Tell the user it awaits approval. To check on it later, call ${outcome.tool} again with exactly the same arguments.`
  );
}

function failedFields(tool: string, error: unknown, approvalId: string | undefined): ToolMessageFields {
  // A stored outcome read back after a restart may hold a plain object instead of an Error.
  const described = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as { name?: unknown; code?: unknown; message?: unknown };
  const message = typeof described.message === 'string' ? described.message : 'unknown error';
  const name = typeof described.name === 'string' ? described.name : 'Error';
  const code = CountersignError.isInstance(error) ? error.code : typeof described.code === 'string' ? described.code : undefined;
  let content: string;
  switch (code) {
    case 'ERR_INVALID_ARGUMENTS':
      content = `${tool} did not run: ${message}. Fix the arguments and call it again.`;
      break;
    case 'ERR_ARGUMENTS_CHANGED':
      content =
        `${tool} did not run: its arguments differ from the ones the human approved, so that approval does not cover them. ` +
        `Call ${tool} again to ask for approval of the new arguments.`;
      break;
    case 'ERR_APPROVAL_MISMATCH':
      content = `${tool} did not run: the approval that came back does not match the action that was asked for, so it was not used. Tell the user.`;
      break;
    case 'ERR_TOOL_CALL_IN_PROGRESS':
      content = `${tool}: its outcome is not known yet (it is executing elsewhere, or stopped while executing). Do not call it again; tell the user to check.`;
      break;
    case 'ERR_TOOL_EXECUTION':
      content = `${message}${approvalId ? ` (approval ${approvalId})` : ''}. Tell the user; do not assume it ran.`;
      break;
    default:
      content = `${tool} failed${approvalId ? ` (approval ${approvalId})` : ''}: ${message}. Tell the user; do not assume it ran.`;
  }
  return { content, artifact: { kind: 'countersign.failed', tool, approvalId, error: { name, code, message } }, status: 'error' };
}
