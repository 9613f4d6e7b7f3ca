import type { Dispatcher } from 'undici';
import { canonicalMethod } from '../lib/http-method.js';
import { ConfigurationError } from '../errors.js';
import { normalizeRequestHeaders } from '../lib/request-headers.js';
import type { TokenRequestOptions } from '../tokens/types.js';
import type { AgentFetchContext } from './agent-fetch.js';
import { asError, DpopDispatchHandler } from './dpop-dispatch-handler.js';
import { secureRequestUrl } from './secure-request-url.js';
import { resourceOrigin } from './token-audience-error.js';

type DispatchController = Dispatcher.DispatchController;

const replaced = new Set(['authorization', 'dpop']);

/**
 * An undici interceptor that does what `agent.fetch` does for any undici request (`request`,
 * `stream`, `fetch` with this dispatcher, …): `Authorization: DPoP <token>` and a fresh proof on
 * every request, and the recoveries the DPoP exchange engine decides (`dpop-exchange/recovery.ts`:
 * a server nonce, a corrected clock, a new token; each once, and only when the body can be sent
 * again: no body, a string or bytes; streamed bodies, such as fetch's, are never re-sent), and
 * typed errors for other challenges. This is the thin undici factory; each request is one
 * `DpopDispatchHandler` around a `DpopExchange`. Request headers may be an object, a flat array or
 * an iterable of pairs.
 *
 * The interceptor serves one origin: that of `target.resource` when given, otherwise that of the
 * first request it sees (which then is the token's resource). A request to any other origin, such
 * as a redirect followed by fetch or by undici's redirect interceptor, is passed on exactly as the
 * caller made it: no token, no proof, and no token is asked for on its behalf.
 *
 * @throws {ConfigurationError} when `target.resource` is not an `https:` or `http:` URL
 *
 * @example
 * ```ts
 * const client = new Agent().compose(createDpopInterceptor(context, { scope: 'accounts:read' }));
 * await request('https://api.example/accounts', { dispatcher: client });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 * @see https://github.com/nodejs/undici/blob/main/docs/docs/api/Dispatcher.md#dispatchercomposeinterceptors-interceptor
 */
export function createDpopInterceptor(context: AgentFetchContext, target: TokenRequestOptions = {}): Dispatcher.DispatcherComposeInterceptor {
  // The one origin that gets the token: the resource's, or (unset here) the first request's.
  let served: string | undefined;
  if (target.resource !== undefined) {
    served = resourceOrigin(target.resource);
    if (served === undefined) throw new ConfigurationError('the dispatcher resource must be an https: or http: URL: only its origin gets the token');
  }
  // Origins already normalized: the hot path parses no URL.
  const origins = new Map<string, string>();
  const originOf = (origin: string | URL): string => {
    const key = String(origin);
    let normalized = origins.get(key);
    if (normalized === undefined) {
      normalized = new URL(key).origin;
      if (origins.size >= 256) origins.clear();
      origins.set(key, normalized);
    }
    return normalized;
  };
  let servedChecked = false;
  return (dispatch) =>
    function dpopInterceptor(options, handler) {
      let origin: string;
      let headers: string[];
      try {
        context.assertUsable();
        origin = originOf(options.origin as string | URL);
        // Another origin (a redirect, or unrelated traffic) goes on untouched, without credentials.
        if (served !== undefined && origin !== served) return dispatch(options, handler);
        if (!servedChecked) {
          secureRequestUrl(new URL(origin));
          served = origin;
          servedChecked = true;
        }
        headers = normalizeRequestHeaders(options.headers, replaced);
      } catch (error) {
        handler.onResponseError?.(null as unknown as DispatchController, asError(error));
        return true;
      }
      const query = options.path.search(/[?#]/);
      const htu = origin + (query === -1 ? options.path : options.path.slice(0, query));
      const method = canonicalMethod(options.method);
      const sent = method === options.method ? options : { ...options, method: method as Dispatcher.HttpMethod };
      const exchange = new DpopDispatchHandler(context, dispatch, handler, {
        options: sent,
        origin,
        htu,
        headers,
        target: { resource: target.resource ?? origin, scope: target.scope },
      });
      exchange.start();
      return true;
    };
}
