/**
 * The Redis approval store's `update` starts from the text it last wrote or read, without reading
 * again: a claim+complete is four round trips. These tests show that a guess gone stale (another
 * process wrote since) loses no write and decides nothing on its own, against a real redis-server.
 */
import { describe, expect, it } from 'vitest';
import type { StoredToolCall } from '@countersign/core/tools';
import { sampleToolCall } from '@countersign/core/testing';
import { useRedisStores } from './helpers/redis-store-harness.js';

const harness = useRedisStores('rt');
const { storeFor, newPrefix } = harness;

/** A stored call whose approval was granted: what a claim starts from. */
function call(id: string, overrides: Partial<StoredToolCall> = {}): StoredToolCall {
  const sample = sampleToolCall(id);
  return { ...sample, approval: { ...sample.approval!, status: 'approved' }, ...overrides };
}

/** The commands clients send while `work` runs, as MONITOR sees them (not those a script runs). */
async function commandsSentDuring(work: () => Promise<void>): Promise<string[]> {
  const monitor = await harness.raw.monitor();
  const sent: string[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (!source.startsWith('lua')) sent.push(String(args[0]).toLowerCase());
  });
  try {
    await work();
    // A PING through the monitored server marks the end: every command before it was seen.
    await harness.raw.ping('end-of-work');
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    monitor.disconnect();
  }
  return sent.slice(0, sent.lastIndexOf('ping'));
}

describe('redisApprovalStore update: compare-and-set from the last known text', () => {
  it('claim+complete (lease, pending -> executing, -> done, release) is four round trips', async () => {
    const store = storeFor(newPrefix());
    const claimAndComplete = async (id: string) => {
      await store.put(call(id));
      const fence = await store.acquireLease(`approval:${id}`, 30_000);
      await store.update(id, (current) => (current.state === 'pending' ? { ...current, state: 'executing', fence } : current));
      await store.update(id, (current) => (current.state === 'executing' && current.fence === fence ? { ...current, state: 'done', outcome: { ok: true } } : current));
      await store.releaseLease(`approval:${id}`, fence!);
    };
    await claimAndComplete('warm-up'); // the scripts are loaded once
    await store.put(call('a'));
    let fence: number | undefined;
    const sent = await commandsSentDuring(async () => {
      fence = await store.acquireLease('approval:a', 30_000);
      await store.update('a', (current) => (current.state === 'pending' ? { ...current, state: 'executing', fence } : current));
      await store.update('a', (current) => (current.state === 'executing' && current.fence === fence ? { ...current, state: 'done', outcome: { ok: true } } : current));
      await store.releaseLease('approval:a', fence!);
    });
    // Lease script, two compare-and-set scripts, release script: no read in between.
    expect(sent).toEqual(['evalsha', 'evalsha', 'evalsha', 'evalsha']);
    expect(await store.get('a')).toMatchObject({ state: 'done', fence, outcome: { ok: true } });
  });

  it('a guess gone stale (another process wrote since) is refused, and the change is made on what is stored', async () => {
    const prefix = newPrefix();
    const [one, two] = [storeFor(prefix), storeFor(prefix)];
    await one.put(call('a', { outcome: 0 }));
    await two.update('a', (current) => ({ ...current, outcome: (current.outcome as number) + 10 }));
    // `one` still holds the text it put (outcome 0): its compare-and-set fails and brings back 10.
    const updated = await one.update('a', (current) => ({ ...current, outcome: (current.outcome as number) + 1 }));
    expect(updated.outcome).toBe(11);
    expect((await two.get('a'))!.outcome).toBe(11);
  });

  it('"nothing to change" judged on a stale guess is checked against what is stored', async () => {
    const prefix = newPrefix();
    const [one, two] = [storeFor(prefix), storeFor(prefix)];
    await one.put(call('a'));
    await two.update('a', (current) => ({ ...current, state: 'executing', fence: 7 }));
    // On its guess (pending) this change does nothing; on what is stored (executing) it completes.
    const result = await one.update('a', (current) => (current.state === 'executing' ? { ...current, state: 'done', outcome: 'paid' } : current));
    expect(result).toMatchObject({ state: 'done', fence: 7, outcome: 'paid' });
    expect(await two.get('a')).toMatchObject({ state: 'done', outcome: 'paid' });
  });

  it('a record deleted or expired behind the guess is reported, not recreated', async () => {
    const prefix = newPrefix();
    const store = storeFor(prefix);
    await store.put(call('a'));
    await harness.raw.del(`${prefix}call:a`);
    await expect(store.update('a', (current) => ({ ...current, state: 'executing' }))).rejects.toThrow(/no stored tool call/);
    expect(await harness.raw.exists(`${prefix}call:a`)).toBe(0);
  });
});
