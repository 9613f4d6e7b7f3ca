import { InsecureEndpointError } from '../errors.js';
import { isLoopbackHost, redact } from '../lib/secure-endpoint.js';

/**
 * Parses a request URL and refuses `http:` off loopback, so a token and proof never travel in the
 * clear.
 *
 * @throws {InsecureEndpointError}
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1
 */
export function secureRequestUrl(input: string | URL): URL {
  const url = typeof input === 'string' ? new URL(input) : input;
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) return url;
  throw new InsecureEndpointError(redact(url), 'a request carrying a DPoP-bound token');
}
