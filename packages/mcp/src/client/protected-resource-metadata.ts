import type { FetchLike } from './dpop-sender.js';
import { McpAuthorizationError } from './errors.js';

/**
 * The members of RFC 9728 protected resource metadata an MCP client uses.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers?: string[];
  scopes_supported?: string[];
  dpop_bound_access_tokens_required?: boolean;
  [member: string]: unknown;
}

/**
 * Where the metadata of `resource` lives: the `resource_metadata` URL a 401 named, else the
 * well-known URL with the resource's path inserted, then the one at the origin's root.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1 (resource_metadata in WWW-Authenticate)
 */
export function protectedResourceMetadataUrls(resource: URL, fromChallenge?: string): URL[] {
  if (fromChallenge) return [new URL(fromChallenge, resource)];
  const path = resource.pathname === '/' ? '' : resource.pathname.replace(/\/$/, '');
  const urls = [new URL(`/.well-known/oauth-protected-resource${path}`, resource.origin)];
  if (path) urls.push(new URL('/.well-known/oauth-protected-resource', resource.origin));
  return urls;
}

/**
 * Fetches and checks the protected resource metadata of the MCP server at `serverUrl`: a JSON
 * object whose `resource` is the server's origin and a prefix of its path (the MCP
 * authorization spec's canonical server URI), naming at least one authorization server.
 *
 * @example
 * ```ts
 * const metadata = await fetchProtectedResourceMetadata(new URL('https://mcp.example/mcp'), challenge.parameters.resource_metadata);
 * ```
 * @throws {McpAuthorizationError} no metadata, or metadata for another resource
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
 */
export async function fetchProtectedResourceMetadata(
  serverUrl: URL,
  fromChallenge: string | undefined,
  fetchFunction: FetchLike,
): Promise<ProtectedResourceMetadata> {
  const tried: string[] = [];
  for (const url of protectedResourceMetadataUrls(serverUrl, fromChallenge)) {
    if (url.protocol !== 'https:' && !isLoopback(url.hostname)) {
      throw new McpAuthorizationError(`refusing protected resource metadata over http off loopback: ${url.origin}`);
    }
    const response = await fetchFunction(url, { method: 'GET', headers: { accept: 'application/json' } });
    if (response.status !== 200) {
      await response.body?.cancel();
      tried.push(`${url.href} (HTTP ${response.status})`);
      continue;
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new McpAuthorizationError(`the protected resource metadata at ${url.href} is not JSON`);
    }
    return checkMetadata(body, serverUrl);
  }
  throw new McpAuthorizationError(`no protected resource metadata for ${serverUrl.href}: ${tried.join(', ')}`);
}

function checkMetadata(body: unknown, serverUrl: URL): ProtectedResourceMetadata {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new McpAuthorizationError('protected resource metadata is not a JSON object');
  const metadata = body as ProtectedResourceMetadata;
  if (typeof metadata.resource !== 'string') throw new McpAuthorizationError('protected resource metadata has no resource');
  let resource: URL;
  try {
    resource = new URL(metadata.resource);
  } catch {
    throw new McpAuthorizationError('protected resource metadata names a resource that is not a URL');
  }
  const resourcePath = resource.pathname.endsWith('/') ? resource.pathname : `${resource.pathname}/`;
  const serverPath = serverUrl.pathname.endsWith('/') ? serverUrl.pathname : `${serverUrl.pathname}/`;
  if (resource.origin !== serverUrl.origin || !serverPath.startsWith(resourcePath)) {
    throw new McpAuthorizationError(`protected resource metadata is for ${metadata.resource}, not for ${serverUrl.href}`);
  }
  const servers = metadata.authorization_servers;
  if (!Array.isArray(servers) || servers.length === 0 || servers.some((server) => typeof server !== 'string')) {
    throw new McpAuthorizationError('protected resource metadata names no authorization server');
  }
  return metadata;
}

/** `localhost`, 127.0.0.0/8 or [::1]. */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}
