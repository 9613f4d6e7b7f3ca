import { AgentClosedError } from '../errors.js';
import { scopeValues } from '../lib/scope-values.js';
import { abortable } from '../lib/abortable.js';
import type { AccessToken, TokenRequestOptions } from './types.js';

/** Entries kept before expired ones are pruned. */
const maxEntries = 1_000;

/** What a routine token is for. */
export interface TokenTarget {
  resource?: string | undefined;
  /** Normalized: unique scope values, sorted, space-separated. */
  scope?: string | undefined;
}

/** Options of {@link createTokenCache}. */
export interface TokenCacheOptions {
  /** Gets a new token for `target`; called at most once at a time per target. */
  request: (target: TokenTarget, signal: AbortSignal) => Promise<AccessToken>;
  /** Local clock in milliseconds since the epoch (default `Date.now`). */
  clock?: (() => number) | undefined;
  /**
   * Refresh this many milliseconds before expiry (default 30 000), at most half the token's
   * lifetime so short-lived tokens are not refreshed on every call.
   */
  refreshAheadMs?: number | undefined;
  /** Told about a failed background refresh; the next call tries again. */
  onBackgroundError?: ((error: unknown, target: TokenTarget) => void) | undefined;
}

/** Routine tokens by resource and scope set, refreshed ahead of expiry, one request at a time. */
export interface TokenCache {
  /** A token for `options`: cached while fresh, otherwise one shared request for all callers. */
  get(options?: TokenRequestOptions): Promise<AccessToken>;
  /** The cached token when fresh, synchronously (the hot path); otherwise `undefined`. */
  peek(options?: TokenRequestOptions): AccessToken | undefined;
  /** Drops `token` (or the token with this value) so the next call gets a new one; true when it was held. */
  invalidate(token: AccessToken | string): boolean;
  /** Tokens held and not yet expired. */
  held(): AccessToken[];
  /** How many resource and scope entries the cache keeps (expired ones are pruned past 1 000). */
  readonly size: number;
  /** Stops timers, aborts requests in flight and refuses further use; returns the tokens that were held. */
  close(): AccessToken[];
}

interface Entry {
  target: TokenTarget;
  token?: AccessToken | undefined;
  /** When the token should be replaced, local milliseconds. */
  refreshAt: number;
  pending?: Promise<AccessToken> | undefined;
  timer?: ReturnType<typeof setTimeout> | undefined;
  /** Read since it was stored: a background refresh is worth it. */
  used: boolean;
}

/**
 * The normalized form of a scope string: unique values, sorted, space-separated; `undefined` when
 * empty. `b a a` and `a b` name the same token.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function normalizeScope(scope: string | readonly string[] | undefined): string | undefined {
  if (scope === undefined) return undefined;
  const values = [...new Set(scopeValues(scope))].sort();
  return values.length === 0 ? undefined : values.join(' ');
}

/**
 * Creates a token cache keyed by resource and scope set. Any number of concurrent callers on a cold
 * or expiring entry share one request; a failed request fails its waiters with that error and the
 * next call tries again. A token read since it was issued is refreshed in the background ahead of
 * expiry by an unref'd timer, so it never keeps the process alive.
 *
 * @example
 * ```ts
 * const cache = createTokenCache({ request: (target, signal) => fetchToken(target, signal) });
 * const token = await cache.get({ resource: 'https://api.example', scope: 'accounts:read' });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2 (one token per resource)
 */
export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const clock = options.clock ?? Date.now;
  const refreshAheadMs = options.refreshAheadMs ?? 30_000;
  const entries = new Map<string, Entry>();
  const scopes = new Map<string, string | undefined>();
  const lifetime = new AbortController();
  let closed = false;

  const normalized = (scope: string | readonly string[] | undefined): string | undefined => {
    if (typeof scope !== 'string') return normalizeScope(scope);
    let value = scopes.get(scope);
    if (value === undefined && !scopes.has(scope)) {
      value = normalizeScope(scope);
      if (scopes.size < 1_000) scopes.set(scope, value);
    }
    return value;
  };
  const keyOf = (resource: string | undefined, scope: string | undefined) => `${resource ?? ''}\u0000${scope ?? ''}`;

  function entryFor(request: TokenRequestOptions | undefined, create: boolean): Entry | undefined {
    const scope = normalized(request?.scope);
    const key = keyOf(request?.resource, scope);
    let entry = entries.get(key);
    if (!entry && create) {
      if (entries.size >= maxEntries) prune();
      entry = { target: { resource: request?.resource, scope }, refreshAt: 0, used: false };
      entries.set(key, entry);
    }
    return entry;
  }

  /** Drops idle entries whose token expired (or never came), so many resources do not grow the map. */
  function prune(): void {
    const now = clock();
    for (const [key, entry] of entries) {
      if (!entry.pending && (!entry.token || entry.token.expiresAt <= now)) {
        if (entry.timer) clearTimeout(entry.timer);
        entries.delete(key);
      }
    }
  }

  function refresh(entry: Entry): Promise<AccessToken> {
    if (entry.pending) return entry.pending;
    const pending = options.request(entry.target, lifetime.signal).then((token) => {
      if (closed) throw new AgentClosedError('the agent was closed');
      store(entry, token);
      return token;
    });
    entry.pending = pending;
    const clear = () => {
      if (entry.pending === pending) entry.pending = undefined;
    };
    pending.then(clear, clear);
    return pending;
  }

  function store(entry: Entry, token: AccessToken): void {
    const now = clock();
    const remaining = Math.max(0, token.expiresAt - now);
    entry.token = token;
    entry.used = false;
    entry.refreshAt = token.expiresAt - Math.min(refreshAheadMs, remaining / 2);
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    const delay = entry.refreshAt - now;
    if (delay > 0 && Number.isFinite(delay)) {
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        if (closed || !entry.used || entry.token !== token) return;
        refresh(entry).catch((error: unknown) => options.onBackgroundError?.(error, entry.target));
      }, Math.min(delay, 2_147_483_647));
      entry.timer.unref?.();
    }
  }

  return {
    peek(request) {
      if (closed) return undefined;
      const entry = entryFor(request, false);
      if (entry?.token && clock() < entry.refreshAt) {
        entry.used = true;
        return entry.token;
      }
      return undefined;
    },
    async get(request) {
      if (closed) throw new AgentClosedError('the agent was closed');
      const entry = entryFor(request, true)!;
      if (entry.token && clock() < entry.refreshAt) {
        entry.used = true;
        return entry.token;
      }
      const token = await abortable(refresh(entry), request?.signal);
      entry.used = true;
      return token;
    },
    invalidate(token) {
      const value = typeof token === 'string' ? token : token.accessToken;
      for (const entry of entries.values()) {
        if (entry.token?.accessToken === value) {
          entry.token = undefined;
          entry.refreshAt = 0;
          if (entry.timer) clearTimeout(entry.timer);
          entry.timer = undefined;
          return true;
        }
      }
      return false;
    },
    get size() {
      return entries.size;
    },
    held() {
      const now = clock();
      return [...entries.values()].flatMap((entry) => (entry.token && entry.token.expiresAt > now ? [entry.token] : []));
    },
    close() {
      if (closed) return [];
      const tokens = this.held();
      closed = true;
      lifetime.abort(new AgentClosedError('the agent was closed'));
      for (const entry of entries.values()) if (entry.timer) clearTimeout(entry.timer);
      entries.clear();
      return tokens;
    },
  };
}
