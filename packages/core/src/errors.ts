/**
 * Every failure Countersign raises is a {@link CountersignError} with a stable `code` that callers
 * can `switch` on. Messages never contain a token, a private key or a client assertion: they name
 * what failed and where, and pass the underlying error through `cause`.
 *
 * @packageDocumentation
 */

import { scrubServerParameters, scrubServerText } from './lib/scrub-server-text.js';

/**
 * Holds the static `code` of every class in an error's chain, from its own class up to
 * {@link CountersignError}. A registry symbol, so it survives two installed copies of this package.
 */
const marker = Symbol.for('countersign.error.codes');

/** Options accepted by every Countersign error. */
export interface CountersignErrorOptions {
  /** The underlying error, when there is one. */
  cause?: unknown;
}

/**
 * Base class of every error Countersign throws. Every subclass declares its own static `code`;
 * `SomeError.isInstance(value)` is true for instances of `SomeError` and of its subclasses only,
 * also when `value` comes from another installed copy of this package.
 *
 * @example
 * ```ts
 * try { await agent.getToken({ resource }) }
 * catch (error) { if (ApprovalDeniedError.isInstance(error)) console.error(error.approvalId) }
 * ```
 */
export class CountersignError extends Error {
  /** The code of this class, e.g. `ERR_OAUTH`; instances carry it as `code`. */
  static readonly code: string = 'ERR_COUNTERSIGN';
  /** Stable, machine-readable code, e.g. `ERR_OAUTH`. */
  readonly code: string = 'ERR_COUNTERSIGN';
  /** @internal the static codes of this error's class chain (see {@link CountersignError.isInstance}). */
  readonly [marker]: readonly string[];

  constructor(message: string, options?: CountersignErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this[marker] = classCodes(new.target);
  }

  /**
   * True when `value` is an instance of this class or of one of its subclasses, even one thrown by
   * another installed copy of this package (classes are compared by their static `code`).
   */
  static isInstance<Class extends abstract new (...args: never[]) => CountersignError>(this: Class, value: unknown): value is InstanceType<Class> {
    if (typeof value !== 'object' || value === null) return false;
    const codes = (value as Record<symbol, unknown>)[marker];
    return Array.isArray(codes) && codes.includes((this as unknown as { code: string }).code);
  }
}

/** The static codes of `target` and of every Countersign class above it. */
function classCodes(target: Function): readonly string[] {
  const codes: string[] = [];
  for (let current: unknown = target; typeof current === 'function' && current !== Error; current = Object.getPrototypeOf(current)) {
    if (Object.hasOwn(current, 'code')) codes.push((current as unknown as { code: string }).code);
  }
  return Object.freeze(codes);
}

/**
 * An endpoint is not `https:` and not on a loopback address.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2 (endpoints MUST use TLS)
 */
export class InsecureEndpointError extends CountersignError {
  static override readonly code: string = 'ERR_INSECURE_ENDPOINT';
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
  static override readonly code: string = 'ERR_DISCOVERY';
  override readonly code = 'ERR_DISCOVERY';
}

/**
 * The authorization server answered with an OAuth error response.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export class OAuthError extends CountersignError {
  static override readonly code: string = 'ERR_OAUTH';
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
    options?: CountersignErrorOptions & {
      parameters?: Record<string, unknown>;
      /** What the request carried (assertion, proof, token): removed from whatever the server echoes. */
      secrets?: readonly (string | undefined)[];
    },
  ) {
    const secrets = options?.secrets ?? [];
    const safeError = scrubServerText(error, secrets);
    const safeDescription = errorDescription === undefined ? undefined : scrubServerText(errorDescription, secrets);
    super(`authorization server error ${safeError}${safeDescription ? `: ${safeDescription}` : ''} (HTTP ${status})`, options);
    this.error = safeError;
    this.errorDescription = safeDescription;
    this.status = status;
    this.parameters = Object.freeze(scrubServerParameters({ ...options?.parameters }, secrets));
  }
}

/**
 * A server response did not have the shape the protocol requires (bad JSON, missing fields,
 * wrong types, a `token_type` other than DPoP).
 */
export class ResponseError extends CountersignError {
  static override readonly code: string = 'ERR_RESPONSE';
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
  static override readonly code: string = 'ERR_TOKEN_TYPE_DOWNGRADE';
  override readonly code = 'ERR_TOKEN_TYPE_DOWNGRADE';
}

