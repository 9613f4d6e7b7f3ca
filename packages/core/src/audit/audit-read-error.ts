import { CountersignError } from '../errors.js';

/**
 * A published audit file (checkpoints) could not be read, or is not what it must be: JSON lines or
 * a JSON array. The message names the file and the line; `cause` holds the file system error.
 */
export class AuditReadError extends CountersignError {
  static override readonly code: string = 'ERR_AUDIT_READ';
  override readonly code = 'ERR_AUDIT_READ';
}
