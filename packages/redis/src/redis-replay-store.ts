import { ConfigurationError } from '@countersign/core';
import type { ReplayStore } from '@countersign/server';
import { openRedisConnection, type RedisConnectionOptions } from './connection.js';
import type { RedisUnavailableError } from './errors.js';

/** Options of {@link redisReplayStore}. */
export type RedisReplayStoreOptions = RedisConnectionOptions;

/** A {@link ReplayStore} on Redis, with `close()` for its connection. */
export interface RedisReplayStore extends ReplayStore {
  /** Closes the connection (a client you passed in is closed too). */
  close(): Promise<void>;
}

/**
 * A replay store shared by every instance of an API: `consume` is one `SET key 1 NX PX ttl`, so
 * a proof or action token spent at one instance is refused at all the others for as long as it
 * could be accepted. Redis down or slow rejects with {@link RedisUnavailableError}: the server
 * refuses the request rather than risk accepting a replay.
 *
 * @example
 * ```ts
 * const rs = await createResourceServer({ issuer, resource, replay: redisReplayStore({ url: 'redis://127.0.0.1:6379' }) });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11.1
 * @see https://redis.io/docs/latest/commands/set/ (NX, PX)
 */
export function redisReplayStore(options: RedisReplayStoreOptions): RedisReplayStore {
  const connection = openRedisConnection({ ...options, keyPrefix: `${options.keyPrefix ?? 'countersign:'}replay:` });
  return {
    async consume(key, ttlMs) {
      if (typeof key !== 'string' || key === '') throw new ConfigurationError('a replay key must be a non-empty string');
      if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new ConfigurationError('ttlMs must be a positive whole number of milliseconds');
      const answer = await connection.run('record a replay key', (client) => client.set(`${connection.prefix}${key}`, '1', 'PX', ttlMs, 'NX'));
      return answer === 'OK';
    },
    close: () => connection.close(),
  };
}
