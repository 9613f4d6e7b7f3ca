import { CountersignError } from '@countersign/core';

/**
 * Redis did not answer in time, or could not be reached (down, restarting, refusing the
 * connection). Whatever asked for it failed closed: a claim that cannot be recorded is not made,
 * so the guarded call runs nowhere. Retry later; the client reconnects on its own.
 */
export class RedisUnavailableError extends CountersignError {
  static override readonly code: string = 'ERR_REDIS_UNAVAILABLE';
  override readonly code = 'ERR_REDIS_UNAVAILABLE';
}

/**
 * The Redis server may evict keys under memory pressure (its `maxmemory-policy` is not
 * `noeviction`), or its policy could not be read. Every key these stores write carries a TTL, so a
 * `volatile-*` or `allkeys-*` policy can drop a spent action token or a lease early and let an
 * approved call run twice; the store therefore refuses to work. Fix the server
 * (`maxmemory-policy noeviction`), or pass `allowEviction: true` to accept that risk knowingly.
 *
 * @see https://redis.io/docs/latest/develop/reference/eviction/
 */
export class RedisEvictionPolicyError extends CountersignError {
  static override readonly code: string = 'ERR_REDIS_EVICTION_POLICY';
  override readonly code = 'ERR_REDIS_EVICTION_POLICY';
}
