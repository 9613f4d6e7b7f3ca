/**
 * Every failure Countersign raises is a {@link CountersignError} with a stable `code` that callers
 * can `switch` on. Messages never contain a token, a private key or a client assertion: they name
 * what failed and where, and pass the underlying error through `cause`.
 *
 * @packageDocumentation
 */

const marker = Symbol.for('countersign.error');

/** Options accepted by every Countersign error. */
export interface CountersignErrorOptions {
  /** The underlying error, when there is one. */
  cause?: unknown;
}

/**
 * Base class of every error Countersign throws.
 *
 * @example
 * ```ts
 * try { await agent.getToken({ resource }) }
 * catch (error) { if (CountersignError.isInstance(error)) console.error(error.code) }
 * ```
 */
export class CountersignError extends Error {
  /** Stable, machine-readable code, e.g. `ERR_OAUTH`. */
  readonly code: string = 'ERR_COUNTERSIGN';
  /** @internal marker that survives two copies of this package being installed. */
  readonly [marker] = true;

  constructor(message: string, options?: CountersignErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }

  /** True for any Countersign error, even one thrown by another installed copy of this package. */
  static isInstance(value: unknown): value is CountersignError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/**
 * An endpoint is not `https:` and not on a loopback address.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2 (endpoints MUST use TLS)
 */
export class InsecureEndpointError extends CountersignError {
  override readonly code = 'ERR_INSECURE_ENDPOINT';
  /** The refused URL (never carries credentials: it is a metadata or configured endpoint). */
  readonly url: string;
  constructor(url: string, what: string) {
    super(`${what} must use https unless it is on a loopback address: ${url}`);
    this.url = url;
  }
}

/**
 * Authorization server metadata could not be obtained or failed validation (for example the
 * `issuer` in the metadata is not exactly the configured issuer).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.3
 */
export class DiscoveryError extends CountersignError {
  override readonly code = 'ERR_DISCOVERY';
}

/**
 * The authorization server answered with an OAuth error response.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export class OAuthError extends CountersignError {
  override readonly code = 'ERR_OAUTH';
  /** The `error` value, e.g. `invalid_client`, `invalid_dpop_proof`. */
  readonly error: string;
  /** The `error_description`, when the server sent one. */
  readonly errorDescription: string | undefined;
  /** HTTP status of the response. */
  readonly status: number;
  /**
   * Other members of the error response (for example a server's `approvals_required`). Error
   * responses carry no credentials, so they are kept as sent.
   */
  readonly parameters: Readonly<Record<string, unknown>>;
  constructor(
    error: string,
    errorDescription: string | undefined,
    status: number,
    options?: CountersignErrorOptions & { parameters?: Record<string, unknown> },
  ) {
    super(`authorization server error ${error}${errorDescription ? `: ${errorDescription}` : ''} (HTTP ${status})`, options);
    this.error = error;
    this.errorDescription = errorDescription;
    this.status = status;
    this.parameters = Object.freeze({ ...options?.parameters });
  }
}

/**
 * A server response did not have the shape the protocol requires (bad JSON, missing fields,
 * wrong types, a `token_type` other than DPoP).
 */
export class ResponseError extends CountersignError {
  override readonly code: string = 'ERR_RESPONSE';
  /** HTTP status of the offending response, when there was one. */
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: CountersignErrorOptions) {
    super(message, options);
    this.status = status;
  }
}

/**
 * The token endpoint issued a token that is not sender-constrained with DPoP.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5
 */
export class TokenTypeDowngradeError extends ResponseError {
  override readonly code = 'ERR_TOKEN_TYPE_DOWNGRADE';
}

/** The server could not be reached, or did not answer in time, after the allowed retries. */
export class NetworkError extends CountersignError {
  override readonly code = 'ERR_NETWORK';
}

/** The request took longer than its timeout. */
export class TimeoutError extends CountersignError {
  override readonly code = 'ERR_TIMEOUT';
}

/**
 * A protected resource refused the request with a `WWW-Authenticate` challenge that Countersign
 * does not recover from by itself (`insufficient_scope`, `insufficient_user_authentication`, …).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 */
