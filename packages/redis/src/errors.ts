import { CountersignError } from '@countersign/core';

/**
 * Redis did not answer in time, or could not be reached (down, restarting, refusing the
 * connection). Whatever asked for it failed closed: a claim that cannot be recorded is not made,
 * so the guarded call runs nowhere. Retry later; the client reconnects on its own.
 */
export class RedisUnavailableError extends CountersignError {
  override readonly code = 'ERR_REDIS_UNAVAILABLE';
}

