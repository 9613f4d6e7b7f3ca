import type { Dispatcher } from 'undici';
import { ConfigurationError, DiscoveryError } from '../errors.js';
import type { BackoffOptions } from '../lib/backoff.js';
import { exchange, type ExchangeResponse } from '../lib/http-exchange.js';
import { assertSecureEndpoint } from '../lib/secure-endpoint.js';
import type { AuthorizationServerMetadata } from './types.js';

/** Options of {@link discover}. */
export interface DiscoveryOptions {
  /** undici dispatcher used for the requests (default: the global one). */
  dispatcher?: Dispatcher | undefined;
  /** Aborts discovery. */
  signal?: AbortSignal | undefined;
  /** Timeout of each request in milliseconds (default 10 000). */
  timeoutMs?: number | undefined;
  /** Retries of network errors, 5xx and 429 (default 2). */
  retries?: number | undefined;
  /** Backoff between retries. */
  backoff?: BackoffOptions | undefined;
}

/**
 * The two metadata locations of `issuer`, in the order they are tried: the RFC 8414 well-known URI
 * (inserted between the host and the issuer's path), then OpenID Connect Discovery (appended to
 * the issuer).
 *
 * @example
 * ```ts
 * discoveryUrls('https://as.example/tenant');
 * // [https://as.example/.well-known/oauth-authorization-server/tenant,
 * //  https://as.example/tenant/.well-known/openid-configuration]
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.1
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationRequest
 */
export function discoveryUrls(issuer: string): [URL, URL] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [
    new URL(`${url.origin}/.well-known/oauth-authorization-server${path}`),
    new URL(`${url.origin}${path}/.well-known/openid-configuration`),
  ];
}

/**
 * Checks that `issuer` is a valid issuer identifier: an absolute https URL (http only on
 * loopback) without query or fragment. Returns it unchanged.
 *
 * @throws {InsecureEndpointError} http off loopback
 * @throws {ConfigurationError} not an absolute URL, or with a query or fragment
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */
export function assertIssuer(issuer: string): string {
  if (typeof issuer !== 'string' || issuer.length === 0) throw new ConfigurationError('issuer is required');
  const url = assertSecureEndpoint(issuer, 'issuer');
  if (url.search || url.hash || issuer.includes('?') || issuer.includes('#')) {
    throw new ConfigurationError('issuer must not contain a query or fragment');
  }
  return issuer;
}

/**
 * Discovers and validates the metadata of the authorization server `issuer`: RFC 8414 first, then
 * OpenID Connect Discovery when the first location has no document.
 *
 * @example
 * ```ts
 * const metadata = await discover('https://as.example');
 * metadata.token_endpoint;
 * ```
 * @throws {DiscoveryError} no metadata at either location, or a document that fails validation
 * @throws {InsecureEndpointError} the issuer or an endpoint is http off loopback
 * @throws {NetworkError | TimeoutError} the server could not be reached
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export async function discover(issuer: string, options: DiscoveryOptions = {}): Promise<AuthorizationServerMetadata> {
  assertIssuer(issuer);
  const statuses: string[] = [];
  for (const url of discoveryUrls(issuer)) {
    const response = await exchange(() => ({ method: 'GET', url, headers: { accept: 'application/json' } }), {
      what: 'metadata endpoint',
      dispatcher: options.dispatcher,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: options.retries ?? 2,
      backoff: options.backoff,
      idempotent: true,
    });
    if (response.status === 200) return processMetadataResponse(issuer, response);
    statuses.push(`${url.href} (HTTP ${response.status})`);
  }
  throw new DiscoveryError(`no authorization server metadata for ${issuer}: ${statuses.join(', ')}`);
}

const stringArrayMembers = [
  'scopes_supported',
  'response_types_supported',
  'grant_types_supported',
  'token_endpoint_auth_methods_supported',
  'token_endpoint_auth_signing_alg_values_supported',
  'dpop_signing_alg_values_supported',
  'backchannel_token_delivery_modes_supported',
  'authorization_details_types_supported',
] as const;

/**
 * Validates a metadata response without any network: HTTP 200, a JSON object, `issuer` exactly
 * equal to the configured issuer, a `token_endpoint`, and every endpoint (each `*_endpoint`
 * member, `jwks_uri` and `mtls_endpoint_aliases`) an https URL unless on loopback.
 *
 * @example
 * ```ts
 * const metadata = processMetadataResponse('https://as.example', { status: 200, headers: {}, body });
 * ```
 * @throws {DiscoveryError} wrong status, not JSON, wrong shape or a different issuer
 * @throws {InsecureEndpointError} an endpoint is http off loopback
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.2
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.3 (issuer must be identical)
 */
export function processMetadataResponse(issuer: string, response: ExchangeResponse): AuthorizationServerMetadata {
  if (response.status !== 200) throw new DiscoveryError(`metadata request answered HTTP ${response.status}`);
  let document: unknown;
  try {
    document = JSON.parse(response.body);
  } catch {
    // The parser's message quotes the body: it is not passed on.
    throw new DiscoveryError('metadata response is not valid JSON');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new DiscoveryError('metadata response is not a JSON object');
  }
  const metadata = document as Record<string, unknown>;
  if (typeof metadata.issuer !== 'string') throw new DiscoveryError('metadata has no issuer');
  if (metadata.issuer !== issuer) {
    throw new DiscoveryError(`metadata issuer ${JSON.stringify(metadata.issuer.slice(0, 200))} is not the configured issuer ${JSON.stringify(issuer)}`);
  }
  if (typeof metadata.token_endpoint !== 'string') throw new DiscoveryError('metadata has no token_endpoint');
  for (const [name, value] of Object.entries(metadata)) {
    if (name.endsWith('_endpoint') || name === 'jwks_uri') checkEndpoint(name, value);
  }
  const aliases = metadata.mtls_endpoint_aliases;
  if (aliases !== undefined) {
    if (typeof aliases !== 'object' || aliases === null || Array.isArray(aliases)) {
      throw new DiscoveryError('metadata mtls_endpoint_aliases is not an object');
    }
    for (const [name, value] of Object.entries(aliases)) checkEndpoint(`mtls_endpoint_aliases.${name}`, value);
  }
  for (const name of stringArrayMembers) {
    const value = metadata[name];
    if (value !== undefined && (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))) {
      throw new DiscoveryError(`metadata ${name} is not an array of strings`);
    }
  }
  return Object.freeze(metadata) as AuthorizationServerMetadata;
}

function checkEndpoint(name: string, value: unknown): void {
  if (typeof value !== 'string') throw new DiscoveryError(`metadata ${name} is not a string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DiscoveryError(`metadata ${name} is not an absolute URL`);
  }
  assertSecureEndpoint(url, name);
}
