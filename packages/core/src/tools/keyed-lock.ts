/** Runs tasks one at a time per key, in call order. */
export type KeyedLock = <T>(key: string, task: () => Promise<T> | T) => Promise<T>;

/**
 * Creates a {@link KeyedLock}: a promise chain per key, dropped once idle, so tasks on one key
 * never interleave while tasks on different keys run freely. A failing task releases the lock.
 */
export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<void>>();
  return async (key, task) => {
    const previous = tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}
