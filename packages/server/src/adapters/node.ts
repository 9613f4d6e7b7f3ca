import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Accepted, Refused, Requirement, ResourceServer, VerifyOptions, Verdict } from '../types.js';
import { DEFAULT_BODY_LIMIT, parseJsonText, RequestBodyError } from './request-body.js';

/** A requirement, or a function of the request that returns one (e.g. with `action.args` from the body). */
export type NodeRequirement = VerifyOptions | ((request: IncomingMessage) => VerifyOptions | Promise<VerifyOptions>);

/** An `IncomingMessage` the middleware has verified: the accepted verdict rides along. */
export interface VerifiedIncomingMessage extends IncomingMessage {
  countersign: Accepted;
}

const maxHeaderLines = 200;

/**
 * The WHATWG `Request` (headers only) for a Node request: method, the URL the client addressed (this
 * resource's origin + the origin-form target, Express's `originalUrl` when mounted), and every header
 * line appended as received, so repeated `Authorization` or `DPoP` lines stay visible.
 */
export function toWebRequest(request: IncomingMessage, resource: string): Request | undefined {
  const path = (request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url;
  // Origin-form only: an absolute-form target could name another host and skew the htu check.
  if (path === undefined || !path.startsWith('/') || path.startsWith('//')) return undefined;
  const headers = new Headers();
  const raw = request.rawHeaders;
  if (raw.length > maxHeaderLines * 2) return undefined;
  try {
    for (let index = 0; index + 1 < raw.length; index += 2) headers.append(raw[index]!, raw[index + 1]!);
    return new Request(new URL(path, new URL(resource).origin), { method: request.method ?? 'GET', headers });
  } catch {
    return undefined;
  }
}

/**
 * Verifies a Node `http` request with `rs.verify`.
 *
 * @example
 * ```ts
 * const verdict = await verifyNodeRequest(rs, request, { scope: 'accounts:read' });
 * if (!verdict.ok) return sendRefusal(response, verdict);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7
 */
export async function verifyNodeRequest(rs: ResourceServer, request: IncomingMessage, requirement: VerifyOptions = {}): Promise<Verdict> {
  const web = toWebRequest(request, rs.resource);
  if (web === undefined) {
    return { ok: false, status: 400, error: 'invalid_request', reason: 'malformed_request', description: 'malformed request', headers: {}, body: { error: 'invalid_request', error_description: 'malformed request' } };
  }
  return rs.verify(web, requirement);
}

/** Sends a refusal as is: status, its headers (`WWW-Authenticate`, `DPoP-Nonce` …) and its JSON body. */
export function sendRefusal(response: ServerResponse, verdict: Refused | RequestBodyError): void {
  const body =
    verdict instanceof RequestBodyError ? { error: 'invalid_request', error_description: verdict.message } : verdict.body;
  const headers = verdict instanceof RequestBodyError ? (verdict.status === 413 ? { connection: 'close' } : {}) : verdict.headers;
  response.writeHead(verdict.status, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

/**
 * Express-style middleware (`(req, res, next)`, also Connect, Polka, or plain `http` with a `next`):
 * verifies the request, answers a refusal itself, and otherwise sets `DPoP-Nonce`, puts the verdict
 * on `req.countersign` (and `res.locals.countersign` when present) and calls `next()`.
 *
 * @example
 * ```ts
 * app.get('/accounts', nodeMiddleware(rs, { scope: 'accounts:read' }), (req, res) => res.json(...));
 * app.post('/payouts', express.json(), nodeMiddleware(rs, (req) => ({ scope: 'payouts:write', action: { tool: 'create_payout', args: req.body } })), pay);
 * ```
 */
export function nodeMiddleware(
  rs: ResourceServer,
  requirement: NodeRequirement = {},
): (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => Promise<void> {
  return async (request, response, next) => {
    let options: VerifyOptions;
    try {
      options = typeof requirement === 'function' ? await requirement(request) : requirement;
    } catch (error) {
      if (error instanceof RequestBodyError) return sendRefusal(response, error);
      return next(error);
    }
    const verdict = await verifyNodeRequest(rs, request, options);
    if (!verdict.ok) return sendRefusal(response, verdict);
    for (const [name, value] of Object.entries(verdict.headers)) response.setHeader(name, value);
    (request as VerifiedIncomingMessage).countersign = verdict;
    const locals = (response as ServerResponse & { locals?: Record<string, unknown> }).locals;
    if (locals !== undefined) locals.countersign = verdict;
    next();
  };
}

/**
 * Wraps a plain Node `http` handler: it runs only for a verified request, with the verdict.
 *
 * @example
 * ```ts
 * createServer(protectNode(rs, { scope: 'accounts:read' }, (req, res, verdict) => res.end(verdict.agent.clientId)));
 * ```
 */
export function protectNode(
  rs: ResourceServer,
  requirement: NodeRequirement,
  handler: (request: IncomingMessage, response: ServerResponse, verdict: Accepted) => unknown,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const middleware = nodeMiddleware(rs, requirement);
  return async (request, response) => {
    let failure: unknown;
    let passed = false;
    await middleware(request, response, (error) => {
      failure = error;
      passed = error === undefined;
    });
    if (failure !== undefined) throw failure;
    if (passed) await handler(request, response, (request as VerifiedIncomingMessage).countersign);
  };
}

/**
 * Reads a Node request's JSON body: `application/json`, at most `limit` bytes (default 64 KiB),
 * parseable; for requirements whose `action.args` is the body, without a framework body parser.
 *
 * @throws {RequestBodyError} 415, 413 or 400
 */
export async function readJsonBody(request: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const type = request.headers['content-type'];
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) {
    request.resume();
    throw new RequestBodyError('body_too_large', `the request body is larger than ${limit} bytes`);
  }
  try {
    parseJsonText(type, '{}');
  } catch (error) {
    request.resume();
    throw error;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RequestBodyError('body_too_large', `the request body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return parseJsonText(type, Buffer.concat(chunks).toString('utf8'));
}
