import type { Accepted, ResourceServer, VerifyOptions } from '../types.js';
import { RequestBodyError } from './request-body.js';

/** A requirement, or a function of the request that returns one (e.g. `action.args` from `readJsonRequest`). */
export type FetchRequirement = VerifyOptions | ((request: Request) => VerifyOptions | Promise<VerifyOptions>);

/**
 * Wraps a fetch-style handler (`(request) => Response`: Hono, Next.js route handlers, Bun, Deno,
 * Cloudflare Workers): the handler runs only for a verified request, with its verdict; a refusal is
 * answered as is; `DPoP-Nonce` is added to the handler's response.
 *
 * @example
 * ```ts
 * export const POST = protectFetch(rs, async (request) => ({
 *   scope: 'payouts:write',
 *   action: { tool: 'create_payout', args: await readJsonRequest(request) },
 * }), async (request, verdict) => Response.json(await pay(await request.json(), verdict)));
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7
 */
export function protectFetch(
  rs: ResourceServer,
  requirement: FetchRequirement,
  handler: (request: Request, verdict: Accepted) => Response | Promise<Response>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    let options: VerifyOptions;
    try {
      options = typeof requirement === 'function' ? await requirement(request) : requirement;
    } catch (error) {
      if (!(error instanceof RequestBodyError)) throw error;
      return Response.json({ error: 'invalid_request', error_description: error.message }, { status: error.status, headers: { 'cache-control': 'no-store' } });
    }
    const verdict = await rs.verify(request, options);
    if (!verdict.ok) return Response.json(verdict.body, { status: verdict.status, headers: { ...verdict.headers, 'cache-control': 'no-store' } });
    const response = await handler(request, verdict);
    if (Object.keys(verdict.headers).length === 0) return response;
    const headers = new Headers(response.headers);
    for (const [name, value] of Object.entries(verdict.headers)) headers.set(name, value);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}
