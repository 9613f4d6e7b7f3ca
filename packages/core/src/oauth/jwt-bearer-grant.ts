import { readFile } from 'node:fs/promises';
import { ConfigurationError, CountersignError, type CountersignErrorOptions, type OAuthError } from '../errors.js';

/**
 * The JWT bearer authorization grant type: a workload-identity JWT (a Kubernetes service-account
 * token, a SPIFFE JWT-SVID, a cloud identity token) is exchanged for an access token.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * Where the workload-identity JWT comes from: the JWT itself, a file that a platform rewrites when
 * it rotates the token (`{ file }`, read again before every token request), or a callback that
 * returns the current JWT (called before every token request).
 */
export type WorkloadTokenSource = string | { file: string } | (() => string | Promise<string>);

/** Reads the current workload-identity JWT from its {@link WorkloadTokenSource}. */
export interface WorkloadTokenReader {
  /** The JWT as it is now: a rotated file or callback yields the new token. */
  read(): Promise<string>;
}

const compactJwt = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Creates a reader for a workload-identity JWT. Nothing is cached: a file is read again, and a
 * callback called again, for each token request, so a rotated token is used as soon as it lands.
 * A file that is missing, a symbolic link, empty or not a compact JWT throws
 * {@link WorkloadTokenError} (its message names the file, never its content).
 *
 * @example
 * ```ts
 * const reader = workloadTokenReader({ file: '/var/run/secrets/tokens/countersign' });
 * const assertion = await reader.read();
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 */
export function workloadTokenReader(source: WorkloadTokenSource): WorkloadTokenReader {
  if (typeof source === 'string') {
    const token = checked(source.trim(), 'the workload token');
    return { read: async () => token };
  }
  if (typeof source === 'function') {
    return {
      async read() {
        let value: unknown;
        try {
          value = await source();
        } catch (error) {
          throw new WorkloadTokenError('the workload token callback failed', { cause: error });
        }
        if (typeof value !== 'string') throw new WorkloadTokenError('the workload token callback returned no string');
        return checked(value.trim(), 'the workload token callback');
      },
    };
  }
  if (source === null || typeof source !== 'object' || typeof source.file !== 'string' || source.file.length === 0) {
    throw new ConfigurationError('a workload token source is a JWT, { file } or a function');
  }
  const path = source.file;
  return {
    async read() {
      let text: string;
      // Symbolic links are followed: platforms (Kubernetes projected volumes) rotate tokens by
      // swapping a linked directory, and the token is a short-lived credential, not a key file.
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        throw new WorkloadTokenError(`cannot read the workload token file ${path}`, { cause: codeOnly(error) });
      }
      return checked(text.trim(), `the workload token file ${path}`);
    },
  };
}

function checked(token: string, what: string): string {
  if (token.length === 0) throw new WorkloadTokenError(`${what} is empty`);
  if (!compactJwt.test(token)) throw new WorkloadTokenError(`${what} does not hold a compact JWT`);
  return token;
}

function codeOnly(error: unknown): Error | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? new Error(code) : undefined;
}

/**
 * Token request parameters of the JWT bearer grant (`grant_type`, `assertion`, and `scope` /
 * `resource` when given). No client assertion: the workload JWT is the credential.
 *
 * @example
 * ```ts
 * const form = jwtBearerParameters(await reader.read(), { scope: 'tools:read', resource: 'https://mcp.example/mcp' });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2 (resource)
 */
export function jwtBearerParameters(assertion: string, options: { scope?: string | undefined; resource?: string | undefined } = {}): Record<string, string> {
  const parameters: Record<string, string> = { grant_type: JWT_BEARER_GRANT_TYPE, assertion };
  if (options.scope !== undefined && options.scope !== '') parameters.scope = options.scope;
  if (options.resource !== undefined) parameters.resource = options.resource;
  return parameters;
}

/** The workload-identity JWT could not be read (missing or unreadable file, not a JWT). */
export class WorkloadTokenError extends CountersignError {
  static override readonly code: string = 'ERR_WORKLOAD_TOKEN';
  override readonly code = 'ERR_WORKLOAD_TOKEN';
}

/** The OAuth errors that end a JWT bearer grant: asking again with the same JWT cannot succeed. */
export const terminalJwtBearerErrors: ReadonlySet<string> = new Set(['invalid_grant', 'invalid_scope', 'unauthorized_client', 'invalid_client', 'unsupported_grant_type']);

/**
 * The authorization server refused a JWT bearer grant (`invalid_grant`: the workload JWT is
 * expired, for another audience or not trusted; `invalid_scope`; `unauthorized_client`). It is
 * final: Countersign neither retries it nor falls back to another grant.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3.1
 */
export class JwtBearerGrantError extends CountersignError {
  static override readonly code: string = 'ERR_JWT_BEARER_GRANT';
  override readonly code = 'ERR_JWT_BEARER_GRANT';
  /** The `error` the authorization server answered, e.g. `invalid_grant`. */
  readonly error: string;
  /** Its `error_description`, when it sent one. */
  readonly errorDescription: string | undefined;
  /** HTTP status of the refusal. */
  readonly status: number;
  constructor(refusal: OAuthError, options?: CountersignErrorOptions) {
    super(
      `the authorization server refused the workload token (${refusal.error}${refusal.errorDescription ? `: ${refusal.errorDescription}` : ''}); not retried`,
      { cause: refusal, ...options },
    );
    this.error = refusal.error;
    this.errorDescription = refusal.errorDescription;
    this.status = refusal.status;
  }
}
