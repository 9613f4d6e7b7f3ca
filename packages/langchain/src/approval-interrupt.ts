import type { ApprovalProgress, ToolApprovalPending } from '@countersign/core';

/**
 * What LangChain's `humanInTheLoopMiddleware` asks a reviewer about (its `HITLRequest`): the
 * actions, and which decisions the UI may offer for each. The same field names, so a UI built for
 * that middleware renders a Countersign approval.
 */
export interface HumanInTheLoopRequest {
  actionRequests: Array<{ name: string; args: Record<string, unknown>; description?: string }>;
  reviewConfigs: Array<{ actionName: string; allowedDecisions: Array<'approve' | 'edit' | 'reject'>; argsSchema?: Record<string, unknown> }>;
}

/** `kind` of the interrupt value (and ToolMessage artifact) of a call waiting for approval. */
export const approvalPendingKind = 'countersign.approval_pending';

/** `kind` of the value the resumer resumes a graph with once an approval is decided. */
export const approvalDecidedKind = 'countersign.approval_decided';

/**
 * The JSON value of the LangGraph interrupt a guarded tool raises while its call waits for a human.
 * It names the approval and what the human was asked; it holds no token and no `auth_req_id`.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 */
export interface ApprovalInterrupt extends HumanInTheLoopRequest {
  kind: typeof approvalPendingKind;
  /** Countersign's approval id (not the CIBA `auth_req_id`). */
  approvalId: string;
  /** The model's tool call id. */
  toolCallId: string;
  /** The tool's name. */
  tool: string;
  /** What the approver was shown (CIBA `binding_message`). */
  bindingMessage: string;
  /** Who was asked to approve (login hint). */
  approver: string;
  /** When the approval request expires, ISO 8601. */
  expiresAt: string;
  /** SHA-256 (base64url) of the RFC 8785 canonical arguments the approval is bound to. */
  argsSha256: string;
  /** Dual-control progress, when the authorization server reports it. */
  progress?: ApprovalProgress | undefined;
}

/** How a decided approval ended, as far as the tool call is concerned. */
export type ApprovalDecisionStatus = 'done' | 'denied' | 'expired' | 'failed';

/**
 * The value the resumer resumes an {@link ApprovalInterrupt} with. Informational only: the tool
 * never takes a decision from a resume value, it asks the core guard (and so the authorization
 * server), so a forged resume cannot approve anything.
 */
export interface ApprovalDecision {
  kind: typeof approvalDecidedKind;
  approvalId: string;
  status: ApprovalDecisionStatus;
}

/**
 * The interrupt value for a pending outcome of the guarded tool, called with `args`. Besides
 * Countersign's fields it carries the human-in-the-loop request shape: one action (this call)
 * described by what the approver is shown. A UI's `approve` or `reject` is a hint only (the
 * authorization server decides); an `edit` asks for a fresh approval of the edited arguments.
 */
export function approvalInterrupt(outcome: ToolApprovalPending, toolCallId: string, args: unknown = {}): ApprovalInterrupt {
  const value: ApprovalInterrupt = {
    actionRequests: [
      {
        name: outcome.tool,
        args: typeof args === 'object' && args !== null && !Array.isArray(args) ? (args as Record<string, unknown>) : {},
        description: `${outcome.bindingMessage} (waits for ${outcome.approver} to approve it at the authorization server)`,
      },
    ],
    reviewConfigs: [{ actionName: outcome.tool, allowedDecisions: ['approve', 'edit', 'reject'] }],
    kind: approvalPendingKind,
    approvalId: outcome.approvalId,
    toolCallId,
    tool: outcome.tool,
    bindingMessage: outcome.bindingMessage,
    approver: outcome.approver,
    expiresAt: outcome.expiresAt,
    argsSha256: outcome.argsSha256,
  };
  if (outcome.progress !== undefined) value.progress = outcome.progress;
  return value;
}

/**
 * True when `value` is a Countersign approval interrupt, for example one of the `__interrupt__`
 * values a graph run returns or of `snapshot.tasks[].interrupts`.
 *
 * @example
 * ```ts
 * const result = await agent.invoke(input, config);
 * for (const { value } of result.__interrupt__ ?? []) {
 *   if (isApprovalInterrupt(value)) console.log(`${value.approver} must approve: ${value.bindingMessage}`);
 * }
 * ```
 */
export function isApprovalInterrupt(value: unknown): value is ApprovalInterrupt {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    candidate.kind === approvalPendingKind &&
    typeof candidate.approvalId === 'string' &&
    typeof candidate.toolCallId === 'string' &&
    typeof candidate.tool === 'string' &&
    typeof candidate.expiresAt === 'string'
  );
}

/**
 * The edited arguments of a human-in-the-loop `edit` decision (`{ decisions: [{ type: 'edit',
 * editedAction: { name, args } }] }`) for `tool`, if `resumeValue` is one. Any other value, and an
 * edit that renames the tool, is not an edit.
 */
export function editedArguments(resumeValue: unknown, tool: string): Record<string, unknown> | undefined {
  const decisions = (resumeValue as { decisions?: unknown } | null | undefined)?.decisions;
  if (!Array.isArray(decisions) || decisions.length === 0) return undefined;
  const decision = decisions[0] as { type?: unknown; editedAction?: { name?: unknown; args?: unknown } } | null;
  if (decision?.type !== 'edit' || decision.editedAction?.name !== tool) return undefined;
  const edited = decision.editedAction.args;
  return typeof edited === 'object' && edited !== null && !Array.isArray(edited) ? (edited as Record<string, unknown>) : undefined;
}
