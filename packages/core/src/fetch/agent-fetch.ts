import type { Dispatcher } from 'undici';
import { canonicalMethod } from '../lib/http-method.js';
import type { DpopNonceCache } from '../dpop/nonce-cache.js';
import type { PresignedProofs } from '../dpop/presigned-proofs.js';
import { targetUri, type DpopProofInput, type DpopProver } from '../dpop/proof.js';
import { InsecureEndpointError } from '../errors.js';
import type { OriginClocks } from '../lib/clock-skew.js';
import { isReplayable, toReplayableBody, type ReplayableBody } from '../lib/replayable-body.js';
import { toHeaderRecord } from '../lib/request-headers.js';
import { isLoopbackHost, redact } from '../lib/secure-endpoint.js';
import type { TokenCache } from '../tokens/token-cache.js';
import type { AgentFetchInit } from '../types.js';
import type { AccessToken } from '../tokens/types.js';
import { classifyChallenge, recoveryFor, type RecoveriesUsed } from './resource-challenge.js';
import { redirectStatuses, sendRequest, type SendRequestInit } from './send-request.js';
import { assertTokenAudience } from './token-audience-error.js';

/** Request headers the agent sets itself; a caller's values for them are dropped. */
const replaced = new Set(['authorization', 'dpop']);

/** What {@link createAgentFetch} needs from its agent. */
export interface AgentFetchContext {
  tokens: TokenCache;
  dpop: DpopProver;
  /**
   * The same prover with proofs signed ahead of time (`dpop.presign`, on by default); when given,
   * every proof comes from it and the next one is signed while a response is awaited.
   */
  presigned?: PresignedProofs | undefined;
  nonces: DpopNonceCache;
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

/**
 * Signs, after the current turn of the event loop (so after the request was handed to undici),
 * the proof the next request with the same method, URL and token will need, unless `cancelled()`
 * says the response already showed it would be wasted. Only first attempts call this, never
 * retries.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export function presignNext(
  context: AgentFetchContext,
  presigned: PresignedProofs,
  method: string,
  htu: string,
  origin: string,
  accessToken: string,
  cancelled: () => boolean,
): void {
  setImmediate(() => {
    // The nonce and the clock offset are read when signing: a response that arrived meanwhile may have changed them.
    if (cancelled()) return;
    const clockOffset = context.clocks.forOrigin(origin).offsetMs / 1000;
    presigned.presign({ method, url: htu, nonce: context.nonces.get(origin), accessToken, clockOffset });
  });
}

/**
 * Remembers the nonce of a response; a new nonce makes the proofs signed ahead for its origin
 * useless, so they are dropped.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-8.2
 */
export function rememberNonce(context: AgentFetchContext, origin: string, nonce: string | null | undefined): void {
  if (!nonce) return;
  if (context.presigned !== undefined && context.nonces.get(origin) !== nonce) context.presigned.discardOrigin(origin);
  context.nonces.set(origin, nonce);
}

/**
 * Creates `agent.fetch`: a fetch (undici `request` answered with a WHATWG `Response`, see
 * `sendRequest`) with `Authorization: DPoP <token>` and a fresh proof (with `ath` and the origin's
 * latest nonce) on every request.
 *
 * - A 401 `use_dpop_nonce` is sent once more with a fresh proof carrying the new nonce.
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
  const { tokens, dpop, presigned, nonces, clocks } = context;
  const prover = presigned ?? dpop;

  async function send(url: URL, init: AgentFetchInit): Promise<Response> {
    const { resource, scope, token: explicitToken, body, headers: rawHeaders } = init;
    // The standard methods upper-cased (`patch` too), for the request and the proof's htm alike.
    const method = canonicalMethod(init.method ?? 'GET');
    const origin = url.origin;
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
    const clock = clocks.forOrigin(origin);
    const htu = targetUri(url);
    const used: RecoveriesUsed = { nonce: false, clock: false, token: false };
    let challenged = false;
    for (;;) {
      const signedWithOffset = clock.offsetMs;
      const proofInput: DpopProofInput = {
        method,
        url: htu,
        nonce: nonces.get(origin),
        accessToken: token.accessToken,
        now: clocks.local() / 1000,
        clockOffset: signedWithOffset / 1000,
      };
      const proof = prover.proof(proofInput);
      headers.authorization = `DPoP ${token.accessToken}`;
      headers.dpop = typeof proof === 'string' ? proof : await proof;
      const pending = sendRequest(url, requestInit);
      if (presigned !== undefined && !used.nonce && !used.token && !used.clock) {
        presignNext(context, presigned, method, htu, origin, token.accessToken, () => challenged);
      }
      const response = await pending;
      const nonce = response.headers.get('dpop-nonce');
      rememberNonce(context, origin, nonce);
      if (response.status !== 401 && response.status !== 403) return response as unknown as Response;
      const challenge = classifyChallenge(response.status, response.headers.get('www-authenticate'), [token.accessToken, headers.dpop]);
      if (challenge.kind === 'none') return response as unknown as Response;
      // Whatever was signed ahead was made for what the server just refused.
      challenged = true;
      presigned?.clear();
      await response.body?.cancel().catch(() => undefined);
      const recovery = recoveryFor(challenge, used, {
        nonce,
        date: response.headers.get('date'),
        clock,
        signedWithOffset,
        tokenRetryAllowed: !explicitToken,
      });
      if (recovery === undefined) throw challenge.error;
      if (recovery === 'token') {
        tokens.invalidate(token);
        token = await tokens.get(target);
        assertTokenAudience(token.resource, origin);
      }
    }
  }

  return async function agentFetch(input, init = {}) {
    context.assertUsable();
    let url = secureRequestUrl(input);
    // Buffered once: the body may be sent again after a challenge or a 307/308 redirect.
    const body = isReplayable(init.body) ? init.body : await toReplayableBody(init.body);
    let current: AgentFetchInit = { ...init, body: body as AgentFetchInit['body'] };
    if (init.redirect !== 'follow') return send(url, current);
    for (let hop = 0; ; hop++) {
      const response = await send(url, current);
      const location = redirectStatuses.has(response.status) ? response.headers.get('location') : null;
      if (location === null || !URL.canParse(location, url)) return response;
      const next = new URL(location, url);
      // Another origin gets neither the token nor a proof: the caller sees the redirect.
      if (next.origin !== url.origin || hop >= maxRedirects) return response;
      await response.body?.cancel().catch(() => undefined);
      context.assertUsable();
      url = secureRequestUrl(next);
      current = redirectedInit(current, response.status);
    }
  };
}

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
