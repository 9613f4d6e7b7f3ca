import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalStoreError } from '../errors.js';
import { fileApprovalStore } from './file-approval-store.js';
import { createKeyedLock } from './keyed-lock.js';
import { memoryApprovalStore } from './memory-approval-store.js';
import { approvalStoreContract, sampleToolCall as call } from '../testing/approval-store-contract.js';
import type { ApprovalStore } from './tool-call-ledger.js';
import { checkAgentScopedCallLookups, checkCoalescingLookups } from './testing/coalescing-contract.js';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'countersign-store-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

let files = 0;
const newFile = () => join(directory, `nested-${++files}`, 'approvals.json');
const lastFile = () => join(directory, `nested-${files}`, 'approvals.json');

approvalStoreContract({ describe, it }, 'memoryApprovalStore', { create: () => memoryApprovalStore() });
approvalStoreContract({ describe, it }, 'fileApprovalStore', { create: () => fileApprovalStore(newFile()), reopen: () => fileApprovalStore(lastFile()) });

describe.each([
  ['memoryApprovalStore', () => memoryApprovalStore()],
  ['fileApprovalStore', () => fileApprovalStore(newFile())],
])('%s: coalescing lookups', (_name, makeStore: () => ApprovalStore) => {
  it('finds a call coalesced onto another by its own call id, and the pending call of one agent, tool and arguments hash', async () => {
    const store = makeStore();
    await checkCoalescingLookups(store, store, call);
  });

  it('keeps agents that share the store and a model call id apart', async () => {
    const store = makeStore();
    await checkAgentScopedCallLookups(store, store, call);
  });
});

describe('fileApprovalStore on disk', () => {
  it('survives a restart: a new store on the same file sees every record', async () => {
    const path = newFile();
    const record = call('a', { outcome: { status: 'done', result: { payoutId: 'p1' } } });
    await fileApprovalStore(path).put(record);
    const reopened = fileApprovalStore(path);
    expect(await reopened.get('a')).toEqual(record);
  });

  it('writes the file 0600 and leaves no temporary files', async () => {
    const path = newFile();
    const store = fileApprovalStore(path);
    await Promise.all([store.put(call('a')), store.put(call('b')), store.update('a', (current) => current).catch(() => undefined)]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(path, '..'))).toEqual(['approvals.json']);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ version: 1, calls: [{ id: 'a' }, { id: 'b' }] });
  });

  it('serializes two stores on the same path in one process', async () => {
    const path = newFile();
    const first = fileApprovalStore(path);
    const second = fileApprovalStore(path);
    await first.put(call('a', { outcome: 0 }));
    await Promise.all(
      Array.from({ length: 10 }, (_, index) => (index % 2 ? first : second).update('a', (current) => ({ ...current, outcome: (current.outcome as number) + 1 }))),
    );
    expect((await first.get('a'))!.outcome).toBe(10);
  });

  it.each([0o644, 0o640, 0o606])('refuses a file with mode %o', async (mode) => {
    const path = newFile();
    const store = fileApprovalStore(path);
    await store.put(call('a'));
    await chmod(path, mode);
    const error = await store.get('a').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApprovalStoreError);
    expect((error as Error).message).toMatch(/chmod 600/);
    await expect(store.put(call('b'))).rejects.toBeInstanceOf(ApprovalStoreError);
    expect((await stat(path)).mode & 0o777).toBe(mode);
  });

  it.each([
    ['truncated JSON', (text: string) => text.slice(0, text.length / 2)],
    ['an empty file', () => ''],
    ['another version', (text: string) => text.replace('"version": 1', '"version": 2')],
    ['a record without its approval handle', (text: string) => text.replace('"authReqId": "handle"', '"authReqId": 7')],
    ['a repeated record', (text: string) => JSON.stringify({ version: 1, calls: [JSON.parse(text).calls[0], JSON.parse(text).calls[0]] })],
  ])('reports %s as corrupt and never overwrites it', async (_name, damage) => {
    const path = newFile();
    const store = fileApprovalStore(path);
    await store.put(call('a'));
    const damaged = damage(await readFile(path, 'utf8'));
    await writeFile(path, damaged, { mode: 0o600 });
    const error = await store.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApprovalStoreError);
    expect((error as Error).message).toMatch(/corrupt/);
    await expect(store.put(call('b'))).rejects.toBeInstanceOf(ApprovalStoreError);
    await expect(store.update('a', (current) => current)).rejects.toBeInstanceOf(ApprovalStoreError);
    await expect(store.delete('a')).rejects.toBeInstanceOf(ApprovalStoreError);
    expect(await readFile(path, 'utf8')).toBe(damaged);
  });

  it('refuses a directory where the file should be', async () => {
    const path = newFile();
    await fileApprovalStore(join(path, 'x')).put(call('a'));
    await expect(fileApprovalStore(path).list()).rejects.toBeInstanceOf(ApprovalStoreError);
  });

  it('refuses an empty path', () => {
    expect(() => fileApprovalStore('')).toThrow(ApprovalStoreError);
  });
});

describe('createKeyedLock', () => {
  it('runs tasks of one key in order and releases the key after a failure', async () => {
    const lock = createKeyedLock();
    const order: string[] = [];
    const slow = lock('k', async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      order.push('first');
      throw new Error('boom');
    });
    const other = lock('other', () => order.push('other key'));
    const next = lock('k', () => order.push('second'));
    await expect(slow).rejects.toThrow('boom');
    await Promise.all([other, next]);
    expect(order).toEqual(['other key', 'first', 'second']);
  });
});
