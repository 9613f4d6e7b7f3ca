import { describeFailure, modelInstruction, modelOutcomeKind, pendingSummary } from '@countersign/core/adapters';
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
 * (`artifact`). Content names what happened; what the model may do next is core's one table
 * (`modelInstruction`), the same words every adapter uses. It never carries a token (core errors
 * hold none).
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
        content: `${outcome.tool} did not run: it was denied${outcome.reason ? ` (${outcome.reason})` : ''}. ${modelInstruction(outcome)}`,
        artifact: { kind: 'countersign.denied', tool: outcome.tool, approvalId: outcome.approvalId, reason: outcome.reason },
        status: 'error',
      };
    case 'expired':
      return {
        content: `${outcome.tool} did not run: nobody approved it before approval ${outcome.approvalId} expired. ${modelInstruction(outcome)}`,
        artifact: { kind: 'countersign.expired', tool: outcome.tool, approvalId: outcome.approvalId },
        status: 'error',
      };
    case 'failed':
      return failedFields(outcome);
  }
}

function pendingContent(outcome: Extract<ToolOutcome<unknown>, { status: 'approval_pending' }>): string {
  return `${outcome.tool} has not run yet: it ${pendingSummary(outcome)} ${modelInstruction(outcome)}`;
}

function failedFields(outcome: Extract<ToolOutcome<unknown>, { status: 'failed' }>): ToolMessageFields {
  const { tool, approvalId } = outcome;
  // A stored outcome read back after a restart may hold a plain object instead of an Error.
  const error = describeFailure(outcome.error);
  const kind = modelOutcomeKind(outcome);
  const instruction = modelInstruction(outcome);
  const onApproval = approvalId ? ` (approval ${approvalId})` : '';
  const content =
    kind === 'tool_error'
      ? `${error.message}${onApproval}. ${instruction}`
      : kind === 'failed'
        ? `${tool} failed${onApproval}: ${error.message}. ${instruction}`
        : kind === 'invalid_arguments'
          ? `${tool} did not run: ${error.message}. ${instruction}`
          : `${tool} did not run: ${instruction}`;
  return {
    content,
    artifact: { kind: 'countersign.failed', tool, approvalId, error: { name: error.name, code: error.code, message: error.message } },
    status: 'error',
  };
}
