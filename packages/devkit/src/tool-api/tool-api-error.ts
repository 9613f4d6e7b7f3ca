import type { Refused } from '@countersign/server';

/**
 * Error codes the demo tool API answers with: the OAuth resource access error codes its
 * enforcement point (`@countersign/server`) refuses with (RFC 6750 §3.1, RFC 9449 §7.1), and the
 * treasury's own.
 */
export type ToolApiErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'insufficient_scope'
  | 'not_found'
  | 'method_not_allowed'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'unknown_account'
  | 'currency_mismatch'
  | 'insufficient_funds'
  | 'temporarily_unavailable'
  | 'server_error';

/** Options of {@link ToolApiError}. */
export interface ToolApiErrorOptions {
  /** Extra response headers, e.g. `Allow`. */
  headers?: Record<string, string>;
  /** A refusal of the enforcement point, answered exactly as it says (challenge included). */
  refusal?: Refused;
  cause?: unknown;
}

/**
 * A refusal of the demo tool API: an HTTP status, an error code for the JSON body, and a
 * description that never contains a token or a key.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export class ToolApiError extends Error {
  /** HTTP status of the response. */
  readonly status: number;
  /** Stable code, sent as `error`. */
  readonly code: ToolApiErrorCode;
  /** Extra response headers. */
  readonly headers: Record<string, string>;
  /** The enforcement point's verdict, when it refused. */
  readonly refusal: Refused | undefined;

  constructor(status: number, code: ToolApiErrorCode, description: string, options: ToolApiErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ToolApiError';
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
    this.refusal = options.refusal;
  }

  /** Wraps a refusal of `@countersign/server`. */
  static fromRefusal(refusal: Refused): ToolApiError {
    return new ToolApiError(refusal.status, refusal.error, refusal.description, { refusal });
  }
}

/** 400 `invalid_request` for a malformed request. */
export function invalidRequest(description: string, options: ToolApiErrorOptions = {}): ToolApiError {
  return new ToolApiError(400, 'invalid_request', description, options);
}
