/**
 * Machine-readable reasons the devkit refuses an operation.
 *
 * - `not_found`: no approval request with that id.
 * - `unknown_approver`: the approver is not in the dev directory.
 * - `already_decided`: the request was already approved or denied.
 * - `already_approved`: this approver already approved it (dual control needs someone else).
 * - `expired`: the request expired before the decision.
 * - `not_allowed`: the approver's role does not fit the action (treasury for payouts, a security
 *   approver among those of a key rotation).
 * - `invalid_request`: malformed input (registration, denial reason, options).
 * - `unknown_client`: no registered agent with that client_id.
 * - `already_registered`: over HTTP, a registration that would change an existing agent's keys,
 *   scopes or owner without `rotate: true`.
 * - `agent_disabled`: over HTTP, a registration of an agent the kill switch turned off; only the
 *   operator (`stack.registerAgent` in the stack's own process) may bring it back.
 * - `port_in_use`: the stack could not bind its port.
 */
export type DevkitErrorCode =
  | 'not_found'
  | 'unknown_approver'
  | 'already_decided'
  | 'already_approved'
  | 'expired'
  | 'not_allowed'
  | 'invalid_request'
  | 'unknown_client'
  | 'already_registered'
  | 'agent_disabled'
  | 'port_in_use';

const statusOf: Record<DevkitErrorCode, number> = {
  not_found: 404,
  unknown_approver: 400,
  already_decided: 409,
  already_approved: 409,
  expired: 410,
  not_allowed: 403,
  invalid_request: 400,
  unknown_client: 404,
  already_registered: 409,
  agent_disabled: 403,
  port_in_use: 409,
};

const marker = Symbol.for('@countersign/devkit/DevkitError');

/**
 * An operation on the dev stack was refused; nothing changed.
 *
 * @example
 * ```ts
 * try {
 *   await stack.approvals.approve(id, 'alice');
 * } catch (error) {
 *   if (DevkitError.is(error) && error.code === 'already_approved') console.log('ask bob');
 * }
 * ```
 */
export class DevkitError extends Error {
  /** Stable code. */
  readonly code: DevkitErrorCode;
  /** HTTP status the JSON API answers with. */
  readonly status: number;
  constructor(code: DevkitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DevkitError';
    this.code = code;
    this.status = statusOf[code];
    Object.defineProperty(this, marker, { value: true });
  }

  /** Whether `value` is a DevkitError, even from another copy of this package. */
  static is(value: unknown): value is DevkitError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
