import { fetch as undiciFetch, type Dispatcher, type RequestInit as UndiciRequestInit } from 'undici';
import type { DpopNonceCache } from '../dpop/nonce-cache.js';
import type { DpopProver } from '../dpop/proof.js';
import { InsecureEndpointError } from '../errors.js';
import { worthCorrecting, type SkewClock } from '../lib/clock-skew.js';
import { isReplayable, toReplayableBody } from '../lib/replayable-body.js';
import { toHeaderRecord } from '../lib/request-headers.js';
import { isLoopbackHost, redact } from '../lib/secure-endpoint.js';
import type { TokenCache } from '../tokens/token-cache.js';
import type { AccessToken, AgentFetchInit } from '../types.js';
import { classifyChallenge } from './resource-challenge.js';

/** Request headers the agent sets itself; a caller's values for them are dropped. */
const replaced = new Set(['authorization', 'dpop']);

/** What {@link createAgentFetch} needs from its agent. */
export interface AgentFetchContext {
  tokens: TokenCache;
  dpop: DpopProver;
  nonces: DpopNonceCache;
  /** Proofs' `iat` comes from `clock.now()`. */
  clock: SkewClock;
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
 * Creates `agent.fetch`: undici's fetch with `Authorization: DPoP <token>` and a fresh proof (with
 * `ath` and the origin's latest nonce) on every request.
 *
 * - A 401 `use_dpop_nonce` is sent once more with a fresh proof carrying the new nonce.
 * - A 401 `invalid_token` drops the cached token and is sent once more with a new one (never when
 *   the caller passed an explicit `token`).
 * - An `invalid_dpop_proof` that blames the proof's time is sent once more with the clock
 *   corrected from the response's `Date` header.
 * - Other challenges throw typed errors (`InsufficientScopeError`, …, `ResourceChallengeError`).
 *
 * Stream bodies are buffered first so they can be sent again. The routine token's resource
 * defaults to the request's origin. Redirects are not followed unless `redirect: 'follow'` is
 * passed: a proof is bound to the URL it was made for.
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
  const { tokens, dpop, nonces, clock } = context;
  return async function agentFetch(input, init = {}) {
    context.assertUsable();
    const url = secureRequestUrl(input);
    const { resource, scope, token: explicitToken, body: rawBody, headers: rawHeaders, ...rest } = init;
    // As given: fetch upper-cases only the six standard methods, and the prover mirrors that.
    const method = init.method ?? 'GET';
    const body = isReplayable(rawBody) ? rawBody : await toReplayableBody(rawBody);
    const target = { resource: resource ?? url.origin, scope, signal: init.signal ?? undefined };
    let token: AccessToken = explicitToken ?? tokens.peek(target) ?? (await tokens.get(target));
    const headers = toHeaderRecord(rawHeaders, replaced);
    const requestInit = {
      // A proof is bound to one URL (htu): a followed redirect could only fail, so by default the
      // 3xx response is returned as it is.
      redirect: 'manual' as const,
      ...(rest as UndiciRequestInit),
      method,
      headers,
      body: body as UndiciRequestInit['body'],
      dispatcher: (rest as UndiciRequestInit).dispatcher ?? context.dispatcher,
    };
    const origin = url.origin;
    let nonceRetried = false;
    let tokenRetried = false;
    let clockCorrected = false;
    for (;;) {
      const signedWithOffset = clock.offsetMs;
      const proof = dpop.proof({ method, url: typeof input === 'string' ? input : url, nonce: nonces.get(origin), accessToken: token.accessToken, now: clock.now() / 1000 });
      headers.authorization = `DPoP ${token.accessToken}`;
      headers.dpop = typeof proof === 'string' ? proof : await proof;
      const response = await undiciFetch(url, requestInit);
      const nonce = response.headers.get('dpop-nonce');
      if (nonce) nonces.set(origin, nonce);
      if (response.status !== 401 && response.status !== 403) return response as unknown as Response;
      const challenge = classifyChallenge(response.status, response.headers.get('www-authenticate'));
      if (challenge.kind === 'none') return response as unknown as Response;
      await response.body?.cancel().catch(() => undefined);
      if (challenge.kind === 'use_dpop_nonce' && nonce && !nonceRetried) {
        nonceRetried = true;
        continue;
      }
      if (challenge.error.error === 'invalid_dpop_proof' && !clockCorrected) {
        const skew = clock.skewFrom(response.headers.get('date'), signedWithOffset);
        if (worthCorrecting(skew, challenge.error.errorDescription)) {
          clock.correct(response.headers.get('date'));
          clockCorrected = true;
          continue;
        }
      }
      if (challenge.kind === 'invalid_token' && !explicitToken && !tokenRetried) {
        tokenRetried = true;
        tokens.invalidate(token);
        token = await tokens.get(target);
        continue;
      }
      throw challenge.error;
    }
  };
}
