/** Machine-readable reasons the devkit refuses an operation. */
export type DevkitErrorCode =
  | 'not_found'
  | 'unknown_approver'
  | 'already_decided'
  | 'already_approved'
  | 'expired'
  | 'not_allowed'
  | 'invalid_request'
  | 'unknown_client';

const statusOf: Record<DevkitErrorCode, number> = {
  not_found: 404,
  unknown_approver: 400,
  already_decided: 409,
  already_approved: 409,
  expired: 410,
  not_allowed: 403,
  invalid_request: 400,
  unknown_client: 404,
};

/** An operation on the dev stack was refused; nothing changed. */
export class DevkitError extends Error {
  /** Stable code. */
  readonly code: DevkitErrorCode;
  /** HTTP status the JSON API answers with. */
  readonly status: number;
  constructor(code: DevkitErrorCode, message: string) {
    super(message);
    this.name = 'DevkitError';
    this.code = code;
    this.status = statusOf[code];
  }
}
