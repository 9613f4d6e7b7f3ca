import { OAuthError } from '@countersign/core';
import {
  clientAssertionType,
  jwtBearerParameters,
  JwtBearerGrantError,
  processErrorResponse,
  terminalJwtBearerErrors,
  type AuthorizationServerMetadata,
  type ClientAssertionSigner,
  type WorkloadTokenReader,
} from '@countersign/core/oauth';
import { ResponseError, TokenTypeDowngradeError } from '@countersign/core/errors';
import type { DpopSender } from './dpop-sender.js';

/** How the agent proves who it is at the token endpoint. */
export type AgentGrant =
  | { type: 'client_credentials'; assertions: ClientAssertionSigner }
  | { type: 'jwt_bearer'; clientId?: string | undefined; workloadToken: WorkloadTokenReader };

/** A token the agent holds for one MCP server. */
export interface HeldToken {
  value: string;
  /** `DPoP` (bound to the sender's key) or, only where allowed, `Bearer`. */
  type: 'DPoP' | 'Bearer';
  scope: string | undefined;
  /** Epoch milliseconds, counted from before the request. */
  expiresAt: number;
}

/** Inputs of {@link requestAgentToken}. */
export interface AgentTokenRequest {
  metadata: AuthorizationServerMetadata;
  grant: AgentGrant;
  sender: DpopSender;
  scope?: string | undefined;
  resource?: string | undefined;
  /** Accept a Bearer token from an authorization server that does not do DPoP (default false). */
  allowBearer?: boolean | undefined;
}

/**
 * Asks the token endpoint for a token as the agent itself: client credentials with a
 * private_key_jwt assertion (SEP-1046), or the JWT bearer grant with a workload-identity JWT
 * (SEP-1933). Every attempt carries a new DPoP proof and a new assertion; the sender (core's DPoP
 * exchange) sends it once more for the server's nonce, or for a proof refused for its time with
 * the clock corrected. Nothing else is retried, and a refused JWT bearer grant ends as
 * {@link JwtBearerGrantError} without any other grant being tried.
 *
 * @example
 * ```ts
 * const token = await requestAgentToken({ metadata, grant, sender, scope: 'tools:call', resource: 'https://mcp.example/mcp' });
 * ```
 * @throws {OAuthError | JwtBearerGrantError} the authorization server refused
 * @throws {TokenTypeDowngradeError} a Bearer token where DPoP was required
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1 (JWT bearer grant)
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2 (private_key_jwt)
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2 (resource)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5 (DPoP token request)
 */
export async function requestAgentToken(request: AgentTokenRequest): Promise<HeldToken> {
  const { metadata, grant, sender, scope, resource } = request;
  const url = new URL(metadata.token_endpoint);
  const startedAt = Date.now();
  const response = await sender.send(url, async () => {
    let parameters: Record<string, string>;
    if (grant.type === 'jwt_bearer') {
      parameters = jwtBearerParameters(await grant.workloadToken.read(), { scope, resource });
      if (grant.clientId !== undefined) parameters.client_id = grant.clientId;
    } else {
      parameters = { grant_type: 'client_credentials', client_id: grant.assertions.clientId };
      if (scope) parameters.scope = scope;
      if (resource !== undefined) parameters.resource = resource;
      parameters.client_assertion_type = clientAssertionType;
      parameters.client_assertion = await grant.assertions.create({ audience: metadata.issuer });
    }
    return {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(parameters).toString(),
    };
  });
  const text = await response.text();
  if (response.status !== 200) {
    const error = processErrorResponse({ status: response.status, headers: {}, body: text }, 'token endpoint');
    if (grant.type === 'jwt_bearer' && error instanceof OAuthError && terminalJwtBearerErrors.has(error.error)) throw new JwtBearerGrantError(error);
    throw error;
  }
  return processHeldToken(text, response.status, scope, startedAt, request.allowBearer ?? false);
}

/**
 * Validates a token response into a {@link HeldToken}: a non-empty `access_token`, `token_type`
 * DPoP (or Bearer when `allowBearer`), a positive `expires_in` (default one hour when absent).
 *
 * @throws {TokenTypeDowngradeError} a Bearer token when not allowed, or another type
 * @throws {ResponseError} not JSON, or missing members
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export function processHeldToken(text: string, status: number, requestedScope: string | undefined, startedAt: number, allowBearer: boolean): HeldToken {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ResponseError('the token endpoint answered with something other than JSON', status);
  }
  if (typeof body !== 'object' || body === null || typeof body.access_token !== 'string' || body.access_token.length === 0) {
    throw new ResponseError('the token response has no access_token', status);
  }
  const tokenType = typeof body.token_type === 'string' ? body.token_type.toLowerCase() : '';
  let type: HeldToken['type'];
  if (tokenType === 'dpop') type = 'DPoP';
  else if (tokenType === 'bearer' && allowBearer) type = 'Bearer';
  else throw new TokenTypeDowngradeError(`the token endpoint issued a ${tokenType || 'typeless'} token, not a DPoP-bound one`, status);
  const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600;
  return {
    value: body.access_token,
    type,
    scope: typeof body.scope === 'string' ? body.scope : requestedScope,
    expiresAt: startedAt + expiresIn * 1000,
  };
}
