export { redisApprovalStore } from './redis-approval-store.js';
export type { RedisApprovalStore, RedisApprovalStoreOptions } from './redis-approval-store.js';
export { redisReplayStore } from './redis-replay-store.js';
export type { RedisReplayStore, RedisReplayStoreOptions } from './redis-replay-store.js';
export type { RedisConnectionOptions } from './connection.js';
export { RedisEvictionPolicyError, RedisUnavailableError } from './errors.js';
