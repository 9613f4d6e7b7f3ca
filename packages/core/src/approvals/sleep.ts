/**
 * Waits `milliseconds` on an unref'd timer (it never keeps the process alive), rejecting with
 * `signal.reason` as soon as `signal` aborts.
 */
export function sleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, milliseconds));
    timer.unref?.();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
