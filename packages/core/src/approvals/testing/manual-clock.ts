/**
 * A clock that only moves when told to, for tests: `sleep` advances it instead of waiting, so
 * polling loops run instantly and deterministically.
 */
export interface ManualClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Moves the clock forward. */
  advance(milliseconds: number): void;
  /** Advances the clock by `milliseconds` and resolves on the next macrotask (or rejects when aborted). */
  sleep(milliseconds: number, signal?: AbortSignal): Promise<void>;
  /** Every sleep asked for, in order, in milliseconds. */
  readonly sleeps: number[];
}

/** Creates a {@link ManualClock} starting at `start` (default 1 700 000 000 000). */
export function createManualClock(start = 1_700_000_000_000): ManualClock {
  let time = start;
  const sleeps: number[] = [];
  return {
    now: () => time,
    advance(milliseconds) {
      time += milliseconds;
    },
    sleeps,
    sleep(milliseconds, signal) {
      sleeps.push(milliseconds);
      if (signal?.aborted) return Promise.reject(signal.reason);
      time += milliseconds;
      return new Promise((resolve, reject) => {
        setImmediate(() => (signal?.aborted ? reject(signal.reason) : resolve()));
      });
    },
  };
}
