import { CountersignError } from '@countersign/core';
import { describe, expect, it } from 'vitest';
import { RedisEvictionPolicyError, RedisUnavailableError } from './errors.js';

describe('Redis store errors', () => {
  it('each class recognises its own instances only, with its static code', () => {
    const unavailable = new RedisUnavailableError('Redis did not answer within 2000 ms');
    const eviction = new RedisEvictionPolicyError('maxmemory-policy is volatile-lru');
    expect(RedisUnavailableError.code).toBe('ERR_REDIS_UNAVAILABLE');
    expect(RedisEvictionPolicyError.code).toBe('ERR_REDIS_EVICTION_POLICY');
    expect(RedisUnavailableError.isInstance(unavailable)).toBe(true);
    expect(RedisUnavailableError.isInstance(eviction)).toBe(false);
    expect(RedisEvictionPolicyError.isInstance(unavailable)).toBe(false);
    expect(RedisUnavailableError.isInstance(new CountersignError('other'))).toBe(false);
    expect(CountersignError.isInstance(unavailable)).toBe(true);
  });
});
