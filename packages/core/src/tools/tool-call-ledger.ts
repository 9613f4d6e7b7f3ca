import type { SerializedApproval } from '../approvals/types.js';

/**
 * Persistent state of a guarded tool call tied to an approval: the record that makes execution
 * happen at most once per approval.
 */
export interface StoredToolCall {
  /** The approval id. */
  id: string;
  tool: string;
  /** Id of the model's tool call, when the adapter knows it. */
  callId?: string | undefined;
  /**
   * Ids of later model tool calls with the same tool and arguments that were coalesced onto this
   * approval while it was pending: they wait on it and share its one run instead of asking again.
   */
  sharedWith?: string[] | undefined;
  /** The agent (`client_id`) that asked: only its own identical calls are coalesced onto this one. */
  clientId?: string | undefined;
  argsSha256: string;
  approval: SerializedApproval;
  /**
   * `pending` until executed; `executing` while the function runs; then the final state.
   * `unknown`: the process running it stopped renewing its lease mid-run (it crashed or lost the
   * store), so whether the function took effect is not known; it never runs again.
   */
  state: 'pending' | 'executing' | 'done' | 'failed' | 'denied' | 'expired' | 'unknown';
  /** Fencing token of the lease the call was claimed under, once `executing`. */
  fence?: number | undefined;
  /** Stored outcome once final (JSON). */
  outcome?: unknown;
  updatedAt: number;
}

/**
 * Where guarded tool calls waiting for approval live. Implementations must make `update` atomic
 * per id and leases exclusive across every user of the store (every process, for a shared store):
 * that is how resumes at once, anywhere, still execute once.
 */
export interface ApprovalStore {
  /**
   * How long, in milliseconds, a lease outlives a holder that stops renewing it; a call whose
   * executor's lease lapses is settled as `unknown`. Default 30 000.
   */
  readonly leaseMs?: number | undefined;
  /**
   * Takes the lease `name` for `ttlMs` milliseconds unless another holder's lease on it is still
   * live. Resolves a fencing token, greater than every token this store handed out before, or
   * `undefined` while someone else holds the lease.
   */
  acquireLease(name: string, ttlMs: number): Promise<number | undefined>;
  /** Extends the lease held under `fence` to `ttlMs` from now; `false` once it was lost. */
  renewLease(name: string, fence: number, ttlMs: number): Promise<boolean>;
  /** Gives up the lease held under `fence` (nothing happens when it was lost). */
  releaseLease(name: string, fence: number): Promise<void>;
  get(id: string): Promise<StoredToolCall | undefined>;
  /**
   * The record for a model tool call (its `callId`, or one of its `sharedWith`), so a re-run of the
   * same call resumes instead of asking again. With `clientId` (the guard always passes its agent's),
   * a record another agent stored (its `clientId` set and different) does not answer: agents sharing
   * one store may reuse model call ids (`call_0`) without seeing each other's calls.
   */
  findByCall(tool: string, callId: string, clientId?: string): Promise<StoredToolCall | undefined>;
  /**
   * The newest record still `pending` that agent `clientId` stored for `tool` with arguments hashing
   * to `argsSha256`, if any: an identical call waits on it instead of asking a human again. A store
   * without it is searched with {@link ApprovalStore.list}; the built-in stores (memory, file,
   * `@countersign/redis`) look it up directly.
   */
  findPending?(tool: string, argsSha256: string, clientId: string): Promise<StoredToolCall | undefined>;
  put(record: StoredToolCall): Promise<void>;
  /**
   * Atomically replaces the record with `change(current)`; returns the new record. A store that
   * updates optimistically (compare-and-set) may call `change` more than once, on fresher records:
   * only its last result is stored, so `change` must not depend on earlier calls.
   */
  update(id: string, change: (current: StoredToolCall) => StoredToolCall): Promise<StoredToolCall>;
  list(): Promise<StoredToolCall[]>;
  delete(id: string): Promise<void>;
}
