/**
 * The part of the {@link ApprovalStore} contract that coalescing relies on, as one check every
 * store's tests run (memory, file, Redis), so they cannot drift apart. Test-only.
 */
import { expect } from 'vitest';
import type { ApprovalStore, StoredToolCall } from '../tool-call-ledger.js';

/** Makes a pending record `id` (tool `create_payout`, hash `hash`, callId `call-<id>`) with overrides. */
export type RecordMaker = (id: string, overrides?: Partial<StoredToolCall>) => StoredToolCall;

/**
 * Checks `findByCall` through `sharedWith` and `findPending`, writing through `writer` and reading
 * through `reader` (two connections of one shared store, or the same store twice).
 */
export async function checkCoalescingLookups(writer: ApprovalStore, reader: ApprovalStore, record: RecordMaker): Promise<void> {
  expect(typeof reader.findPending).toBe('function');
  const findPending = (tool: string, hash: string, clientId: string) => reader.findPending!(tool, hash, clientId);
  await writer.put(record('a', { clientId: 'agent-1' }));
  await writer.put(record('b', { clientId: 'agent-2' }));
  await writer.put(record('c', { clientId: 'agent-1', argsSha256: 'other-hash' }));
  expect((await findPending('create_payout', 'hash', 'agent-1'))?.id).toBe('a');
  expect((await findPending('create_payout', 'hash', 'agent-2'))?.id).toBe('b');
  expect((await findPending('create_payout', 'other-hash', 'agent-1'))?.id).toBe('c');
  expect(await findPending('create_payout', 'hash', 'agent-3')).toBeUndefined();
  expect(await findPending('rotate_signing_key', 'hash', 'agent-1')).toBeUndefined();

  // A later call coalesced onto `a` finds it by its own call id, from any user of the store.
  await writer.update('a', (current) => ({ ...current, sharedWith: ['call-later', 'call-latest'] }));
  expect((await reader.findByCall('create_payout', 'call-later'))?.id).toBe('a');
  expect((await reader.findByCall('create_payout', 'call-latest'))?.id).toBe('a');
  expect((await reader.findByCall('create_payout', 'call-a'))?.id).toBe('a');
  expect(await reader.findByCall('rotate_signing_key', 'call-later')).toBeUndefined();
  expect((await reader.get('a'))?.sharedWith).toEqual(['call-later', 'call-latest']);

  // Once it left `pending`, it is not joined any more; its coalesced calls still find its outcome.
  await writer.update('a', (current) => ({ ...current, state: 'done', outcome: { status: 'done' } }));
  expect(await findPending('create_payout', 'hash', 'agent-1')).toBeUndefined();
  expect((await reader.findByCall('create_payout', 'call-later'))?.state).toBe('done');
  await writer.put(record('d', { clientId: 'agent-1' }));
  expect((await findPending('create_payout', 'hash', 'agent-1'))?.id).toBe('d');

  await writer.delete('a');
  expect(await reader.findByCall('create_payout', 'call-later')).toBeUndefined();
  await writer.delete('d');
  expect(await findPending('create_payout', 'hash', 'agent-1')).toBeUndefined();

  // Malformed coalescing members are refused.
  await expect(writer.put(record('e', { sharedWith: 'call-x' as never }))).rejects.toMatchObject({ code: 'ERR_APPROVAL_STORE' });
  await expect(writer.put(record('e', { clientId: 7 as never }))).rejects.toMatchObject({ code: 'ERR_APPROVAL_STORE' });
}

/**
 * Checks that `findByCall` with a client id keeps agents apart: two agents sharing the store with
 * one model call id each find their own record (a record without a client id answers any agent),
 * and deleting one leaves the other findable.
 */
export async function checkAgentScopedCallLookups(writer: ApprovalStore, reader: ApprovalStore, record: RecordMaker): Promise<void> {
  await writer.put(record('x', { clientId: 'agent-1', callId: 'call_0' }));
  await writer.put(record('y', { clientId: 'agent:2', callId: 'call_0' }));
  await writer.update('x', (current) => ({ ...current, sharedWith: ['call_1'] }));
  await writer.update('y', (current) => ({ ...current, sharedWith: ['call_1'] }));
  for (const callId of ['call_0', 'call_1']) {
    expect((await reader.findByCall('create_payout', callId, 'agent-1'))?.id).toBe('x');
    expect((await reader.findByCall('create_payout', callId, 'agent:2'))?.id).toBe('y');
    expect(await reader.findByCall('create_payout', callId, 'agent-3')).toBeUndefined();
    expect(['x', 'y']).toContain((await reader.findByCall('create_payout', callId))?.id);
  }
  await writer.put(record('z', { callId: 'call_9' }));
  expect((await reader.findByCall('create_payout', 'call_9', 'agent-1'))?.id).toBe('z');
  await writer.delete('x');
  expect(await reader.findByCall('create_payout', 'call_0', 'agent-1')).toBeUndefined();
  expect((await reader.findByCall('create_payout', 'call_0', 'agent:2'))?.id).toBe('y');
  expect((await reader.findByCall('create_payout', 'call_1'))?.id).toBe('y');
}
