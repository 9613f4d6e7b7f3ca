import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { ApprovalView, DevApprovals } from '../approvals/types.js';
import type { AgentRegistration } from '../types.js';
import { DevkitError } from '../errors.js';
import { withLookalikes } from '../approvals/lookalike-names.js';
import { renderInboxPage } from './inbox-page.js';
import { checkHost, checkSameOrigin, InboxRequestRefused, LOOPBACK_HOSTS, readJson } from './request-guard.js';
import { sendJson } from '../lib/send-json.js';

/** Options of {@link createInboxHandler}. */
export interface InboxHandlerOptions {
  /** Where the page lives; the JSON API is under `${basePath}/api`. Default `/inbox`. */
  basePath?: string;
  /** How often the page polls when its live stream is down, milliseconds (default 3000). */
  pollInterval?: number;
  /** Comment lines sent on the live stream to keep it open, milliseconds (default 15000). */
  heartbeatInterval?: number;
  /** `Host` names the inbox answers on (any port). Default: 127.0.0.1, localhost, [::1]. */
  allowedHosts?: readonly string[];
  /**
   * Registers an agent sent to `POST ${basePath}/api/agents` (`{ clientId, jwks, scopes, owner?,
   * rotate? }`), so a separate process (an example run with `--issuer`) can use a running dev stack.
   * The dev stack refuses (409 `already_registered`) a registration that would change the keys,
   * scopes or owner of an agent registered now unless it says `"rotate": true`; the same
   * registration again is accepted. An agent the kill switch turned off is refused (403
   * `agent_disabled`); only the operator, in the stack's process, registers it again. `rotate` is an
   * accident guard, not an access control: the dev inbox has no login. The route is absent without
   * it; it has the same loopback and same-origin guards as the approve/deny routes.
   */
  registerAgent?(registration: AgentRegistration): void;
}

/** A request handler for a node:http server: returns false when the request is not the inbox's. */
export interface InboxHandler {
  (request: IncomingMessage, response: ServerResponse): boolean;
  /** Ends every open live stream (call before closing the server). */
  close(): void;
}

const approveBody = z.strictObject({ approver: z.string().min(1).max(64) });
const denyBody = z.strictObject({ approver: z.string().min(1).max(64), reason: z.string().max(1000).optional() });
const approvalAction = /^\/approvals\/([A-Za-z0-9_-]{1,128})\/(approve|deny)$/;

