/**
 * The store's atomic steps, run inside Redis so that no other client can act between a read and
 * the write that depends on it.
 */

/** KEYS: lease, fence counter. ARGV: ttl ms. Returns the new fencing token, or nil while the lease is held. */
export const ACQUIRE_LEASE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], fence, 'PX', ARGV[1])
return fence`;

/** KEYS: lease. ARGV: fence, ttl ms. Returns 1 when the lease was still held under that fence. */
export const RENEW_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** KEYS: lease. ARGV: fence. Deletes the lease only when held under that fence. */
export const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * KEYS: record, then any number of index keys (its model tool calls, its pending arguments) that
 * point at it. ARGV: expected JSON ('' = must not matter), new JSON, expiry (unix ms).
 * Compare-and-set: writes the record and its indexes only when the record still reads `expected`.
 */
export const WRITE_RECORD = `
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
for index = 2, #KEYS do redis.call('SET', KEYS[index], KEYS[1], 'PXAT', ARGV[3]) end
return 1`;

/**
 * KEYS: record, then any number of index keys that point at it. ARGV: expected JSON, new JSON,
 * expiry (unix ms). Compare-and-set for `update`: writes only when the record still reads `expected` and returns
 * `{1}`; otherwise writes nothing and returns what the record reads now, `{0, current}`, or `{0}`
 * when there is none, so a writer that guessed wrong learns the truth in the same round trip.
 */
export const UPDATE_RECORD = `
local current = redis.call('GET', KEYS[1])
if current ~= ARGV[1] then
  if current then return {0, current} end
  return {0}
end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
for index = 2, #KEYS do redis.call('SET', KEYS[index], KEYS[1], 'PXAT', ARGV[3]) end
return {1}`;
