/**
 * `@countersign/core/oauth`: the authorization server building blocks the agent is made of, for code
 * that talks to an AS itself (an MCP client, a conformance harness): discovery, private_key_jwt
 * client assertions, the client that sends token, CIBA and revocation requests, the pure
 * processors that validate each response (no network needed to test them), the RFC 7523
 * jwt-bearer grant for workload identity tokens, and the parameters of a CIBA request
 * (`backchannelAuthenticationParameters`).
 *
 * @example
 * ```ts
 * import { discover, processTokenResponse } from '@countersign/core/oauth';
 *
 * const metadata = await discover('https://as.example');
 * const token = processTokenResponse({ status: 200, headers, body });
 * ```
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414
 * @see https://www.rfc-editor.org/rfc/rfc7523
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html
 * @packageDocumentation
 */
export { discover, discoveryUrls, assertIssuer, processMetadataResponse } from './discovery.js';
export type { DiscoveryOptions } from './discovery.js';
export { createClientAssertionSigner, clientAssertionType } from './assertion.js';
export type { ClientAssertionSigner, ClientAssertionOptions, ClientAssertionInput } from './assertion.js';
export { createAuthorizationServerClient } from './authorization-server-client.js';
export type { AuthorizationServerClientOptions, AgentAuthorizationServerClient } from './authorization-server-client.js';
export type {
  AuthorizationServerClient,
  AuthorizationServerMetadata,
  TokenResponse,
  BackchannelAuthenticationResponse,
  RequestOptions,
} from './types.js';
export {
  processTokenResponse,
  processBackchannelAuthenticationResponse,
  processRevocationResponse,
  processErrorResponse,
} from './process-responses.js';
export type { SentSecrets } from './process-responses.js';
export { processBackchannelResponse, processApprovedTokenResponse, sameAuthorizationDetails } from './ciba-responses.js';
export type { BackchannelResult, ApprovedGrant } from './ciba-responses.js';
export { CIBA_GRANT_TYPE } from './grant-types.js';
export { backchannelAuthenticationParameters } from '../approvals/backchannel-parameters.js';
export type { ExchangeResponse } from '../lib/http-exchange.js';
export type { BackoffOptions } from '../lib/backoff.js';
export {
  JWT_BEARER_GRANT_TYPE,
  workloadTokenReader,
  jwtBearerParameters,
  terminalJwtBearerErrors,
  WorkloadTokenError,
  JwtBearerGrantError,
} from './jwt-bearer-grant.js';
export type { WorkloadTokenSource, WorkloadTokenReader } from './jwt-bearer-grant.js';
