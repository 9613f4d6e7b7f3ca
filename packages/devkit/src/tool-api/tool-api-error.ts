/**
 * Error codes the demo tool API answers with. The first five are the registered OAuth resource
 * access error codes (RFC 6750 §3.1, RFC 9449 §7.1 and §12.2); the others are the treasury's own.
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
  /**
   * Whether the response carries a `WWW-Authenticate: DPoP …` challenge (RFC 6750 §3). Defaults
   * to true for 401 responses and for `insufficient_scope`.
   */
  challenge?: boolean;
  /**
   * Sends the challenge without `error` and `error_description`: for a request that carried no
   * credentials at all (RFC 6750 §3.1).
   */
  bare?: boolean;
  /** The scope the request needs, sent as the challenge's `scope` parameter. */
  scope?: string;
  /** Extra response headers, e.g. `Allow` or `Retry-After`. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * A refusal of the demo tool API: an HTTP status, an error code for the JSON body and the
 * `WWW-Authenticate` challenge, and a description that never contains a token or a key.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 */
export class ToolApiError extends Error {
  /** HTTP status of the response. */
  readonly status: number;
  /** Stable code, sent as `error`. */
  readonly code: ToolApiErrorCode;
  /** Whether the response carries a DPoP challenge. */
  readonly challenge: boolean;
  /** Whether the challenge omits the error parameters. */
  readonly bare: boolean;
  /** The scope needed, for `insufficient_scope`. */
  readonly scope: string | undefined;
  /** Extra response headers. */
  readonly headers: Record<string, string>;

  constructor(status: number, code: ToolApiErrorCode, description: string, options: ToolApiErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ToolApiError';
    this.status = status;
    this.code = code;
    this.challenge = options.challenge ?? (status === 401 || code === 'insufficient_scope');
    this.bare = options.bare ?? false;
    this.scope = options.scope;
    this.headers = options.headers ?? {};
  }
}

/** 401 with a DPoP challenge carrying `error="invalid_token"`. */
export function invalidToken(description: string, cause?: unknown): ToolApiError {
  return new ToolApiError(401, 'invalid_token', description, { cause });
}

/** 401 with a DPoP challenge carrying `error="invalid_dpop_proof"`. */
export function invalidDpopProof(description: string, cause?: unknown): ToolApiError {
  return new ToolApiError(401, 'invalid_dpop_proof', description, { cause });
}

/** 403 with a DPoP challenge carrying `error="insufficient_scope"` and the scope needed. */
export function insufficientScope(description: string, scope: string): ToolApiError {
  return new ToolApiError(403, 'insufficient_scope', description, { scope });
}

/** 400 `invalid_request` for a malformed request (no challenge unless asked for). */
export function invalidRequest(description: string, options: ToolApiErrorOptions = {}): ToolApiError {
  return new ToolApiError(400, 'invalid_request', description, options);
}
