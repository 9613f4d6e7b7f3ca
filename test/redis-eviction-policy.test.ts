/**
 * A Redis that may evict keys is refused: every key the stores write has a TTL, so under a
 * volatile-* or allkeys-* maxmemory-policy a flood of proof jtis could evict a spent action token
 * and let the same approved payout be accepted twice. Real redis-servers, one per policy.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisApprovalStore, redisReplayStore, RedisEvictionPolicyError } from '@countersign/redis';
import { startRedisServer, type TestRedis } from './helpers/redis-server.js';

let evicting: TestRedis;
let configless: TestRedis;
let safe: TestRedis;
const clients: { close(): Promise<void> }[] = [];
const track = <T extends { close(): Promise<void> }>(client: T): T => (clients.push(client), client);

/** The number of keys on a server, read with a plain client. */
async function keyCount(server: TestRedis): Promise<number> {
  const client = new Redis(server.url);
  try {
    return await client.dbsize();
  } finally {
    client.disconnect();
  }
}

beforeAll(async () => {
  [evicting, configless, safe] = await Promise.all([
    startRedisServer(['--maxmemory', '2mb', '--maxmemory-policy', 'volatile-lru']),
    // CONFIG renamed away, as managed services do: the policy is read from INFO memory instead.
    startRedisServer(['--maxmemory', '2mb', '--maxmemory-policy', 'allkeys-lru', '--rename-command', 'CONFIG', '']),
    startRedisServer(['--maxmemory', '2mb', '--maxmemory-policy', 'noeviction']),
  ]);
});

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
  await Promise.allSettled([evicting, configless, safe].map((server) => server?.stop()));
});

describe('Redis eviction policy', () => {
  it('volatile-lru: the replay store refuses to consume, with a typed error naming the policy and the fix; nothing is written', async () => {
    const replay = track(redisReplayStore({ url: evicting.url }));
    const attempt = replay.consume('action:jti-1', 60_000);
    await expect(attempt).rejects.toBeInstanceOf(RedisEvictionPolicyError);
    await expect(replay.consume('action:jti-1', 60_000)).rejects.toMatchObject({
      code: 'ERR_REDIS_EVICTION_POLICY',
      message: expect.stringMatching(/maxmemory-policy volatile-lru.*maxmemory-policy noeviction.*allowEviction: true/s),
    });
    expect(await keyCount(evicting)).toBe(0);
  });

  it('volatile-lru: the approval store takes no lease and stores no call, so nothing can run', async () => {
    const store = track(redisApprovalStore({ url: evicting.url }));
    await expect(store.acquireLease('approval:a-1', 5_000)).rejects.toMatchObject({ code: 'ERR_REDIS_EVICTION_POLICY' });
    await expect(store.findByCall('pay', 'call-1')).rejects.toMatchObject({ code: 'ERR_REDIS_EVICTION_POLICY' });
    await expect(store.list()).rejects.toMatchObject({ code: 'ERR_REDIS_EVICTION_POLICY' });
    expect(await keyCount(evicting)).toBe(0);
  });

  it('CONFIG renamed away: the policy is read from INFO memory, and allkeys-lru is refused too', async () => {
    const replay = track(redisReplayStore({ url: configless.url }));
    await expect(replay.consume('proof:jti-2', 60_000)).rejects.toMatchObject({
      code: 'ERR_REDIS_EVICTION_POLICY',
      message: expect.stringContaining('maxmemory-policy allkeys-lru'),
    });
    expect(await keyCount(configless)).toBe(0);
  });

  it('noeviction: both stores work', async () => {
    const replay = track(redisReplayStore({ url: safe.url }));
    expect(await replay.consume('action:jti-3', 60_000)).toBe(true);
    expect(await replay.consume('action:jti-3', 60_000)).toBe(false);
    const store = track(redisApprovalStore({ url: safe.url }));
    const fence = await store.acquireLease('approval:a-3', 5_000);
    expect(fence).toEqual(expect.any(Number));
    expect(await store.acquireLease('approval:a-3', 5_000)).toBeUndefined();
  });

  it('allowEviction: true is the explicit opt-out, and a server switched to noeviction is accepted without a restart', async () => {
    const optedOut = track(redisReplayStore({ url: evicting.url, keyPrefix: 'opted-out:', allowEviction: true }));
    expect(await optedOut.consume('action:jti-4', 60_000)).toBe(true);
    expect(await optedOut.consume('action:jti-4', 60_000)).toBe(false);

    const replay = track(redisReplayStore({ url: evicting.url, keyPrefix: 'fixed:' }));
    await expect(replay.consume('action:jti-5', 60_000)).rejects.toMatchObject({ code: 'ERR_REDIS_EVICTION_POLICY' });
    const admin = new Redis(evicting.url);
    try {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
    } finally {
      admin.disconnect();
    }
    expect(await replay.consume('action:jti-5', 60_000)).toBe(true);
    expect(await replay.consume('action:jti-5', 60_000)).toBe(false);
  });
});
