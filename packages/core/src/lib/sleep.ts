import { setTimeout as delay } from 'node:timers/promises';

/** Options of {@link sleep}. */
export interface SleepOptions {
  /**
   * Whether the timer keeps the process alive (default `true`). Background waits, such as polling
   * an approval nobody is awaiting, pass `false`.
   */
  ref?: boolean;
}

/** Waits `milliseconds`, rejecting with `signal.reason` as soon as `signal` aborts. */
export async function sleep(milliseconds: number, signal?: AbortSignal, options: SleepOptions = {}): Promise<void> {
  try {
    await delay(Math.max(0, milliseconds), undefined, { signal, ref: options.ref ?? true });
  } catch (error) {
    throw signal?.aborted ? signal.reason : error;
  }
}
