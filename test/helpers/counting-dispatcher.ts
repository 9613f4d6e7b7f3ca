/**
 * An undici dispatcher that counts every request an agent sends, by origin and path, and remembers
 * the secrets that cross it (client assertions, DPoP proofs, access tokens in token responses) for
 * the leak test, before passing requests and responses on unchanged. It observes real traffic to
 * real servers.
 */
import { Agent, type Dispatcher } from 'undici';
import { rememberSecret } from './error-collector.js';

export interface SeenRequest {
  origin: string;
  method: string;
  path: string;
  /** The response status, once it arrived. */
  status?: number;
}

export interface CountingDispatcher {
  dispatcher: Dispatcher;
  seen: SeenRequest[];
  /** Requests to `origin` + `path`, optionally only those answered with `status`. */
  count(origin: string, path: string, status?: number): number;
  close(): Promise<void>;
}

export function createCountingDispatcher(): CountingDispatcher {
  const agent = new Agent();
  const seen: SeenRequest[] = [];
  const dispatcher = agent.compose((dispatch) => (options, handler) => {
    const entry: SeenRequest = { origin: String(options.origin), method: options.method, path: options.path.split('?')[0]! };
    seen.push(entry);
    rememberRequestSecrets(options);
    return dispatch(options, new ResponseSecretRecorder(handler, entry));
  });
  return {
    dispatcher,
    seen,
    count: (origin, path, status) =>
      seen.filter(
        (request) =>
          new URL(request.origin).origin === new URL(origin).origin && request.path === path && (status === undefined || request.status === status),
      ).length,
    close: () => agent.close(),
  };
}

function rememberRequestSecrets(options: Dispatcher.DispatchOptions): void {
  if (typeof options.body === 'string') {
    const form = new URLSearchParams(options.body);
    rememberSecret(form.get('client_assertion') ?? undefined);
    rememberSecret(form.get('token') ?? undefined);
  }
  const headers = options.headers;
  const pairs: [string, unknown][] = Array.isArray(headers)
    ? Array.isArray(headers[0])
      ? (headers as unknown as [string, unknown][])
      : Array.from({ length: headers.length / 2 }, (_, index) => [String(headers[index * 2]), headers[index * 2 + 1]] as [string, unknown])
    : headers && typeof headers === 'object'
      ? typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function'
        ? [...(headers as Iterable<[string, unknown]>)]
        : Object.entries(headers)
      : [];
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    if (lower === 'dpop') rememberSecret(String(value));
    if (lower === 'authorization') rememberSecret(String(value).replace(/^\S+\s+/, ''));
  }
}

class ResponseSecretRecorder implements Dispatcher.DispatchHandler {
  readonly #chunks: Buffer[] = [];
  constructor(
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly entry: SeenRequest,
  ) {}
  onRequestStart(controller: Dispatcher.DispatchController, context: unknown) {
    this.handler.onRequestStart?.(controller, context);
  }
  onRequestUpgrade(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>) {
    this.handler.onRequestUpgrade?.(...args);
  }
  onResponseStart(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>) {
    this.entry.status = args[1];
    this.handler.onResponseStart?.(...args);
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer) {
    if (this.#chunks.length < 64) this.#chunks.push(chunk);
    this.handler.onResponseData?.(controller, chunk);
  }
  onResponseEnd(controller: Dispatcher.DispatchController, trailers: Record<string, string | string[] | undefined>) {
    try {
      const body = JSON.parse(Buffer.concat(this.#chunks).toString()) as Record<string, unknown>;
      for (const name of ['access_token', 'refresh_token', 'id_token', 'auth_req_id']) {
        if (typeof body[name] === 'string') rememberSecret(body[name] as string);
      }
    } catch {
      // not JSON: nothing to remember
    }
    this.handler.onResponseEnd?.(controller, trailers);
  }
  onResponseError(controller: Dispatcher.DispatchController, error: Error) {
    this.handler.onResponseError?.(controller, error);
  }
}
