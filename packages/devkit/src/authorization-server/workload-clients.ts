import { JWT_BEARER_GRANT_TYPE } from './jwt-bearer-grant.js';

/**
 * oidc-provider client metadata of an agent whose only credential is a workload-identity JWT: no
 * client authentication (`none`: the JWT bearer grant's assertion is the credential), that grant
 * only (so no CIBA, no client credentials), DPoP-bound tokens.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5.2 (dpop_bound_access_tokens)
 */
export function workloadClientMetadata(clientId: string): Record<string, unknown> {
  return {
    client_id: clientId,
    token_endpoint_auth_method: 'none',
    grant_types: [JWT_BEARER_GRANT_TYPE],
    response_types: [],
    redirect_uris: [],
    dpop_bound_access_tokens: true,
    scope: 'openid',
    id_token_signed_response_alg: 'ES256',
  };
}
