import { discoveryUrls } from '@countersign/core/oauth';
import { ResourceServerConfigurationError } from './errors.js';
import { fetchJson } from './lib/fetch-json.js';

/**
 * Fetches the issuer's metadata (RFC 8414, then OpenID Connect Discovery) and checks that its
 * `issuer` is exactly the configured one.
 *
 * @throws {ResourceServerConfigurationError} no metadata at either location, or another issuer
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.3
 */
export async function discoverIssuer(issuer: string, fetchImplementation: typeof fetch): Promise<Record<string, unknown>> {
  const failures: string[] = [];
  for (const url of discoveryUrls(issuer)) {
    let metadata: Record<string, unknown>;
    try {
      metadata = await fetchJson(fetchImplementation, url, { method: 'GET', headers: { accept: 'application/json' } });
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
      continue;
    }
    if (metadata.issuer !== issuer) throw new ResourceServerConfigurationError(`the metadata at ${url.origin}${url.pathname} names another issuer`);
    return metadata;
  }
  throw new ResourceServerConfigurationError(`no authorization server metadata for ${issuer} (${failures.join('; ')})`);
}
