import { MockAgent, type Dispatcher } from 'undici';

/** A request to fail: its origin (`http://127.0.0.1:4000`), path (or a test of it) and method (default POST). */
export interface FaultTarget {
  origin: string;
  path: string | RegExp | ((path: string) => boolean);
  method?: string | undefined;
}

/** How to fail it: a network error, or an HTTP answer the real server did not give. */
export type Fault = { error: Error } | { status: number; body: Record<string, unknown> };

/** An undici dispatcher that passes every request to the real server, except those told to fail. */
export interface FaultInjector {
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
  return {
    dispatcher: mock,
    failNext(target, fault, times = 1) {
      const path = typeof target.path === 'string' || typeof target.path === 'function' ? target.path : (value: string) => (target.path as RegExp).test(value);
      const scope = mock.get(new URL(target.origin).origin).intercept({ path, method: target.method ?? 'POST' });
      const answered = 'error' in fault ? scope.replyWithError(fault.error) : scope.reply(fault.status, fault.body, { headers: { 'content-type': 'application/json' } });
      answered.times(times);
    },
    close: () => mock.close(),
  };
}
