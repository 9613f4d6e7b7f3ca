import type { Dispatcher } from 'undici';
import { canonicalMethod } from '../lib/http-method.js';
import { targetUri } from '../dpop/proof.js';
import { DpopExchange, type DpopExchangeContext } from '../dpop-exchange/dpop-exchange.js';
import type { OriginClocks } from '../lib/clock-skew.js';
import { isReplayable, toReplayableBody, type ReplayableBody } from '../lib/replayable-body.js';
import { boundedMemo } from '../lib/bounded-memo.js';
import { toHeaderRecord } from '../lib/request-headers.js';
import type { TokenCache } from '../tokens/token-cache.js';
import type { AgentFetchInit } from '../types.js';
import type { AccessToken } from '../tokens/types.js';
import { secureRequestUrl } from './secure-request-url.js';
import { redirectStatuses, sendRequest, type SendRequestInit } from './send-request.js';
import { assertTokenAudience } from './token-audience-error.js';

export { secureRequestUrl } from './secure-request-url.js';

/** Request headers the agent sets itself; a caller's values for them are dropped. */
const replaced = new Set(['authorization', 'dpop']);

/** What {@link createAgentFetch} needs from its agent: the DPoP exchange's context, and more. */
export interface AgentFetchContext extends DpopExchangeContext {
  tokens: TokenCache;
  /**
   * One clock per origin: a proof's `iat` is the local time plus the offset learned from that
   * origin's own `Date` headers (see `createOriginClocks`).
   */
  clocks: OriginClocks;
  /** undici dispatcher for the requests (default: the global one). */
  dispatcher?: Dispatcher | undefined;
  /** Throws when the agent may no longer work (closed, or its identity revoked). */
  assertUsable(): void;
}

/**
 * Creates `agent.fetch`: a fetch (undici `request` answered with a WHATWG `Response`, see
 * `sendRequest`) with `Authorization: DPoP <token>` and a fresh proof (with `ath` and the origin's
 * latest nonce) on every request.
 *
 * Each request is one `DpopExchange` (the engine in `dpop-exchange/`), which decides the one
 * recovery from a refusal:
 *
 * - A 401 asking for a nonce (RFC 9449 §9) is sent once more with a fresh proof carrying it.
 * - A 401 `invalid_token` drops the cached token and is sent once more with a new one (never when
 *   the caller passed an explicit `token`).
 * - An `invalid_dpop_proof` that blames the proof's time is sent once more with the clock
 *   corrected from the response's `Date` header: the clock of that origin only, and never by more
 *   than `maxClockCorrectionMs` (a larger skew throws the challenge's error).
 * - Other challenges throw typed errors (`InsufficientScopeError`, …, `ResourceChallengeError`).
 *
 * With `context.presigned`, the next request's proof is signed while this one waits for its
 * response (first attempts only; see `createPresignedProofs`).
 *
 * Stream bodies are buffered first so they can be sent again. The routine token's resource
 * defaults to the request's origin. A token whose `resource` (explicit or cached) has another
 * origin than the request's is refused with `TokenAudienceError` before anything is sent.
 *
 * Redirects are returned as they are by default: a proof is bound to the URL it was made for. With
 * `redirect: 'follow'`, a redirect to the same origin is followed (at most 20) with a fresh proof
 * for the new URL; a redirect to another origin is returned as it is, so the token and proofs
 * never leave the origin.
 *
 * @example
 * ```ts
 * const agentFetch = createAgentFetch({ tokens, dpop, nonces, clock, assertUsable });
 * const response = await agentFetch('https://api.example/accounts', { scope: 'accounts:read' });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-9
 */
