import type { Dispatcher } from 'undici';
import { canonicalMethod } from '../lib/http-method.js';
import { ConfigurationError, CountersignError } from '../errors.js';
import { isReplayableDispatchBody } from '../lib/replayable-body.js';
import { headerValue, normalizeRequestHeaders } from '../lib/request-headers.js';
import type { AccessToken, TokenRequestOptions } from '../tokens/types.js';
import type { AgentFetchContext } from './agent-fetch.js';
import { presignNext, rememberNonce, secureRequestUrl } from './agent-fetch.js';
import { classifyChallenge, recoveryFor, type RecoveriesUsed } from './resource-challenge.js';
import { resourceOrigin } from './token-audience-error.js';

type IncomingHttpHeaders = Record<string, string | string[] | undefined>;
type DispatchHandler = Dispatcher.DispatchHandler;
type DispatchController = Dispatcher.DispatchController;
type Dispatch = Dispatcher['dispatch'];

const replaced = new Set(['authorization', 'dpop']);

/**
 * An undici interceptor that does what `agent.fetch` does for any undici request (`request`,
 * `stream`, `fetch` with this dispatcher, …): `Authorization: DPoP <token>` and a fresh proof on
 * every request, one retry for `use_dpop_nonce` and one for `invalid_token` (only when the body can
 * be sent again: no body, a string or bytes; streamed bodies, such as fetch's, are never re-sent),
 * one with the clock corrected for an `invalid_dpop_proof` that blames the proof's time, and typed
 * errors for other challenges. Request headers may be an object, a flat array or an
 * iterable of pairs.
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
      const url = origin + (query === -1 ? options.path : options.path.slice(0, query));
      const method = canonicalMethod(options.method);
      const sent = method === options.method ? options : { ...options, method: method as Dispatcher.HttpMethod };
      const exchange = new DpopExchange(context, dispatch, sent, handler, origin, url, headers, {
        resource: target.resource ?? origin,
        scope: target.scope,
      });
      exchange.start();
      return true;
    };
}

/** One request through the interceptor, across its at most two retries. */
/** What the handler remembers of each recovery, to act on once the refused response has ended. */
const interceptedBy = { nonce: 'use_dpop_nonce', clock: 'clock_corrected', token: 'invalid_token' } as const;

class DpopExchange implements DispatchHandler {
  readonly #controller = new StableController((reason) => this.#fail(reason));
  #finished = false;
  #token: AccessToken | undefined;
  readonly #used: RecoveriesUsed = { nonce: false, clock: false, token: false };
  #signedWithOffset = 0;
  #started = false;
  /** Set by a challenge: a proof signed ahead for this request's successor would be wasted. */
  #challenged = false;
  readonly #cancelled = () => this.#challenged;
  /** Set when the current response is swallowed: what to do at its end. */
  #intercepted: 'use_dpop_nonce' | 'invalid_token' | 'clock_corrected' | Error | undefined;
  readonly #replayable: boolean;

  constructor(
    private readonly context: AgentFetchContext,
    private readonly dispatch: Dispatch,
    private readonly options: Dispatcher.DispatchOptions,
    private readonly handler: DispatchHandler,
    /** The request's origin, checked and normalized. */
    private readonly origin: string,
    /** Origin and path without query: what the proof's `htu` is made from. */
    private readonly url: string,
    private readonly headers: string[],
    private readonly target: TokenRequestOptions,
  ) {
    this.#replayable = isReplayableDispatchBody(options.body);
  }

  start(): void {
    const cached = this.context.tokens.peek(this.target);
    if (cached) this.#send(cached);
    else this.#sendWithNewToken();
  }

