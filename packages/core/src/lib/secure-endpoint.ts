import { ConfigurationError, InsecureEndpointError } from '../errors.js';

/**
 * True when `hostname` (as the WHATWG URL parser normalizes it) names the local machine:
 * `localhost`, an address in 127.0.0.0/8, or `[::1]`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6761#section-6.3 (localhost)
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.3 (loopback is the one safe place for http)
 */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  // The URL parser already turned shorthand forms such as `127.1` into dotted quads.
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Parses `url` and checks that it is `https:`, or `http:` on a loopback host. Returns the parsed URL.
 * `what` names the endpoint in the error (for example `token_endpoint`).
 *
 * @throws {InsecureEndpointError} for `http:` off loopback and for any other scheme
 * @throws {ConfigurationError} when `url` is not an absolute URL
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2 (endpoints use TLS)
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1
 */
export function assertSecureEndpoint(url: string | URL, what: string): URL {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch (error) {
    throw new ConfigurationError(`${what} is not an absolute URL`, { cause: error });
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return parsed;
  throw new InsecureEndpointError(redact(parsed), what);
}

/** The URL without user info, query or fragment: what may appear in an error message. */
export function redact(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
