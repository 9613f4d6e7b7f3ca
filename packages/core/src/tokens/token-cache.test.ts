import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgentClosedError } from '../errors.js';
import type { AccessToken } from './types.js';
import { createTokenCache, normalizeScope, type TokenCache, type TokenTarget } from './token-cache.js';

let now = 1_000_000;
const clock = () => now;
let cache: TokenCache | undefined;
afterEach(() => {
  cache?.close();
  vi.useRealTimers();
});

function counting(lifetimeMs = 300_000) {
  const calls: TokenTarget[] = [];
  let count = 0;
  const request = async (target: TokenTarget): Promise<AccessToken> => {
    calls.push(target);
    count++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { accessToken: `token-${count}`, tokenType: 'DPoP', expiresAt: now + lifetimeMs, scope: target.scope, resource: target.resource };
  };
  return { calls, request };
}

describe('normalizeScope', () => {
  it('makes scope sets order- and duplicate-insensitive', () => {
    expect(normalizeScope('b a  a\tc')).toBe('a b c');
    expect(normalizeScope('  ')).toBeUndefined();
    expect(normalizeScope(undefined)).toBeUndefined();
  });
});

describe('createTokenCache', () => {
  it('makes one request for any number of concurrent callers on a cold entry', async () => {
    const { calls, request } = counting();
    cache = createTokenCache({ request, clock });
    const tokens = await Promise.all(Array.from({ length: 200 }, () => cache!.get({ resource: 'https://api', scope: 'b a' })));
    expect(calls).toEqual([{ resource: 'https://api', scope: 'a b' }]);
    expect(new Set(tokens.map((token) => token.accessToken))).toEqual(new Set(['token-1']));
  });

  it('keys entries by resource and scope set', async () => {
    const { calls, request } = counting();
    cache = createTokenCache({ request, clock });
    await cache.get({ resource: 'https://api', scope: 'a b' });
    await cache.get({ resource: 'https://api', scope: 'b a a' });
    await cache.get({ resource: 'https://api', scope: 'a' });
    await cache.get({ resource: 'https://other', scope: 'a b' });
    expect(calls).toHaveLength(3);
    expect(cache.peek({ resource: 'https://api', scope: ' b  a ' })?.accessToken).toBe('token-1');
  });

  it('refreshes ahead of expiry, once, for all callers', async () => {
    const { calls, request } = counting(60_000);
    cache = createTokenCache({ request, clock, refreshAheadMs: 20_000 });
    expect((await cache.get()).accessToken).toBe('token-1');
    now += 39_000;
    expect((await cache.get()).accessToken).toBe('token-1');
    now += 2_000; // 19 s left: inside the refresh window
    expect(cache.peek()).toBeUndefined();
    const refreshed = await Promise.all([cache.get(), cache.get(), cache.get()]);
    expect(refreshed.map((token) => token.accessToken)).toEqual(['token-2', 'token-2', 'token-2']);
    expect(calls).toHaveLength(2);
  });

  it('refreshes short-lived tokens at half their life at the latest', async () => {
    const { calls, request } = counting(10_000);
    cache = createTokenCache({ request, clock, refreshAheadMs: 30_000 });
    await cache.get();
    now += 4_000;
    await cache.get();
    expect(calls).toHaveLength(1);
    now += 2_000;
    await cache.get();
    expect(calls).toHaveLength(2);
  });

  it('fails every waiter of a failed request with its error; the next call tries again', async () => {
    let attempt = 0;
    const failure = new Error('as down');
    cache = createTokenCache({
      clock,
      request: async () => {
        attempt++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (attempt === 1) throw failure;
        return { accessToken: 'ok', tokenType: 'DPoP', expiresAt: now + 300_000 };
      },
    });
    const results = await Promise.allSettled([cache.get(), cache.get(), cache.get()]);
    expect(results.every((result) => result.status === 'rejected' && result.reason === failure)).toBe(true);
    expect(attempt).toBe(1);
    expect((await cache.get()).accessToken).toBe('ok');
    expect(attempt).toBe(2);
  });

  it('lets one waiter give up without cancelling the shared request', async () => {
    const { calls, request } = counting();
    cache = createTokenCache({ request, clock });
    const controller = new AbortController();
    const leaving = cache.get({ signal: controller.signal });
    const staying = cache.get();
    controller.abort(new Error('left'));
    await expect(leaving).rejects.toThrow('left');
    expect((await staying).accessToken).toBe('token-1');
    expect(calls).toHaveLength(1);
  });

  it('prunes expired entries once many resources were used', async () => {
    cache = createTokenCache({ clock, request: async () => ({ accessToken: 't', tokenType: 'DPoP', expiresAt: now + 1_000 }) });
    for (let index = 0; index < 1_000; index++) await cache.get({ resource: `https://api-${index}.example` });
    expect(cache.size).toBe(1_000);
    now += 2_000;
    await cache.get({ resource: 'https://fresh.example' });
    expect(cache.size).toBe(1);
  });

  it('invalidates only the token it is given', async () => {
    const { request } = counting();
    cache = createTokenCache({ request, clock });
    const first = await cache.get();
    expect(cache.invalidate('not-held')).toBe(false);
    expect(cache.invalidate(first)).toBe(true);
    const second = await cache.get();
    expect(second.accessToken).toBe('token-2');
    expect(cache.invalidate(first)).toBe(false);
    expect(cache.peek()?.accessToken).toBe('token-2');
  });

  it('refreshes a used token in the background with an unref’d timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const unref = vi.fn();
    const realSetTimeout = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, delay?: number) => {
      const timer = realSetTimeout(callback, delay);
      const original = timer.unref.bind(timer);
      timer.unref = () => {
        unref(delay);
        return original();
      };
      return timer;
    }) as typeof setTimeout);
    const requests: number[] = [];
    cache = createTokenCache({
      clock,
      refreshAheadMs: 30_000,
      request: async () => {
        requests.push(now);
        return { accessToken: `token-${requests.length}`, tokenType: 'DPoP', expiresAt: now + 120_000 };
      },
    });
    await cache.get();
    expect(unref).toHaveBeenCalledWith(90_000);
    await cache.get(); // used since issued
    now += 90_000;
    await vi.advanceTimersByTimeAsync(90_000);
    expect(requests).toHaveLength(2);
    expect(cache.held().map((token) => token.accessToken)).toEqual(['token-2']);
    // Not used since: no background refresh this time.
    now += 90_000;
    await vi.advanceTimersByTimeAsync(90_000);
    expect(requests).toHaveLength(2);
    spy.mockRestore();
  });

  it('close() returns held tokens, clears timers, aborts requests and refuses further use', async () => {
    let seen: AbortSignal | undefined;
    const { request } = counting();
    cache = createTokenCache({
      clock,
      request: async (target, signal) => {
        if (target.scope === 'slow') {
          seen = signal;
          return new Promise<AccessToken>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
        }
        return request(target);
      },
    });
    const held = await cache.get({ scope: 'x' });
    const slow = cache.get({ scope: 'slow' });
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(cache.close()).toEqual([held]);
    expect(seen?.aborted).toBe(true);
    await expect(slow).rejects.toBeInstanceOf(AgentClosedError);
    await expect(cache.get()).rejects.toBeInstanceOf(AgentClosedError);
    expect(cache.peek({ scope: 'x' })).toBeUndefined();
    expect(cache.held()).toEqual([]);
    cache = undefined;
  });
});
