import { describe, expect, it } from 'vitest';
import { sleep } from './sleep.js';

describe('sleep', () => {
  it('resolves after the delay', async () => {
    const started = Date.now();
    await sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('resolves at once for zero or negative delays', async () => {
    // Ordered against a later timer rather than timed with a clock, so a loaded machine cannot fail it.
    const later = new Promise<string>((resolve) => setTimeout(() => resolve('the 1 s timer'), 1_000));
    await expect(Promise.race([sleep(-5).then(() => 'sleep'), later])).resolves.toBe('sleep');
    await expect(Promise.race([sleep(0).then(() => 'sleep'), later])).resolves.toBe('sleep');
  });

  it('rejects with the reason of a signal aborted before or during the wait', async () => {
    const reason = new Error('stopped');
    await expect(sleep(10_000, AbortSignal.abort(reason))).rejects.toBe(reason);
    const controller = new AbortController();
    const sleeping = sleep(10_000, controller.signal, { ref: false });
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
  });
});
