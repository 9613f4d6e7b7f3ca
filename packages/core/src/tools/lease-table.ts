/** Leases of one process, for the stores whose users all live in this process (memory, file). */
export interface LeaseTable {
  acquire(name: string, ttlMs: number): number | undefined;
  renew(name: string, fence: number, ttlMs: number): boolean;
  release(name: string, fence: number): void;
}

/**
 * Creates a {@link LeaseTable}: at most one live lease per name, each with a fencing token that
 * grows with every lease handed out, so a holder whose lease lapsed can be told from the next one.
 * A lease lapses `ttlMs` after it was taken or last renewed.
 */
export function createLeaseTable(clock: () => number = Date.now): LeaseTable {
  const leases = new Map<string, { fence: number; expiresAt: number }>();
  let lastFence = 0;
  const held = (name: string, fence: number) => {
    const lease = leases.get(name);
    return lease !== undefined && lease.fence === fence && lease.expiresAt > clock() ? lease : undefined;
  };
  return {
    acquire(name, ttlMs) {
      const current = leases.get(name);
      if (current !== undefined && current.expiresAt > clock()) return undefined;
      const fence = ++lastFence;
      leases.set(name, { fence, expiresAt: clock() + ttlMs });
      return fence;
    },
    renew(name, fence, ttlMs) {
      const lease = held(name, fence);
      if (lease === undefined) return false;
      lease.expiresAt = clock() + ttlMs;
      return true;
    },
    release(name, fence) {
      if (leases.get(name)?.fence === fence) leases.delete(name);
    },
  };
}
