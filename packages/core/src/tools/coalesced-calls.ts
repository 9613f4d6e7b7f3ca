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

/**
 * `record` with the model tool call `callId` coalesced onto it (in `sharedWith`), so a re-run of
 * that call finds this record and its outcome (even one reached meanwhile); unchanged when it
 * already answers for `callId`.
 */
export function shareCall(record: StoredToolCall, callId: string): StoredToolCall {
  if (record.callId === callId || record.sharedWith?.includes(callId)) return record;
  return { ...record, sharedWith: [...(record.sharedWith ?? []), callId], updatedAt: Date.now() };
}