  #sendWithNewToken(): void {
    this.context.tokens.get(this.target).then(
      (token) => this.#send(token),
      (error: unknown) => this.#fail(asError(error)),
    );
  }

  /** The proof last sent: scrubbed from whatever the resource echoes in a challenge. */
  #proof: string | undefined;

  #send(token: AccessToken): void {
    if (this.#finished) return;
    if (this.#controller.aborted) return this.#fail(asError(this.#controller.reason));
    this.#token = token;
    this.#intercepted = undefined;
    const { dpop, presigned, nonces, clocks } = this.context;
    this.#signedWithOffset = clocks.forOrigin(this.origin).offsetMs;
    const firstAttempt = !this.#used.nonce && !this.#used.token && !this.#used.clock;
    const proof = (presigned ?? dpop).proof({
      method: this.options.method,
      url: this.url,
      nonce: nonces.get(this.origin),
      accessToken: token.accessToken,
      now: clocks.local() / 1000,
      clockOffset: this.#signedWithOffset / 1000,
    });
    const go = (value: string) => {
      this.#proof = value;
      const headers = [...this.headers, 'authorization', `DPoP ${token.accessToken}`, 'dpop', value];
      try {
        this.dispatch({ ...this.options, headers }, this);
      } catch (error) {
        return this.#fail(asError(error));
      }
      if (presigned !== undefined && firstAttempt) {
        presignNext(this.context, presigned, this.options.method, this.url, this.origin, token.accessToken, this.#cancelled);
      }
    };
    if (typeof proof === 'string') go(proof);
    else proof.then(go, (error: unknown) => this.#fail(asError(error)));
  }

  #fail(error: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    this.handler.onResponseError?.(this.#controller, error);
  }

  onRequestStart(controller: DispatchController, context: unknown): void {
    this.#controller.target = controller;
    if (this.#started) return;
    this.#started = true;
    this.handler.onRequestStart?.(this.#controller, context);
  }

  onRequestUpgrade(_controller: DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: import('node:stream').Duplex): void {
    this.handler.onRequestUpgrade?.(this.#controller, statusCode, headers, socket);
  }

  onResponseStart(_controller: DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    const nonce = headerValue(headers, 'dpop-nonce');
    rememberNonce(this.context, this.origin, nonce);
    if (statusCode === 401 || statusCode === 403) {
      const challenge = classifyChallenge(statusCode, headerValue(headers, 'www-authenticate'), [this.#token?.accessToken, this.#proof]);
      if (challenge.kind !== 'none') {
        // Whatever was signed ahead was made for what the server just refused.
        this.#challenged = true;
        this.context.presigned?.clear();
      }
      if (challenge.kind !== 'none') {
        // A body that cannot be sent again allows no recovery at all.
        const recovery = this.#replayable
          ? recoveryFor(challenge, this.#used, {
              nonce,
              date: headerValue(headers, 'date'),
              clock: this.context.clocks.forOrigin(this.origin),
              signedWithOffset: this.#signedWithOffset,
              tokenRetryAllowed: true,
            })
          : undefined;
        this.#intercepted = recovery === undefined ? challenge.error : interceptedBy[recovery];
        return;
      }
    }
    this.handler.onResponseStart?.(this.#controller, statusCode, headers, statusMessage);
  }

  onResponseData(_controller: DispatchController, chunk: Buffer): void {
    if (this.#intercepted === undefined) this.handler.onResponseData?.(this.#controller, chunk);
  }

  onResponseEnd(_controller: DispatchController, trailers: IncomingHttpHeaders): void {
    const intercepted = this.#intercepted;
    if (intercepted === undefined) {
      this.#finished = true;
      return this.handler.onResponseEnd?.(this.#controller, trailers);
    }
    this.#controller.target = undefined;
    if (intercepted instanceof Error) return this.#fail(intercepted);
    if (intercepted === 'use_dpop_nonce' || intercepted === 'clock_corrected') return this.#send(this.#token!);
    this.context.tokens.invalidate(this.#token!);
    this.#sendWithNewToken();
  }

  onResponseError(_controller: DispatchController, error: Error): void {
    this.#fail(error);
  }
}

/**
 * The one controller the caller's handler sees for the whole exchange; it forwards to the
 * connection of the attempt in progress, and an abort between attempts ends the exchange at once.
 */
class StableController implements DispatchController {
  #target: DispatchController | undefined;
  readonly #onAbortBetweenAttempts: (reason: Error) => void;

  constructor(onAbortBetweenAttempts: (reason: Error) => void) {
    this.#onAbortBetweenAttempts = onAbortBetweenAttempts;
  }

  #paused = false;
  #aborted = false;
  #reason: Error | null = null;

  set target(target: DispatchController | undefined) {
    this.#target = target;
    if (target && this.#paused) target.pause();
    if (target && this.#aborted) target.abort(this.#reason ?? new Error('aborted'));
  }

  get aborted(): boolean {
    return this.#aborted || (this.#target?.aborted ?? false);
  }
  get paused(): boolean {
    return this.#paused || (this.#target?.paused ?? false);
  }
  get reason(): Error | null {
    return this.#reason ?? this.#target?.reason ?? null;
  }
  /** undici 8's fetch reads the response headers (a redirect's `location`) from here when set. */
  get rawHeaders(): DispatchController['rawHeaders'] {
    return this.#target?.rawHeaders;
  }
  get rawTrailers(): DispatchController['rawTrailers'] {
    return this.#target?.rawTrailers;
  }
  abort(reason: Error): void {
    this.#aborted = true;
    this.#reason = reason;
    if (this.#target) this.#target.abort(reason);
    else this.#onAbortBetweenAttempts(reason);
  }
  pause(): void {
    this.#paused = true;
    this.#target?.pause();
  }
  resume(): void {
    this.#paused = false;
    this.#target?.resume();
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new CountersignError('request failed', { cause: error });
}
