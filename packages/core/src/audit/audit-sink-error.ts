import { CountersignError } from '../errors.js';

/**
 * An audit sink could not record: its file could not be opened or written, an existing trail ends
 * with a corrupt record (it is not silently continued), no key was available to sign a checkpoint,
 * or the sink was already closed.
 */
export class AuditSinkError extends CountersignError {
  static override readonly code: string = 'ERR_AUDIT_SINK';
  override readonly code = 'ERR_AUDIT_SINK';
}
