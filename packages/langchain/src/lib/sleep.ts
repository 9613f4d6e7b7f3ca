import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits `milliseconds`, rejecting with `signal.reason` as soon as `signal` aborts. The timer is
 * not unref'd on purpose: a resumer waiting for a human is the work, not a background chore.
 */
export async function sleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(Math.max(0, milliseconds), undefined, { signal });
  } catch (error) {
    throw signal?.aborted ? signal.reason : error;
  }
}
