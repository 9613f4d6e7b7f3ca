import { describe, expect, it } from 'vitest';
import { createLeaseTable } from './lease-table.js';

describe('createLeaseTable', () => {
  it('hands a name to one holder at a time, with growing fencing tokens', () => {
    let now = 1_000;
    const table = createLeaseTable(() => now);
    const first = table.acquire('approval:a', 100);
    expect(first).toBe(1);
    expect(table.acquire('approval:a', 100)).toBeUndefined();
    expect(table.acquire('approval:b', 100)).toBe(2);
    now += 100;
    const second = table.acquire('approval:a', 100);
    expect(second).toBe(3);
    // The first holder lapsed: it can neither renew nor release the second holder's lease.
    expect(table.renew('approval:a', first!, 100)).toBe(false);
    table.release('approval:a', first!);
    expect(table.acquire('approval:a', 100)).toBeUndefined();
  });

  it('renewing keeps a lease alive; releasing frees it at once', () => {
    let now = 0;
    const table = createLeaseTable(() => now);
    const fence = table.acquire('call:x', 100)!;
    now += 90;
    expect(table.renew('call:x', fence, 100)).toBe(true);
    now += 90;
    expect(table.acquire('call:x', 100)).toBeUndefined();
    table.release('call:x', fence);
    expect(table.acquire('call:x', 100)).toBe(fence + 1);
  });
});
