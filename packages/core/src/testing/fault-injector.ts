import { MockAgent, type Dispatcher } from 'undici';

/** A request to fail: its origin (`http://127.0.0.1:4000`), path (or a test of it) and method (default POST). */
export interface FaultTarget {
  origin: string;
  path: string | RegExp | ((path: string) => boolean);
  method?: string | undefined;
}

/** How to fail it: a network error, or an HTTP answer the real server did not give. */
export type Fault = { error: Error } | { status: number; body: Record<string, unknown> };

/** One request that went through a {@link FaultInjector}. */
export interface SeenRequest {
  origin: string;
  method: string;
  /** Path without the query. */
  path: string;
  /** The form's `grant_type` (RFC 6749 §4.1.3) of a token request, when the body is a form. */
  grantType: string | undefined;
  /** When it was sent (ms since the epoch). */
  at: number;
}

/** An undici dispatcher that passes every request to the real server, except those told to fail. */
export interface FaultInjector {
  /** Every request sent through it, in order (faults included). */
  readonly seen: readonly SeenRequest[];
  /** Give it to the agent: `createAgent({ dispatcher })` or `createRegisteredAgent(stack, { dispatcher })`. */
  readonly dispatcher: Dispatcher;
  /** The next `times` (default 1) requests matching `target` fail with `fault` instead of reaching the server. */
  failNext(target: FaultTarget, fault: Fault, times?: number): void;
  close(): Promise<void>;
}

/**
 * A {@link FaultInjector} on undici's `MockAgent` with real network connections allowed: what no
 * fault matches goes to the real server, unchanged. For tests of "the authorization server could
 * not be reached" (a CIBA poll, RFC 6749 §5.2 `server_error`) against a real server. Give the agent
 * `retries: 0`, or its own retries spend the fault.
 */
export function createFaultInjector(): FaultInjector {
  const mock = new MockAgent();
  mock.enableNetConnect();
  const seen: SeenRequest[] = [];
  const dispatcher = mock.compose((dispatch) => (options, handler) => {
    const body = typeof options.body === 'string' ? options.body : undefined;
    seen.push({
      origin: new URL(String(options.origin)).origin,
      method: options.method,
      path: options.path.split('?')[0]!,
      grantType: body === undefined ? undefined : (new URLSearchParams(body).get('grant_type') ?? undefined),
      at: Date.now(),
    });
    return dispatch(options, handler);
  });
  return {
    seen,
    dispatcher,
    failNext(target, fault, times = 1) {
      const path = typeof target.path === 'string' || typeof target.path === 'function' ? target.path : (value: string) => (target.path as RegExp).test(value);
      const scope = mock.get(new URL(target.origin).origin).intercept({ path, method: target.method ?? 'POST' });
      const answered = 'error' in fault ? scope.replyWithError(fault.error) : scope.reply(fault.status, fault.body, { headers: { 'content-type': 'application/json' } });
      answered.times(times);
    },
    close: () => mock.close(),
  };
}
