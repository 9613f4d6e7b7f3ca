import { ConfigurationError, type KeyStore, type Signer } from '@countersign/core';
import { parseWwwAuthenticate, type AuthenticationChallenge } from '@countersign/core/dpop';
import {
  createClientAssertionSigner,
  workloadTokenReader,
  type AuthorizationServerMetadata,
  type WorkloadTokenSource,
} from '@countersign/core/oauth';
import { createDpopSender, urlOf, type DpopKeyOptions, type FetchLike } from './dpop-sender.js';
import { fetchProtectedResourceMetadata, type ProtectedResourceMetadata } from './protected-resource-metadata.js';
import { chooseAuthorizationServer, discoverThrough, issuerTrustOf, type TrustedIssuers } from './trusted-authorization-server.js';
import { requestAgentToken, type AgentGrant, type HeldToken } from './token-endpoint.js';

/**
 * Who the agent is at the MCP server's authorization server: its own client with a private key
 * (private_key_jwt client credentials, SEP-1046), or a workload-identity JWT exchanged with the
 * JWT bearer grant (SEP-1933), read again whenever a token is requested so a rotated one is used.
 */
export type McpAgentIdentity =
  | { clientId: string; key: Signer | KeyStore }
  | { clientId?: string | undefined; workloadToken: WorkloadTokenSource };

/** Options of {@link createMcpAgentFetch}. */
export interface McpAgentFetchOptions {
  /** Who the agent is. */
  identity: McpAgentIdentity;
  /** Scope asked for when the server's challenge names none (else its metadata's scopes_supported). */
  scope?: string | undefined;
  /**
   * The authorization server the agent trusts (used when the MCP server's metadata names it).
   * `issuer` or `trustedIssuers` is required: the agent's credential never goes to an
   * authorization server only the MCP server vouches for.
   */
  issuer?: string | undefined;
  /**
   * Further authorization servers the agent may authenticate to: exact issuers, or a predicate.
   * The first one the MCP server's metadata names that is trusted is used; metadata naming none
   * is refused with `UntrustedAuthorizationServerError`, nothing sent.
   */
  trustedIssuers?: TrustedIssuers | undefined;
  /** The DPoP key (default: a fresh non-extractable ES256 key for this instance). */
  dpop?: DpopKeyOptions | undefined;
  /**
   * Accept a Bearer token when the authorization server does not issue DPoP-bound ones
   * (default false: such a token is refused with `TokenTypeDowngradeError`).
   */
  allowBearer?: boolean | undefined;
  /** The fetch underneath, for MCP, metadata, discovery and token requests (default: the global one). */
  fetch?: FetchLike | undefined;
  /** Seconds before expiry at which a token is replaced before use (default 30). */
  refreshAheadSeconds?: number | undefined;
}

/** A fetch for the SDK's Streamable HTTP transport that authenticates as the agent. */
export interface McpAgentFetch extends FetchLike {
  /** The DPoP key's JWK thumbprint (`cnf.jkt` of the tokens it holds). */
  thumbprint(): Promise<string>;
}

interface ServerState {
  metadata?: ProtectedResourceMetadata;
  authorizationServer?: AuthorizationServerMetadata;
  token?: HeldToken;
  authorizing?: Promise<HeldToken>;
}

/**
 * Creates a fetch for `new StreamableHTTPClientTransport(url, { fetch })` with which an agent
 * calls MCP servers as itself, holding DPoP-bound tokens:
 *
 * - a 401 from the server starts discovery: its RFC 9728 metadata (from `resource_metadata`, else
 *   the well-known URLs) must describe this server and name an authorization server the agent
 *   trusts (`issuer` / `trustedIssuers`, one of them required), whose RFC 8414 metadata must name
 *   the issuer it was fetched for;
 * - the token is requested with the RFC 8707 `resource` and the scope the challenge names;
 * - every request carries a fresh proof; a nonce challenge from either server (or a proof refused
 *   for its time) is answered once, as core's DPoP exchange (`DpopExchange`) decides;
 * - a 403 `insufficient_scope` asks once for the scopes held plus those named, then gives up:
 *   no loops.
 *
 * @example
 * ```ts
 * const transport = new StreamableHTTPClientTransport(new URL('https://mcp.example/mcp'), {
 *   fetch: createMcpAgentFetch({ identity: { clientId: 'payout-agent', key }, issuer: 'https://as.example' }),
 * });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728 (protected resource metadata)
 * @see https://www.rfc-editor.org/rfc/rfc9449 (DPoP)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1 (insufficient_scope)
 */
