// STUB: replaced by the approvals work (issue 4).
import type { ApprovalStore } from './types.js';
import { CountersignError } from '../errors.js';

/** In-memory approval store (default). */
export function memoryApprovalStore(): ApprovalStore {
  throw new CountersignError('approval stores are not implemented yet');
}
