import { ConfigurationError } from '@countersign/core';
import {
  assertIssuer,
  discover,
  discoveryUrls,
  processMetadataResponse,
  type AuthorizationServerMetadata,
} from '@countersign/core/oauth';
import { DiscoveryError } from '@countersign/core/errors';
import type { FetchLike } from './dpop-sender.js';
import { UntrustedAuthorizationServerError } from './errors.js';

/**
 * The authorization servers an agent may authenticate to, by RFC 8414 issuer identifier: a list
 * compared exactly, or a predicate the application owns (e.g. its tenant's issuers).
 */
export type TrustedIssuers = readonly string[] | ((issuer: string) => boolean);

/** Decides whether an issuer named by an MCP server's metadata may be sent a credential. */
export type IssuerTrust = (issuer: string) => boolean;

/**
 * Builds the trust decision from `issuer` and `trustedIssuers`; at least one is required, since
 * the agent's credential (workload JWT or client assertion) must never go to an authorization
 * server that the MCP server, rather than the agent's operator, chose.
 *
 * @throws {ConfigurationError} neither is given, or a listed issuer is not a valid issuer identifier
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-7.6
 */
export function issuerTrustOf(issuer: string | undefined, trustedIssuers: TrustedIssuers | undefined): IssuerTrust {
  if (issuer === undefined && trustedIssuers === undefined) {
    throw new ConfigurationError(
      'createMcpAgentFetch needs `issuer` or `trustedIssuers`: the agent only authenticates to authorization servers it was configured to trust',
    );
  }
  const listed = new Set<string>();
  if (issuer !== undefined) listed.add(assertIssuer(issuer));
  if (Array.isArray(trustedIssuers)) for (const trusted of trustedIssuers as readonly string[]) listed.add(assertIssuer(trusted));
  else if (trustedIssuers !== undefined && typeof trustedIssuers !== 'function') {
    throw new ConfigurationError('trustedIssuers is an array of issuers or a function');
  }
  const predicate = typeof trustedIssuers === 'function' ? trustedIssuers : undefined;
  return (candidate) => listed.has(candidate) || (predicate?.(candidate) ?? false);
}

/**
 * Picks the authorization server to use among those an MCP server's metadata names: the
 * configured `issuer` when named, else the first one trusted.
 *
 * @throws {UntrustedAuthorizationServerError} none of them is trusted
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2 (authorization_servers)
 */
export function chooseAuthorizationServer(named: readonly string[], preferred: string | undefined, trust: IssuerTrust, serverOrigin: string): string {
  if (preferred !== undefined && named.includes(preferred)) return preferred;
  const chosen = named.find((candidate) => trust(candidate));
  if (chosen !== undefined) return chosen;
  throw new UntrustedAuthorizationServerError(
    `the MCP server ${serverOrigin} names only untrusted authorization servers (${named.join(', ')}); nothing was sent to them`,
    named,
  );
}

/**
 * Discovers the authorization server `issuer` (RFC 8414, then OpenID Connect Discovery) through
 * `fetchFunction` when one is configured, so a proxy or egress allow-list applies to discovery
 * too; else through core's `discover` (undici, with retries).
 *
 * @throws {DiscoveryError} no metadata, or metadata naming another issuer
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export async function discoverThrough(issuer: string, fetchFunction: FetchLike | undefined): Promise<AuthorizationServerMetadata> {
  if (!fetchFunction) return discover(issuer);
  assertIssuer(issuer);
  const statuses: string[] = [];
  for (const url of discoveryUrls(issuer)) {
    const response = await fetchFunction(url, { method: 'GET', headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    if (response.status === 200) {
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => (headers[name] = value));
      return processMetadataResponse(issuer, { status: 200, headers, body: await response.text() });
    }
    await response.body?.cancel();
    statuses.push(`${url.href} (HTTP ${response.status})`);
  }
  throw new DiscoveryError(`no authorization server metadata for ${issuer}: ${statuses.join(', ')}`);
}
