import { ApprovalStoreError } from '../errors.js';
import { createKeyedLock } from './keyed-lock.js';
import { createLeaseTable } from './lease-table.js';
import { answersCall, newestPendingCall, normalizeStoredToolCall } from './stored-tool-call.js';
import type { ApprovalStore, StoredToolCall } from './tool-call-ledger.js';

/** Options of {@link memoryApprovalStore}. */
export interface MemoryApprovalStoreOptions {
  /** How long a lease outlives a holder that stops renewing it, in milliseconds (default 30 000). */
  leaseMs?: number | undefined;
}

/**
 * An {@link ApprovalStore} in memory: the default, for one process. Records are checked and kept
 * in their JSON form, copied in and out (callers never hold the stored object), and `update` is
 * atomic per id: updates of one id run one after the other, each seeing the result of the previous
 * one. Leases are this store's own, so only agents sharing this store object coordinate.
 *
 * @example
 * ```ts
 * const agent = await createAgent({ issuer, clientId, key, approvals: { store: memoryApprovalStore() } });
 * ```
 */
export function memoryApprovalStore(options: MemoryApprovalStoreOptions = {}): ApprovalStore {
  const records = new Map<string, StoredToolCall>();
  const withLock = createKeyedLock();
  const leases = createLeaseTable();
  return {
    leaseMs: options.leaseMs,
    acquireLease: async (name, ttlMs) => leases.acquire(name, ttlMs),
    renewLease: async (name, fence, ttlMs) => leases.renew(name, fence, ttlMs),
    releaseLease: async (name, fence) => leases.release(name, fence),
    async get(id) {
      const record = records.get(id);
      return record === undefined ? undefined : copy(record);
    },
    async findByCall(tool, callId, clientId) {
      for (const record of records.values()) if (answersCall(record, tool, callId, clientId)) return copy(record);
      return undefined;
    },
    async findPending(tool, argsSha256, clientId) {
      const found = newestPendingCall(records.values(), tool, argsSha256, clientId);
      return found === undefined ? undefined : copy(found);
    },
    async put(record) {
      const checked = normalizeStoredToolCall(record, `tool call ${String(record?.id)}`);
      await withLock(checked.id, () => {
        records.set(checked.id, checked);
      });
    },
    update(id, change) {
      return withLock(id, () => {
        const current = records.get(id);
        if (current === undefined) throw new ApprovalStoreError(`no stored tool call for approval ${id}`);
        const next = normalizeStoredToolCall(change(copy(current)), `update of tool call ${id}`);
        if (next.id !== id) throw new ApprovalStoreError(`an update of approval ${id} may not change its id`);
        records.set(id, next);
        return copy(next);
      });
    },
    async list() {
      return [...records.values()].map(copy);
    },
    delete(id) {
      return withLock(id, () => {
        records.delete(id);
      });
    },
  };
}

function copy(record: StoredToolCall): StoredToolCall {
  return structuredClone(record);
}
