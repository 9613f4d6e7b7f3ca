import type { ToolApprovalPending } from '../tools/types.js';

/** One request as an approval desk lists it (the devkit's `ApprovalView` fits). */
export interface ApprovalDeskRequest {
  id: string;
  status: string;
  /** The agent that asked. */
  clientId?: string | undefined;
  /** Who it is addressed to (CIBA `login_hint`). */
  loginHint?: string | undefined;
  bindingMessage: string;
  argsSha256?: string | undefined;
}

/**
 * The human side of CIBA, as a test drives it: the devkit's `stack.approvals` fits as it is.
 * Decisions go through the authorization server, so the guard learns them only by polling.
 */
export interface ApprovalDesk {
  /** Every request, newest first. */
  list(): readonly ApprovalDeskRequest[];
  approve(id: string, approver: string): Promise<unknown>;
  deny(id: string, approver: string, reason?: string): Promise<unknown>;
}

/** Which pending call a decision is for: a pending outcome (or a saved pending call) of the guard. */
export type PendingCallRef = Pick<ToolApprovalPending, 'argsSha256' | 'bindingMessage' | 'approver'>;

/**
 * The desk's id of the undecided request that `pending` waits for: the newest one bound to the
 * same arguments hash (the RFC 9396 `agent_action` detail's `args_sha256`) and binding message
 * (CIBA §7.1), optionally asked by `clientId`. Throws when there is none.
 */
export function deskRequestFor(desk: ApprovalDesk, pending: PendingCallRef, clientId?: string): string {
  const found = desk
    .list()
    .find(
      (request) =>
        request.status === 'pending' &&
        request.argsSha256 === pending.argsSha256 &&
        request.bindingMessage === pending.bindingMessage &&
        (clientId === undefined || request.clientId === clientId),
    );
  if (found === undefined) throw new Error(`no undecided request at the approval desk shows "${pending.bindingMessage}"`);
  return found.id;
}

/** Approves the request `pending` waits for, as `approver` (default: the one it was addressed to). */
export async function approveAtDesk(desk: ApprovalDesk, pending: PendingCallRef, approver: string = pending.approver): Promise<void> {
  await desk.approve(deskRequestFor(desk, pending), approver);
}

/** Denies the request `pending` waits for, as `approver` (default: the one it was addressed to), with `reason`. */
export async function denyAtDesk(desk: ApprovalDesk, pending: PendingCallRef, reason?: string, approver: string = pending.approver): Promise<void> {
  await desk.deny(deskRequestFor(desk, pending), approver, reason);
}
