import { describe, expect, it } from 'vitest';
import { createExpiringSet } from './expiring-set.js';
import { ToolApiError } from './tool-api-error.js';

describe('createExpiringSet', () => {
  it('reports a replay while the entry lives, and forgets it after its expiry', () => {
    let now = 1000;
    const seen = createExpiringSet({ clock: () => now });
    expect(seen.add('a', 1060)).toBe(true);
    expect(seen.add('a', 1060)).toBe(false);
    now = 1059;
    expect(seen.has('a')).toBe(true);
    now = 1060;
    expect(seen.has('a')).toBe(false);
    expect(seen.add('a', 1120)).toBe(true);
  });

  it('never evicts a live entry to make room: a full set refuses with 503', () => {
    let now = 0;
    const seen = createExpiringSet({ maxEntries: 2, clock: () => now });
    seen.add('a', 10);
    seen.add('b', 100);
    const full = (() => {
      try {
        seen.add('c', 100);
      } catch (error) {
        return error;
      }
    })();
    expect(full).toBeInstanceOf(ToolApiError);
    expect((full as ToolApiError).status).toBe(503);
    expect(seen.add('a', 10)).toBe(false);
    now = 10; // 'a' expired: the sweep makes room
    expect(seen.add('c', 100)).toBe(true);
    expect(seen.add('b', 100)).toBe(false);
  });

  it('releases a reservation on delete', () => {
    const seen = createExpiringSet();
    seen.add('token', Date.now() / 1000 + 60);
    seen.delete('token');
    expect(seen.has('token')).toBe(false);
  });
});