export class ResourceChallengeError extends CountersignError {
  override readonly code: string = 'ERR_RESOURCE_CHALLENGE';
  /** The challenge's `error` parameter. */
  readonly error: string;
  /** The challenge's `error_description`, when present. */
  readonly errorDescription: string | undefined;
  /** The `scope` the resource says it needs, when present. */
  readonly scope: string | undefined;
  /** HTTP status of the response (401 or 403). */
  readonly status: number;
  /** Every parameter of the challenge, as parsed. */
  readonly parameters: Readonly<Record<string, string>>;
  constructor(status: number, parameters: Record<string, string>) {
    const error = parameters.error ?? 'unknown_challenge';
    super(`resource refused the request: ${error}${parameters.error_description ? `: ${parameters.error_description}` : ''} (HTTP ${status})`);
    this.error = error;
    this.errorDescription = parameters.error_description;
    this.scope = parameters.scope;
    this.status = status;
    this.parameters = Object.freeze({ ...parameters });
  }
}

/** The resource needs a scope the token does not carry (`insufficient_scope`). */
export class InsufficientScopeError extends ResourceChallengeError {
  override readonly code = 'ERR_INSUFFICIENT_SCOPE';
}

/** The resource needs a stronger or more recent authentication (`insufficient_user_authentication`). */
export class InsufficientUserAuthenticationError extends ResourceChallengeError {
  override readonly code = 'ERR_INSUFFICIENT_USER_AUTHENTICATION';
}

/**
 * The authorization server no longer accepts this agent's identity (`invalid_client`): it was
 * disabled or deleted. Pending work stops and nothing is retried.
 */
export class AgentRevokedError extends CountersignError {
  override readonly code = 'ERR_AGENT_REVOKED';
}

/** A key could not be generated, loaded, stored or used. */
export class KeyError extends CountersignError {
  override readonly code: string = 'ERR_KEY';
}

/** A key file is readable by group or others; it is refused until its mode is 0600. */
export class KeyPermissionError extends KeyError {
  override readonly code = 'ERR_KEY_PERMISSIONS';
}

/** A human denied the approval request (`access_denied`). */
export class ApprovalDeniedError extends CountersignError {
  override readonly code = 'ERR_APPROVAL_DENIED';
  /** The approval request's id (`auth_req_id` is never exposed). */
  readonly approvalId: string;
  /** The reason the server gave, when it gave one. */
  readonly reason: string | undefined;
  constructor(approvalId: string, reason?: string) {
    super(`approval ${approvalId} was denied${reason ? `: ${reason}` : ''}`);
    this.approvalId = approvalId;
    this.reason = reason;
  }
}

/** The approval request expired before a decision (`expired_token`, or past `expires_in`). */
export class ApprovalExpiredError extends CountersignError {
  override readonly code = 'ERR_APPROVAL_EXPIRED';
  /** The approval request's id. */
  readonly approvalId: string;
  constructor(approvalId: string) {
    super(`approval ${approvalId} expired before a decision`);
    this.approvalId = approvalId;
  }
}

/**
 * The token issued for an approval does not carry the `authorization_details` that were requested,
 * so it is not used.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-7
 */
export class ApprovalMismatchError extends CountersignError {
  override readonly code = 'ERR_APPROVAL_MISMATCH';
}

/** A tool was resumed with arguments whose hash differs from the approved hash. */
export class ArgumentsChangedError extends CountersignError {
  override readonly code = 'ERR_ARGUMENTS_CHANGED';
}

/** Tool arguments failed the tool's input schema. */
export class InvalidArgumentsError extends CountersignError {
  override readonly code = 'ERR_INVALID_ARGUMENTS';
  /** Human-readable issues, one per failing path (no argument values). */
  readonly issues: readonly string[];
  constructor(tool: string, issues: readonly string[], options?: CountersignErrorOptions) {
    super(`invalid arguments for tool ${tool}: ${issues.join('; ')}`, options);
    this.issues = issues;
  }
}

/** An approval store could not read or write its state (for example a corrupt file). */
export class ApprovalStoreError extends CountersignError {
  override readonly code = 'ERR_APPROVAL_STORE';
}

/** An operation was attempted on an agent after `close()`. */
export class AgentClosedError extends CountersignError {
  override readonly code = 'ERR_AGENT_CLOSED';
}

/** An audit trail failed verification; `sequence` names the first broken record. */
export class AuditVerificationError extends CountersignError {
  override readonly code = 'ERR_AUDIT_VERIFICATION';
  /** 1-based line of the first broken record. */
  readonly line: number;
  constructor(message: string, line: number) {
    super(message);
    this.line = line;
  }
}

/** A configuration value is missing or invalid. */
export class ConfigurationError extends CountersignError {
  override readonly code = 'ERR_CONFIGURATION';
}
