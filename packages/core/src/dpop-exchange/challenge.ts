import {
  InsufficientScopeError,
  InsufficientUserAuthenticationError,
  ResourceChallengeError,
} from '../errors.js';
import { parseWwwAuthenticate, type AuthenticationChallenge } from '../lib/www-authenticate.js';

/**
 * The challenge of a `WWW-Authenticate` header that states an `error`: the `DPoP` one first, then
 * `Bearer` (some resources answer scope problems with a Bearer challenge even to DPoP clients), or
 * `undefined` when none states an error. Pure parsing: a client reading a refusal and a server
 * checking the challenges it writes see the same thing.
 *
 * @example
 * ```ts
 * errorChallenge('Bearer realm="api", DPoP error="invalid_token", algs="ES256"');
 * // { scheme: 'dpop', parameters: { error: 'invalid_token', algs: 'ES256' } }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1 (the DPoP authentication scheme)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3 (the Bearer scheme's error parameters)
 */
export function errorChallenge(wwwAuthenticate: string | null | undefined): AuthenticationChallenge | undefined {
  if (!wwwAuthenticate) return undefined;
  let bearer: AuthenticationChallenge | undefined;
  for (const challenge of parseWwwAuthenticate(wwwAuthenticate)) {
    if (challenge.parameters.error === undefined) continue;
    if (challenge.scheme === 'dpop') return challenge;
    if (challenge.scheme === 'bearer') bearer ??= challenge;
  }
  return bearer;
}

/**
 * Reads the challenge of a resource server's 401 or 403 response as a typed error, or `undefined`
 * when the response states none (it is then the application's own answer). `insufficient_scope`
 * and `insufficient_user_authentication` map to their own classes, anything else to
 * `ResourceChallengeError`. `secrets` (the access token and proof the request carried) are scrubbed
 * from the parameters, so the error never repeats them whatever the server echoes.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-9 (resource server nonces)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc9470#section-3 (insufficient_user_authentication)
 */
export function classifyChallenge(
  status: number,
  wwwAuthenticate: string | null | undefined,
  secrets: readonly (string | undefined)[] = [],
): ResourceChallengeError | undefined {
  if (status !== 401 && status !== 403) return undefined;
  const challenge = errorChallenge(wwwAuthenticate);
  if (challenge === undefined) return undefined;
  const { parameters } = challenge;
  switch (parameters.error) {
    case 'insufficient_scope':
      return new InsufficientScopeError(status, parameters, secrets);
    case 'insufficient_user_authentication':
      return new InsufficientUserAuthenticationError(status, parameters, secrets);
    default:
      return new ResourceChallengeError(status, parameters, secrets);
  }
}

/**
 * The OAuth error of an authorization server's JSON error response (`{ "error": ... }`), or
 * `undefined` when the body is not one. Used where the response is not processed into an
 * `OAuthError` first (a fetch-based client that hands the response on).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-8 (authorization server nonces)
 */
export function oauthErrorOf(body: unknown): { error: string; errorDescription: string | undefined } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { error, error_description: description } = body as { error?: unknown; error_description?: unknown };
  if (typeof error !== 'string') return undefined;
  return { error, errorDescription: typeof description === 'string' ? description : undefined };
}