export function createMcpAgentFetch(options: McpAgentFetchOptions): McpAgentFetch {
  const baseFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const sender = createDpopSender({ ...options.dpop, fetch: baseFetch });
  const grant = grantOf(options.identity);
  const trust = issuerTrustOf(options.issuer, options.trustedIssuers);
  const refreshAheadMs = (options.refreshAheadSeconds ?? 30) * 1000;
  const servers = new Map<string, ServerState>();

  function stateOf(url: URL): ServerState {
    const key = `${url.origin}${url.pathname}`;
    let state = servers.get(key);
    if (!state) servers.set(key, (state = {}));
    return state;
  }

  async function authorize(url: URL, state: ServerState, challenge: AuthenticationChallenge | undefined, scope: string | undefined): Promise<HeldToken> {
    state.authorizing ??= (async () => {
      state.metadata ??= await fetchProtectedResourceMetadata(url, challenge?.parameters.resource_metadata, baseFetch);
      const issuer = chooseAuthorizationServer(state.metadata.authorization_servers!, options.issuer, trust, url.origin);
      state.authorizationServer ??= await discoverThrough(issuer, options.fetch);
      const token = await requestAgentToken({
        metadata: state.authorizationServer,
        grant,
        sender,
        scope: scope ?? options.scope ?? state.metadata.scopes_supported?.join(' '),
        resource: state.metadata.resource,
        allowBearer: options.allowBearer,
      });
      state.token = token;
      return token;
    })().finally(() => (state.authorizing = undefined));
    return state.authorizing;
  }

  async function send(url: URL, init: RequestInit | undefined, token: HeldToken | undefined): Promise<Response> {
    if (token?.type === 'Bearer') {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${token.value}`);
      return baseFetch(url, { ...init, headers });
    }
    return sender.send(url, () => ({ ...init }), token?.value);
  }

  const agentFetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = urlOf(input);
    const state = stateOf(url);
    if (init?.body instanceof ReadableStream) throw new ConfigurationError('a streamed request body cannot be sent again after a challenge');
    let token = state.authorizing ? await state.authorizing : state.token;
    if (token && token.expiresAt - refreshAheadMs <= Date.now()) token = await authorize(url, state, undefined, token.scope);
    let response = await send(url, init, token);
    let authorizedNow = false;

    if (response.status === 401) {
      const challenge = challengeOf(response);
      await response.body?.cancel();
      token = await authorize(url, state, challenge, challenge?.parameters.scope ?? token?.scope);
      authorizedNow = true;
      response = await send(url, init, token);
    }
    if (response.status === 403) {
      const challenge = challengeOf(response);
      if (challenge?.parameters.error === 'insufficient_scope') {
        const wanted = unionOfScopes(token?.scope, challenge.parameters.scope);
        // Step up once per request, and only toward more scope: the same refusal again is final.
        if (wanted !== undefined && wanted !== token?.scope && !(authorizedNow && challenge.parameters.scope === undefined)) {
          await response.body?.cancel();
          token = await authorize(url, state, challenge, wanted);
          response = await send(url, init, token);
        }
      }
    }
    return response;
  };

  return Object.assign(agentFetch, { thumbprint: () => sender.thumbprint() });
}

function grantOf(identity: McpAgentIdentity): AgentGrant {
  if (identity && 'workloadToken' in identity) {
    return { type: 'jwt_bearer', clientId: identity.clientId, workloadToken: workloadTokenReader(identity.workloadToken) };
  }
  if (!identity || typeof identity.clientId !== 'string' || !('key' in identity)) {
    throw new ConfigurationError('identity is { clientId, key } or { workloadToken }');
  }
  return { type: 'client_credentials', assertions: createClientAssertionSigner(identity.key, identity.clientId) };
}

function challengeOf(response: Response): AuthenticationChallenge | undefined {
  const challenges = parseWwwAuthenticate(response.headers.get('www-authenticate'));
  return challenges.find((challenge) => challenge.scheme === 'dpop') ?? challenges.find((challenge) => challenge.scheme === 'bearer') ?? challenges[0];
}

function unionOfScopes(held: string | undefined, named: string | undefined): string | undefined {
  if (named === undefined) return held;
  const scopes = new Set([...(held?.split(' ') ?? []), ...named.split(' ')].filter(Boolean));
  return [...scopes].join(' ');
}