/** The server could not be reached, or did not answer in time, after the allowed retries. */
export class NetworkError extends CountersignError {
  static override readonly code: string = 'ERR_NETWORK';
  override readonly code = 'ERR_NETWORK';
}

/** The request took longer than its timeout. */
export class TimeoutError extends CountersignError {
  static override readonly code: string = 'ERR_TIMEOUT';
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
  static override readonly code: string = 'ERR_RESOURCE_CHALLENGE';
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
  /** `secrets`: what the request carried (access token, proof), removed from whatever the server echoes. */
  constructor(status: number, parameters: Record<string, string>, secrets: readonly (string | undefined)[] = []) {
    const safe = scrubServerParameters(parameters, secrets);
    const error = safe.error ?? 'unknown_challenge';
    super(`resource refused the request: ${error}${safe.error_description ? `: ${safe.error_description}` : ''} (HTTP ${status})`);
    this.error = error;
    this.errorDescription = safe.error_description;
    this.scope = safe.scope;
    this.status = status;
    this.parameters = Object.freeze(safe);
  }
}

/** The resource needs a scope the token does not carry (`insufficient_scope`). */
export class InsufficientScopeError extends ResourceChallengeError {
  static override readonly code: string = 'ERR_INSUFFICIENT_SCOPE';
  override readonly code = 'ERR_INSUFFICIENT_SCOPE';
}

/** The resource needs a stronger or more recent authentication (`insufficient_user_authentication`). */
export class InsufficientUserAuthenticationError extends ResourceChallengeError {
  static override readonly code: string = 'ERR_INSUFFICIENT_USER_AUTHENTICATION';
  override readonly code = 'ERR_INSUFFICIENT_USER_AUTHENTICATION';
}

/**
 * The authorization server refused this agent's identity (`invalid_client`). What is known is the
 * refusal, not its reason: the client may never have been registered, may have been disabled or
 * deleted (a kill switch), or may sign its assertions with a key the server does not hold. Pending
 * work stops and nothing is retried.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (invalid_client)
 */
export class AgentRevokedError extends CountersignError {
  static override readonly code: string = 'ERR_AGENT_REVOKED';
  override readonly code = 'ERR_AGENT_REVOKED';
  /** The authorization server's `error` (`invalid_client`), when the refusal came from one. */
  readonly error: string | undefined;
  /** Its `error_description`, scrubbed, when it sent one. */
  readonly errorDescription: string | undefined;
  constructor(message: string, options?: CountersignErrorOptions & { error?: string | undefined; errorDescription?: string | undefined }) {
    super(message, options);
    this.error = options?.error;
    this.errorDescription = options?.errorDescription;
  }
}

/** A key could not be generated, loaded, stored or used. */
export class KeyError extends CountersignError {
  static override readonly code: string = 'ERR_KEY';
  override readonly code: string = 'ERR_KEY';
}

/** A key file is readable by group or others; it is refused until its mode is 0600. */
export class KeyPermissionError extends KeyError {
  static override readonly code: string = 'ERR_KEY_PERMISSIONS';
  override readonly code = 'ERR_KEY_PERMISSIONS';
}

/** A human denied the approval request (`access_denied`). */
export class ApprovalDeniedError extends CountersignError {
  static override readonly code: string = 'ERR_APPROVAL_DENIED';
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
  static override readonly code: string = 'ERR_APPROVAL_EXPIRED';
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
  static override readonly code: string = 'ERR_APPROVAL_MISMATCH';
  override readonly code = 'ERR_APPROVAL_MISMATCH';
}

/** A tool was resumed with arguments whose hash differs from the approved hash. */
export class ArgumentsChangedError extends CountersignError {
  static override readonly code: string = 'ERR_ARGUMENTS_CHANGED';
  override readonly code = 'ERR_ARGUMENTS_CHANGED';
}

/** Tool arguments failed the tool's input schema. */
export class InvalidArgumentsError extends CountersignError {
  static override readonly code: string = 'ERR_INVALID_ARGUMENTS';
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
  static override readonly code: string = 'ERR_APPROVAL_STORE';
  override readonly code = 'ERR_APPROVAL_STORE';
}

/** An operation was attempted on an agent after `close()`. */
export class AgentClosedError extends CountersignError {
  static override readonly code: string = 'ERR_AGENT_CLOSED';
  override readonly code = 'ERR_AGENT_CLOSED';
}

/** A configuration value is missing or invalid. */
export class ConfigurationError extends CountersignError {
  static override readonly code: string = 'ERR_CONFIGURATION';
  override readonly code = 'ERR_CONFIGURATION';
}
