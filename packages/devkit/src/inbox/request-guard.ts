import type { IncomingMessage } from 'node:http';
import { DevkitError } from '../errors.js';

/** The header the inbox page sends with every state-changing request. */
export const INBOX_CSRF_HEADER = 'x-countersign-inbox';

/** Host names the inbox answers on by default: loopback only. */
export const LOOPBACK_HOSTS: readonly string[] = Object.freeze(['127.0.0.1', 'localhost', '[::1]']);

/** Thrown for a request the inbox will not serve; mapped to 403 (or 421) without a body worth reading. */
export class InboxRequestRefused extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'InboxRequestRefused';
    this.status = status;
  }
}

/**
 * Refuses a request whose `Host` is not one of `allowedHosts` (any port). A page on another site
 * whose DNS name was rebound to 127.0.0.1 is same-origin for the browser, but it still sends its
 * own name as `Host`, so this closes DNS rebinding.
 */
export function checkHost(request: IncomingMessage, allowedHosts: readonly string[]): void {
  const host = request.headers.host;
  if (host === undefined) throw new InboxRequestRefused(400, 'a Host header is required');
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    throw new InboxRequestRefused(400, 'malformed Host header');
  }
  if (!allowedHosts.includes(hostname)) throw new InboxRequestRefused(421, 'the inbox does not answer on this host name');
}

/**
 * Refuses a cross-site state-changing request (CSRF): it must carry the inbox's custom header
 * (which a cross-origin page cannot add without a CORS preflight that the inbox never grants), be
 * `application/json`, and, when the browser says where it comes from (`Origin`,
 * `Sec-Fetch-Site`), come from this very origin.
 *
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
 */
export function checkSameOrigin(request: IncomingMessage): void {
  if (request.headers[INBOX_CSRF_HEADER] !== '1') {
    throw new InboxRequestRefused(403, `state-changing requests must carry the ${INBOX_CSRF_HEADER} header`);
  }
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new InboxRequestRefused(403, 'cross-site request refused');
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `http://${request.headers.host}`) throw new InboxRequestRefused(403, 'cross-origin request refused');
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new DevkitError('invalid_request', 'the request body must be application/json');
}

/** Reads a JSON body of at most `limit` bytes; anything else is DevkitError `invalid_request`. */
export async function readJson(request: IncomingMessage, limit = 8192): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new DevkitError('invalid_request', `the request body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new DevkitError('invalid_request', 'the request body is not valid JSON');
  }
}