export function createAgentFetch(context: AgentFetchContext): (input: string | URL, init?: AgentFetchInit) => Promise<Response> {
  const { tokens, clocks } = context;

  async function send({ url, origin, htu }: RequestTarget, init: AgentFetchInit): Promise<Response> {
    const { resource, scope, token: explicitToken, body, headers: rawHeaders } = init;
    // The standard methods upper-cased (`patch` too), for the request and the proof's htm alike.
    const method = canonicalMethod(init.method ?? 'GET');
    const target = { resource: resource ?? origin, scope, signal: init.signal ?? undefined };
    // Checked before a token is asked for or a body read: a token goes only to its resource's origin.
    assertTokenAudience(explicitToken ? explicitToken.resource : target.resource, origin);
    let token: AccessToken = explicitToken ?? tokens.peek(target) ?? (await tokens.get(target));
    assertTokenAudience(token.resource, origin);
    const headers = toHeaderRecord(rawHeaders, replaced);
    // A proof is bound to one URL (htu) and the token to one origin: sendRequest never follows a
    // redirect (agentFetch follows same-origin ones itself when asked to).
    const requestInit: SendRequestInit = {
      method,
      headers,
      body: body as ReplayableBody,
      signal: init.signal,
      redirect: init.redirect,
      dispatcher: (init as { dispatcher?: Dispatcher }).dispatcher ?? context.dispatcher,
    };
    const exchange = new DpopExchange(context, {
      method,
      htu,
      origin,
      clock: clocks.forOrigin(origin),
      tokenRetryAllowed: !explicitToken,
    });
    for (;;) {
      const proof = exchange.proof(token.accessToken);
      headers.authorization = `DPoP ${token.accessToken}`;
      headers.dpop = typeof proof === 'string' ? proof : await proof;
      const pending = sendRequest(url, requestInit);
      exchange.presignNext(token.accessToken);
      const response = await pending;
      const refusal = exchange.readResourceResponse(response.status, response.headers, token.accessToken);
      if (refusal === undefined) return response as unknown as Response;
      await response.body?.cancel().catch(() => undefined);
      if (refusal.recovery === undefined) throw refusal.error;
      if (refusal.recovery === 'token') {
        tokens.invalidate(token);
        token = await tokens.get(target);
        assertTokenAudience(token.resource, origin);
      }
    }
  }

  return function agentFetch(input, init = {}) {
    // The common request (a body that can be sent again as it is, redirects returned) skips the
    // async wrapper below: one promise less on the hot path. Every failure still rejects.
    if (init.redirect !== 'follow' && isReplayable(init.body)) {
      try {
        context.assertUsable();
        return send(targetOfInput(input), init);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    return bufferedFetch(input, init);
  };

  async function bufferedFetch(input: string | URL, init: AgentFetchInit): Promise<Response> {
    context.assertUsable();
    let target = targetOfInput(input);
    // Buffered once: the body may be sent again after a challenge or a 307/308 redirect.
    const body = isReplayable(init.body) ? init.body : await toReplayableBody(init.body);
    let current: AgentFetchInit = body === init.body ? init : { ...init, body: body as AgentFetchInit['body'] };
    if (init.redirect !== 'follow') return send(target, current);
    for (let hop = 0; ; hop++) {
      const { url } = target;
      const response = await send(target, current);
      const location = redirectStatuses.has(response.status) ? response.headers.get('location') : null;
      if (location === null || !URL.canParse(location, url)) return response;
      const next = new URL(location, url);
      // Another origin gets neither the token nor a proof: the caller sees the redirect.
      if (next.origin !== url.origin || hop >= maxRedirects) return response;
      await response.body?.cancel().catch(() => undefined);
      context.assertUsable();
      target = targetOf(secureRequestUrl(next));
      current = redirectedInit(current, response.status);
    }
  }
}

/** A request URL, checked, with the parts every request reads. */
interface RequestTarget {
  readonly url: URL;
  readonly origin: string;
  /** The proofs' `htu`. */
  readonly htu: string;
}

const targetOf = (url: URL): RequestTarget => ({ url, origin: url.origin, htu: targetUri(url) });
// Request URLs given as strings repeat: each is parsed and checked once (a refused one is not
// remembered). The URL objects kept here are only read, and never handed to a caller.
const targetOfString = boundedMemo((input: string) => targetOf(secureRequestUrl(input)));
const targetOfInput = (input: string | URL): RequestTarget => (typeof input === 'string' ? targetOfString(input) : targetOf(secureRequestUrl(input)));

/** As fetch: at most 20 redirects. */
const maxRedirects = 20;
/** Headers describing a request body, dropped when a redirect turns the request into a GET. */
const bodyHeaders = new Set(['content-encoding', 'content-language', 'content-location', 'content-type', 'content-length']);

/**
 * The request to send after a redirect, as fetch makes it: 303 (except for HEAD), and 301 or 302
 * after a POST, become a GET without a body.
 *
 * @see https://fetch.spec.whatwg.org/#http-redirect-fetch
 */
function redirectedInit(init: AgentFetchInit, status: number): AgentFetchInit {
  const method = (init.method ?? 'GET').toUpperCase();
  if (!((status === 303 && method !== 'GET' && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST'))) return init;
  const headers = toHeaderRecord(init.headers, bodyHeaders);
  return { ...init, method: 'GET', body: undefined, headers };
}
