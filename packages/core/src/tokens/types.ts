import type { AuthorizationDetail } from '../oauth/types.js';

/**
 * A DPoP-bound access token held by the agent.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5
 */
export interface AccessToken {
  /** The access token. Never log it. */
  accessToken: string;
  /** Always `DPoP`: Countersign refuses Bearer tokens. */
  tokenType: 'DPoP';
  /** When it expires, in milliseconds since the epoch (from `expires_in`, on the agent's clock). */
  expiresAt: number;
  /** Granted scope, space-separated, when the server said. */
  scope?: string | undefined;
  /** The resource indicator it was requested for (RFC 8707), when one was given. */
  resource?: string | undefined;
  /** Authorization details granted with it (RFC 9396 §7), for approved action tokens. */
  authorizationDetails?: AuthorizationDetail[] | undefined;
}

/** What a token is for: the cache key of routine tokens. */
export interface TokenRequestOptions {
  /** RFC 8707 resource indicator: the API the token is for. */
  resource?: string | undefined;
  /** Scope: space-separated (`'a b'`) or one value per item (`['a', 'b']`). */
  scope?: string | readonly string[] | undefined;
  /** Aborts the request (and waiting for a shared refresh). */
  signal?: AbortSignal | undefined;
}
