import { newestPendingCall } from './stored-tool-call.js';
import type { ApprovalStore, StoredToolCall } from './tool-call-ledger.js';

/** A pending call this close to its approval's expiry is not joined: a new request is made instead. */
const JOIN_MARGIN_MS = 1000;

/**
 * The pending call an identical new call (same agent, tool and arguments hash) may wait on instead
 * of asking a human again: the store's newest pending one, unless its approval is about to expire
 * (`timeLeft`, in milliseconds, on the approval's own clock).
 * Stores without `findPending` are searched through `list()`.
 */
export async function joinablePendingCall(
  store: ApprovalStore,
  tool: string,
  argsSha256: string,
  clientId: string,
  timeLeft: (record: StoredToolCall) => number,
): Promise<StoredToolCall | undefined> {
  const found =
    store.findPending !== undefined ? await store.findPending(tool, argsSha256, clientId) : newestPendingCall(await store.list(), tool, argsSha256, clientId);
  if (found === undefined || found.state !== 'pending' || found.tool !== tool || found.argsSha256 !== argsSha256 || found.clientId !== clientId) return undefined;
  return timeLeft(found) > JOIN_MARGIN_MS ? found : undefined;
}

/** Most model tool call ids recorded in one call's `sharedWith` (each is an index key in a shared store). */
export const MAX_SHARED_CALLS = 100;

/**
 * `record` with the model tool call `callId` coalesced onto it (in `sharedWith`), so a re-run of
 * that call finds this record and its outcome (even one reached meanwhile); unchanged when it
 * already answers for `callId`. Past {@link MAX_SHARED_CALLS} joined ids, `record` is also
 * unchanged: such a call still waits on this approval (or gets its pending outcome), but its id is
 * not recorded, so a re-run of it after the call settled asks anew instead of finding this outcome.
 */
export function shareCall(record: StoredToolCall, callId: string): StoredToolCall {
  if (record.callId === callId || record.sharedWith?.includes(callId)) return record;
  if ((record.sharedWith?.length ?? 0) >= MAX_SHARED_CALLS) return record;
  return { ...record, sharedWith: [...(record.sharedWith ?? []), callId], updatedAt: Date.now() };
}
