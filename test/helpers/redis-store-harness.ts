/**
 * One redis-server per test file, a raw client on it, and approval stores that each get a
 * connection of their own, all closed after the file's tests.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { redisApprovalStore, type RedisApprovalStore } from '@countersign/redis';
import { startRedisServer, type TestRedis } from './redis-server.js';

export interface RedisStoreHarness {
  /** The server (started before the file's tests). */
  readonly redis: TestRedis;
  /** A plain client on it, for looking at keys and commands directly. */
  readonly raw: Redis;
  /** A store on `prefix`, on a connection of its own: two stores on one prefix are two processes. */
  storeFor(prefix: string, options?: Partial<Parameters<typeof redisApprovalStore>[0]>): RedisApprovalStore;
  /** A key prefix no other test of the file uses, `<label>-<n>:`. */
  newPrefix(): string;
}

/** Registers the file's `beforeAll`/`afterAll` and returns the harness they fill in. */
export function useRedisStores(label: string): RedisStoreHarness {
  let redis: TestRedis | undefined;
  let raw: Redis | undefined;
  const stores: RedisApprovalStore[] = [];
  let prefixes = 0;
  beforeAll(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url);
    raw.on('error', () => undefined);
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    raw?.disconnect();
    await redis?.stop();
  });
  return {
    get redis() {
      return redis!;
    },
    get raw() {
      return raw!;
    },
    storeFor(prefix, options = {}) {
      const store = redisApprovalStore({ url: redis!.url, keyPrefix: prefix, ...options });
      stores.push(store);
      return store;
    },
    newPrefix: () => `${label}-${++prefixes}:`,
  };
}
