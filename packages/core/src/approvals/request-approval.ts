// STUB: replaced by the approvals work (issue 4). Signatures are the contract agent.ts relies on.
import { CountersignError } from '../errors.js';
import type { ApprovalContext, ApprovalRequest, PendingApproval, SerializedApproval } from './types.js';

/** Starts a CIBA request. */
export async function requestApproval(_context: ApprovalContext, _request: ApprovalRequest): Promise<PendingApproval> {
  throw new CountersignError('approvals are not implemented yet');
}

/** Restores a pending approval from its JSON form. */
export function resumeApproval(_context: ApprovalContext, _saved: SerializedApproval | string): PendingApproval {
  throw new CountersignError('approvals are not implemented yet');
}
