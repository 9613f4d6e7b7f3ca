import { ConfigurationError } from '@countersign/core';
import { describe, expect, it } from 'vitest';
import { openRedisConnection } from './connection.js';

describe('openRedisConnection', () => {
  it('refuses plaintext off loopback, bad URLs and bad durations, never quoting a password', () => {
    for (const url of ['redis://:s3cret@10.0.0.5:6379', 'redis://s3cret@redis.example', 'http://127.0.0.1:6379', 'not a url s3cret', '']) {
      const attempt = () => openRedisConnection({ url });
      expect(attempt).toThrow(ConfigurationError);
      expect(attempt).not.toThrow(/s3cret/);
    }
    expect(() => openRedisConnection({ url: 'redis://127.0.0.1:1', commandTimeoutMs: -1 })).toThrow(/commandTimeoutMs/);
    expect(() => openRedisConnection({ url: 'redis://127.0.0.1:1', keyPrefix: '' })).toThrow(/keyPrefix/);
  });

  it('accepts loopback redis:// and rediss:// anywhere (connecting lazily in the background)', async () => {
    for (const url of ['redis://127.0.0.1:1', 'redis://localhost:1', 'redis://[::1]:1', 'rediss://redis.invalid:6380']) {
      const connection = openRedisConnection({ url, connectTimeoutMs: 50 });
      await expect(connection.run('ping', (client) => client.ping())).rejects.toMatchObject({ code: 'ERR_REDIS_UNAVAILABLE' });
      connection.client.disconnect();
    }
  });
});