/**
 * Creates the approval inbox: `GET /inbox` (the page) and a JSON API under `/inbox/api`:
 * `GET approvals`, `GET approvers`, `POST approvals/:id/approve` `{ approver }`,
 * `POST approvals/:id/deny` `{ approver, reason? }`, `POST agents` (with `options.registerAgent`) and `GET events` (Server-Sent Events, one
 * `approval` event per change). Refusals from the registry keep their {@link DevkitError} status
 * and answer `{ error, error_description }`; POSTs are guarded against CSRF and every route
 * against DNS rebinding.
 *
 * @example
 * ```ts
 * const inbox = createInboxHandler(stack.approvals);
 * createServer((request, response) => inbox(request, response) || provider.callback()(request, response));
 * ```
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
export function createInboxHandler(approvals: DevApprovals, options: InboxHandlerOptions = {}): InboxHandler {
  const basePath = (options.basePath ?? '/inbox').replace(/\/+$/, '');
  const apiPath = `${basePath}/api`;
  const allowedHosts = options.allowedHosts ?? LOOPBACK_HOSTS;
  const streams = new Set<() => void>();
  /** Views as the page gets them: with their lookalike names flagged against every name the inbox knows. */
  const shown = (views: ApprovalView[]) => withLookalikes(views, approvals.list(), approvals.approvers());
  const shownOne = (view: ApprovalView) => shown([view])[0]!;

  async function route(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    checkHost(request, allowedHosts);
    const method = request.method ?? 'GET';
    if (path === basePath || path === `${basePath}/`) {
      if (method !== 'GET' && method !== 'HEAD') return sendJson(response, 405, refusal('invalid_request', 'method not allowed'), { Allow: 'GET, HEAD' });
      return sendPage(response, method === 'HEAD', options.pollInterval ?? 3000, basePath);
    }
    const apiRoute = path.slice(apiPath.length);
    if (method === 'GET' && apiRoute === '/approvals') {
      const all = approvals.list();
      return sendJson(response, 200, { approvals: withLookalikes(all, all, approvals.approvers()), now: new Date().toISOString() });
    }
    if (method === 'GET' && apiRoute === '/approvers') return sendJson(response, 200, { approvers: approvals.approvers() });
    if (method === 'GET' && apiRoute === '/events') return openStream(request, response);
    if (apiRoute === '/agents' && method === 'POST' && options.registerAgent !== undefined) {
      checkSameOrigin(request);
      const registration = await readJson(request, 16_384);
      if (typeof registration !== 'object' || registration === null) throw new DevkitError('invalid_request', 'the body must be { clientId, jwks, scopes }');
      // The registry checks the shape, the keys (public only) and the scopes.
      options.registerAgent(registration as AgentRegistration);
      return sendJson(response, 201, { registered: (registration as { clientId?: unknown }).clientId });
    }
    const action = approvalAction.exec(apiRoute);
    if (action !== null && method === 'POST') {
      checkSameOrigin(request);
      const [, id, verb] = action as unknown as [string, string, 'approve' | 'deny'];
      const body = await readJson(request);
      if (verb === 'approve') {
        const { approver } = parseBody(approveBody, body);
        return sendJson(response, 200, { approval: shownOne(await approvals.approve(id, approver)) });
      }
      const { approver, reason } = parseBody(denyBody, body);
      return sendJson(response, 200, { approval: shownOne(await approvals.deny(id, approver, reason)) });
    }
    sendJson(response, 404, refusal('not_found', 'no such inbox resource'));
  }

  function openStream(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Content-Type-Options': 'nosniff',
    });
    response.write('retry: 2000\n\n');
    const unsubscribe = approvals.subscribe((view) => {
      // JSON.stringify escapes CR and LF, so one view is always one `data:` line.
      response.write(`event: approval\ndata: ${JSON.stringify(shownOne(view))}\n\n`);
    });
    const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), options.heartbeatInterval ?? 15_000);
    heartbeat.unref();
    const end = () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(end);
      if (!response.writableEnded) response.end();
    };
    streams.add(end);
    request.on('close', end);
    response.on('error', end);
  }

  const handler = ((request: IncomingMessage, response: ServerResponse): boolean => {
    const path = pathOf(request.url);
    if (path === undefined || !(path === basePath || path === `${basePath}/` || path.startsWith(`${apiPath}/`))) return false;
    route(request, response, path).catch((error: unknown) => {
      request.resume();
      if (response.headersSent) return void response.destroy();
      if (error instanceof DevkitError) return sendJson(response, error.status, refusal(error.code, error.message));
      if (error instanceof InboxRequestRefused) return sendJson(response, error.status, refusal('not_allowed', error.message));
      sendJson(response, 500, refusal('server_error', 'the inbox failed to handle the request'));
    });
    return true;
  }) as InboxHandler;
  handler.close = () => {
    for (const end of [...streams]) end();
  };
  return handler;
}

function pathOf(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('/')) return undefined;
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
  throw new DevkitError('invalid_request', `invalid request body (${problems.join('; ')})`);
}

function refusal(error: string, description: string): { error: string; error_description: string } {
  return { error, error_description: description };
}


function sendPage(response: ServerResponse, headOnly: boolean, pollInterval: number, basePath: string): void {
  const nonce = randomBytes(16).toString('base64');
  const html = renderInboxPage({ nonce, basePath, pollInterval });
  response.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  });
  response.end(headOnly ? undefined : html);
}
