import { TokenTypeDowngradeError } from '@countersign/core/errors';
import { McpAuthorizationError } from './errors.js';
import { createDpopSender, urlOf, type DpopKeyOptions, type FetchLike } from './dpop-sender.js';

/** Options of {@link withDpop}. */
export interface WithDpopOptions extends DpopKeyOptions {
  /** The fetch underneath (default: the global one). */
  fetch?: FetchLike | undefined;
  /**
   * Let a Bearer token through when the authorization server ignores the proof (default false:
   * the token response is refused with `TokenTypeDowngradeError`).
   */
  allowBearer?: boolean | undefined;
}

/**
 * Sender-binds the MCP SDK's own OAuth flows (the user-delegated authorization code flow of an
 * `OAuthClientProvider`, refreshes, and any provider's token requests): pass the result as the
 * transport's `fetch` next to its `authProvider`.
 *
 * - A token request (a form body with `grant_type`) gets a fresh DPoP proof, so the authorization
 *   server binds the token to this instance's key; a refusal core's DPoP exchange can recover from
 *   (the server's nonce, a clock that is off) is sent once more, built afresh.
 * - Authorization server metadata fetched through it must name the issuer its URL was built
 *   from, or the flow stops with `McpAuthorizationError` (RFC 8414 §3.3).
 * - A request the SDK sends with `Authorization: Bearer <token>` for a token issued as DPoP goes
 *   out as `Authorization: DPoP <token>` with a fresh proof carrying `ath`; a resource server's
 *   nonce challenge is answered once, as core's DPoP exchange decides.
 *
 * @example
 * ```ts
 * const transport = new StreamableHTTPClientTransport(url, { authProvider, fetch: withDpop() });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5 (token request)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7 (presenting the token)
 */
export function withDpop(options: WithDpopOptions = {}): FetchLike & { thumbprint(): Promise<string> } {
  const baseFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const sender = createDpopSender({ key: options.key, alg: options.alg, fetch: baseFetch });
  // Tokens issued bound to our key, by value: only these are presented with the DPoP scheme.
  const boundTokens = new Set<string>();

  const dpopFetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = urlOf(input);
    if (isTokenRequest(init)) {
      const response = await sender.send(url, () => ({ ...init }));
      if (response.status !== 200) return response;
      const body = (await response.clone().json().catch(() => undefined)) as { access_token?: unknown; token_type?: unknown } | undefined;
      const tokenType = typeof body?.token_type === 'string' ? body.token_type.toLowerCase() : '';
      if (tokenType === 'dpop' && typeof body?.access_token === 'string') {
        boundTokens.add(body.access_token);
      } else if (!options.allowBearer) {
        await response.body?.cancel();
        throw new TokenTypeDowngradeError(`the token endpoint issued a ${tokenType || 'typeless'} token, not a DPoP-bound one`, response.status);
      }
      return response;
    }
    const expectedIssuer = issuerOfMetadataUrl(url);
    if (expectedIssuer !== undefined && (init?.method ?? 'GET').toUpperCase() === 'GET') {
      const response = await baseFetch(url, init);
      if (response.status === 200) {
        const body = (await response.clone().json().catch(() => undefined)) as { issuer?: unknown } | undefined;
        if (body?.issuer !== expectedIssuer) {
          await response.body?.cancel();
          throw new McpAuthorizationError(`the authorization server metadata at ${url.href} names another issuer than ${expectedIssuer}`);
        }
      }
      return response;
    }
    const headers = new Headers(init?.headers);
    const authorization = headers.get('authorization');
    const match = authorization ? /^bearer +(\S+)$/i.exec(authorization) : null;
    if (match && boundTokens.has(match[1]!)) {
      headers.delete('authorization');
      return sender.send(url, () => ({ ...init, headers }), match[1]);
    }
    return baseFetch(url, init);
  };
  return Object.assign(dpopFetch, { thumbprint: () => sender.thumbprint() });
}

/**
 * The issuer an RFC 8414 / OpenID discovery URL was built from, or undefined for other URLs: the
 * metadata served there must name exactly that issuer (the SDK 1.x flow does not check it).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.3
 */
export function issuerOfMetadataUrl(url: URL): string | undefined {
  if (url.search) return undefined;
  for (const wellKnown of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    if (url.pathname === wellKnown || url.pathname.startsWith(`${wellKnown}/`)) {
      return `${url.origin}${url.pathname.slice(wellKnown.length)}`;
    }
    // OpenID Connect Discovery appends the well-known suffix to the issuer's path instead.
    if (wellKnown === '/.well-known/openid-configuration' && url.pathname.endsWith(wellKnown)) {
      return `${url.origin}${url.pathname.slice(0, -wellKnown.length)}`;
    }
  }
  return undefined;
}

function isTokenRequest(init: RequestInit | undefined): boolean {
  if (!init || (init.method ?? 'GET').toUpperCase() !== 'POST') return false;
  const body = init.body;
  if (body instanceof URLSearchParams) return body.has('grant_type');
  if (typeof body === 'string') {
    const type = new Headers(init.headers).get('content-type') ?? '';
    return type.startsWith('application/x-www-form-urlencoded') && new URLSearchParams(body).has('grant_type');
  }
  return false;
}
