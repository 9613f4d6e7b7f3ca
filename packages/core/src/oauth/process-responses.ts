import { OAuthError, ResponseError, TokenTypeDowngradeError } from '../errors.js';
import type { ExchangeResponse } from '../lib/http-exchange.js';
import type { AuthorizationDetail } from './types.js';
import type { BackchannelAuthenticationResponse, TokenResponse } from './types.js';

/**
 * Lifetime assumed for an access token whose response has no `expires_in` (RFC 6749 §5.1 only
 * RECOMMENDS it): 5 minutes. Such a token is refreshed ahead of that time like any other, and at
 * once when a resource answers `invalid_token`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 300;

/** What a request carried that must never come back in an error: the assertion, the proof, a token. */
export type SentSecrets = readonly (string | undefined)[];

/**
 * Parses a JSON object body. Never passes on the parser's message: it quotes the body, which may
 * hold a token.
 *
 * @throws {ResponseError} not JSON, or not an object
 */
export function parseJsonObject(response: ExchangeResponse, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(response.body);
  } catch {
    throw new ResponseError(`the ${what} response is not valid JSON (HTTP ${response.status})`, response.status);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ResponseError(`the ${what} response is not a JSON object (HTTP ${response.status})`, response.status);
  }
  return value as Record<string, unknown>;
}

/**
 * Turns an error response into an {@link OAuthError} when its body is an OAuth error object, or a
 * {@link ResponseError} naming the status otherwise. Members other than `error` and
 * `error_description` are kept in `parameters`. Whatever the server sends back is scrubbed of the
 * request's `secrets` and of anything that looks like a token or key before it reaches the error.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export function processErrorResponse(response: ExchangeResponse, what: string, secrets: SentSecrets = []): OAuthError | ResponseError {
  let body: Record<string, unknown> | undefined;
  try {
    body = parseJsonObject(response, what);
  } catch {
    body = undefined;
  }
  if (!body || typeof body.error !== 'string' || body.error.length === 0) {
    return new ResponseError(`the ${what} answered HTTP ${response.status} without an OAuth error`, response.status);
  }
  const { error, error_description: description, ...parameters } = body;
  return new OAuthError(error as string, typeof description === 'string' ? description : undefined, response.status, { parameters, secrets });
}

/**
 * Validates a token endpoint response: HTTP 200, a JSON object with a non-empty `access_token`,
 * `token_type` DPoP (compared case-insensitively), a positive `expires_in` (when absent,
 * {@link DEFAULT_TOKEN_LIFETIME_SECONDS}), and when present a string `scope` and an array of objects
 * with a string `type` as `authorization_details`.
 *
 * @example
 * ```ts
 * const token = processTokenResponse({ status: 200, headers: {}, body: await response.body.text() });
 * token.token_type; // 'DPoP'
 * ```
 * @throws {OAuthError} an OAuth error response (`authorization_pending`, `invalid_grant`, …)
 * @throws {TokenTypeDowngradeError} any `token_type` but DPoP (a Bearer downgrade)
 * @throws {ResponseError} anything malformed or incomplete
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-7
 */
export function processTokenResponse(response: ExchangeResponse, secrets: SentSecrets = []): TokenResponse {
  const what = 'token endpoint';
  if (response.status !== 200) throw processErrorResponse(response, what, secrets);
  const body = parseJsonObject(response, what);
  if (typeof body.access_token !== 'string' || body.access_token.length === 0) {
    throw new ResponseError('the token endpoint response has no access_token', response.status);
  }
  if (typeof body.token_type !== 'string') {
    throw new ResponseError('the token endpoint response has no token_type', response.status);
  }
  if (body.token_type.toLowerCase() !== 'dpop') {
    const tokenType = /^[A-Za-z][A-Za-z0-9_-]{0,19}$/.test(body.token_type) ? body.token_type : 'unrecognized';
    throw new TokenTypeDowngradeError(
      `the token endpoint issued a ${JSON.stringify(tokenType)} token instead of a DPoP-bound one; it is not used`,
      response.status,
    );
  }
  if (body.expires_in === undefined || body.expires_in === null) {
    body.expires_in = DEFAULT_TOKEN_LIFETIME_SECONDS;
  } else if (typeof body.expires_in !== 'number' || !Number.isFinite(body.expires_in) || body.expires_in <= 0) {
    throw new ResponseError('the token endpoint response has no valid expires_in', response.status);
  }
  if (body.scope !== undefined && typeof body.scope !== 'string') {
    throw new ResponseError('the token endpoint response has a scope that is not a string', response.status);
  }
  if (body.authorization_details !== undefined && !isAuthorizationDetails(body.authorization_details)) {
    throw new ResponseError('the token endpoint response has malformed authorization_details', response.status);
  }
  return { ...body, token_type: 'DPoP' } as TokenResponse;
}

/**
 * Validates a CIBA backchannel authentication response: HTTP 200, a non-empty `auth_req_id`, a
 * positive `expires_in`, and a non-negative `interval` when present.
 *
 * @throws {OAuthError} an OAuth error response
 * @throws {ResponseError} anything malformed or incomplete
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.3
 */
export function processBackchannelAuthenticationResponse(response: ExchangeResponse, secrets: SentSecrets = []): BackchannelAuthenticationResponse {
  const what = 'backchannel authentication endpoint';
  if (response.status !== 200) throw processErrorResponse(response, what, secrets);
  const body = parseJsonObject(response, what);
  if (typeof body.auth_req_id !== 'string' || body.auth_req_id.length === 0) {
    throw new ResponseError('the backchannel authentication response has no auth_req_id', response.status);
  }
  if (typeof body.expires_in !== 'number' || !Number.isFinite(body.expires_in) || body.expires_in <= 0) {
    throw new ResponseError('the backchannel authentication response has no valid expires_in', response.status);
  }
  if (body.interval !== undefined && (typeof body.interval !== 'number' || !Number.isFinite(body.interval) || body.interval < 0)) {
    throw new ResponseError('the backchannel authentication response has an invalid interval', response.status);
  }
  return body as BackchannelAuthenticationResponse;
}

/**
 * Validates a revocation response: HTTP 200 (its body is ignored).
 *
 * @throws {OAuthError} an OAuth error response (for example `unsupported_token_type`)
 * @throws {ResponseError} any other status
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2
 */
export function processRevocationResponse(response: ExchangeResponse, secrets: SentSecrets = []): void {
  if (response.status !== 200) throw processErrorResponse(response, 'revocation endpoint', secrets);
}

function isAuthorizationDetails(value: unknown): value is AuthorizationDetail[] {
  return (
    Array.isArray(value) &&
    value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item) && typeof (item as { type?: unknown }).type === 'string')
  );
}
