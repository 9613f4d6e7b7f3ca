/**
 * One RFC 9396 authorization details object.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9396#section-2
 */
export interface AuthorizationDetail {
  type: string;
  [member: string]: unknown;
}

/**
 * Authorization server metadata members Countersign uses.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.4
 */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri?: string;
  revocation_endpoint?: string;
  introspection_endpoint?: string;
  backchannel_authentication_endpoint?: string;
  backchannel_token_delivery_modes_supported?: string[];
  dpop_signing_alg_values_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  token_endpoint_auth_signing_alg_values_supported?: string[];
  authorization_details_types_supported?: string[];
  [member: string]: unknown;
}

/**
 * A successful token response, validated (token_type is DPoP).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface TokenResponse {
  access_token: string;
  token_type: 'DPoP';
  expires_in: number;
  scope?: string;
  authorization_details?: AuthorizationDetail[];
  [member: string]: unknown;
}

/**
 * A successful CIBA backchannel authentication response.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.3
 */
export interface BackchannelAuthenticationResponse {
  auth_req_id: string;
  expires_in: number;
  interval?: number;
  [member: string]: unknown;
}

/** Per-call options of the authorization server client. */
export interface RequestOptions {
  signal?: AbortSignal | undefined;
}

/**
 * The agent's client for its authorization server: every request is client-authenticated with a
 * fresh private_key_jwt assertion, carries a fresh DPoP proof where the endpoint takes one, handles
 * a request for a DPoP nonce once, corrects clock skew once, retries transient failures, and turns OAuth error
 * responses into {@link OAuthError}. Approvals and the token cache are built on it.
 */
export interface AuthorizationServerClient {
  /** Discovered, validated metadata (fetched once, then cached). */
  metadata(options?: RequestOptions): Promise<AuthorizationServerMetadata>;
  /**
   * A token endpoint request for `grantType` with extra form `parameters`, DPoP-bound.
   * OAuth errors (including `authorization_pending` and `slow_down`) throw {@link OAuthError}.
   */
  tokenRequest(grantType: string, parameters: Record<string, string>, options?: RequestOptions): Promise<TokenResponse>;
  /** A CIBA backchannel authentication request (client-authenticated, no DPoP). */
  backchannelAuthentication(parameters: Record<string, string>, options?: RequestOptions): Promise<BackchannelAuthenticationResponse>;
  /** RFC 7009 revocation of `token`; resolves when revoked or when the server offers no revocation. */
  revoke(token: string, options?: RequestOptions): Promise<void>;
}
