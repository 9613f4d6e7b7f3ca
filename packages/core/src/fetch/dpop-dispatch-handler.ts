import type { Dispatcher } from 'undici';
import { DpopExchange, type HeaderReader, type ResourceRefusal } from '../dpop-exchange/dpop-exchange.js';
import { CountersignError } from '../errors.js';
import { isReplayableDispatchBody } from '../lib/replayable-body.js';
import { headerValue } from '../lib/request-headers.js';
import type { AccessToken, TokenRequestOptions } from '../tokens/types.js';
import type { AgentFetchContext } from './agent-fetch.js';
import { StableController } from './stable-controller.js';

type IncomingHttpHeaders = Record<string, string | string[] | undefined>;
type DispatchHandler = Dispatcher.DispatchHandler;
type DispatchController = Dispatcher.DispatchController;
type Dispatch = Dispatcher['dispatch'];

/** One request of the DPoP interceptor, across its attempts. */
export interface DpopDispatchRequest {
  /** The request as the caller made it, its method canonical. */
  options: Dispatcher.DispatchOptions;
  /** The request's origin, checked and normalized. */
  origin: string;
  /** Origin and path without query: the proof's `htu`. */
  htu: string;
  /** The caller's headers as a flat array, without `authorization` and `dpop`. */
  headers: string[];
  /** The token the request is sent with. */
  target: TokenRequestOptions;
}

/**
 * The undici handler of one request through the DPoP interceptor: it sends each attempt with a
 * token and a proof from the {@link DpopExchange}, hides a refused response from the caller's
 * handler while the exchange recovers (send again, or with a new token first), and passes the
 * final response, or the refusal as a typed error, on. A body that cannot be sent again (a
 * stream) allows no recovery.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 * @see https://github.com/nodejs/undici/blob/main/docs/docs/api/Dispatcher.md#dispatcherdispatchoptions-handler
 */
export class DpopDispatchHandler implements DispatchHandler {
  readonly #controller = new StableController((reason) => this.fail(reason));
  readonly #exchange: DpopExchange;
  #finished = false;
  #started = false;
  #token: AccessToken | undefined;
  /** Set when the current response is swallowed: what to do at its end. */
  #refusal: ResourceRefusal | undefined;

  constructor(
    private readonly context: AgentFetchContext,
    private readonly dispatch: Dispatch,
    private readonly handler: DispatchHandler,
    private readonly request: DpopDispatchRequest,
  ) {
    const { options, origin, htu } = request;
    this.#exchange = new DpopExchange(context, {
      method: options.method,
      htu,
      origin,
      clock: context.clocks.forOrigin(origin),
      tokenRetryAllowed: true,
      replayable: isReplayableDispatchBody(options.body),
    });
  }

  /** Sends the first attempt, with the cached token or a new one. */
  start(): void {
    const cached = this.context.tokens.peek(this.request.target);
    if (cached) this.#send(cached);
    else this.#sendWithNewToken();
  }

  /** Ends the exchange with `error`, once. */
  fail(error: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    this.handler.onResponseError?.(this.#controller, error);
  }

  #sendWithNewToken(): void {
    this.context.tokens.get(this.request.target).then(
      (token) => this.#send(token),
      (error: unknown) => this.fail(asError(error)),
    );
  }

  #send(token: AccessToken): void {
    if (this.#finished) return;
    if (this.#controller.aborted) return this.fail(asError(this.#controller.reason));
    this.#token = token;
    this.#refusal = undefined;
    const proof = this.#exchange.proof(token.accessToken);
    const go = (value: string) => {
      const headers = [...this.request.headers, 'authorization', `DPoP ${token.accessToken}`, 'dpop', value];
      try {
        this.dispatch({ ...this.request.options, headers }, this);
      } catch (error) {
        return this.fail(asError(error));
      }
      this.#exchange.presignNext(token.accessToken);
    };
    if (typeof proof === 'string') go(proof);
    else proof.then(go, (error: unknown) => this.fail(asError(error)));
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
    const refusal = this.#exchange.readResourceResponse(statusCode, new RawHeaders(headers), this.#token?.accessToken);
    if (refusal !== undefined) {
      this.#refusal = refusal;
      return;
    }
    this.handler.onResponseStart?.(this.#controller, statusCode, headers, statusMessage);
  }

  onResponseData(_controller: DispatchController, chunk: Buffer): void {
    if (this.#refusal === undefined) this.handler.onResponseData?.(this.#controller, chunk);
  }

  onResponseEnd(_controller: DispatchController, trailers: IncomingHttpHeaders): void {
    const refusal = this.#refusal;
    if (refusal === undefined) {
      this.#finished = true;
      return this.handler.onResponseEnd?.(this.#controller, trailers);
    }
    // The refused response has ended: its connection is free, and the next attempt may go.
    this.#controller.target = undefined;
    if (refusal.recovery === undefined) return this.fail(refusal.error);
    if (refusal.recovery !== 'token') return this.#send(this.#token!);
    this.context.tokens.invalidate(this.#token!);
    this.#sendWithNewToken();
  }

  onResponseError(_controller: DispatchController, error: Error): void {
    this.fail(error);
  }
}

/** undici's response headers (lower-case names) read like a fetch `Headers`. */
class RawHeaders implements HeaderReader {
  constructor(private readonly headers: IncomingHttpHeaders) {}
  get(name: string): string | undefined {
    return headerValue(this.headers, name);
  }
}

/** `error` as an `Error`: anything else becomes a `CountersignError` holding it as its cause. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new CountersignError('request failed', { cause: error });
}
