import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ApprovalStoreError } from '../errors.js';
import { writePrivateFileAtomically } from '../lib/atomic-write.js';
import { createKeyedLock } from './keyed-lock.js';
import { createLeaseTable, type LeaseTable } from './lease-table.js';
import { answersCall, newestPendingCall, normalizeStoredToolCall, parseStoredToolCall } from './stored-tool-call.js';
import type { ApprovalStore, StoredToolCall } from './tool-call-ledger.js';

/** Every file store in this process takes its turn through one lock per resolved path. */
const withFileLock = createKeyedLock();
/** Leases are this process's, one table per resolved path. */
const leaseTables = new Map<string, LeaseTable>();

/**
 * An {@link ApprovalStore} in one JSON file, so pending tool calls survive a restart.
 *
 * - The file is created with mode 0600 (it holds CIBA handles), and a file readable or writable by
 *   group or others is refused, as key files are.
 * - Writes are atomic: a temporary file in the same directory is written, fsynced, then renamed
 *   over the old one, so a crash leaves the old or the new state, never half of one.
 * - Readers and writers in this process are serialized per path; `update` is atomic per store.
 *   Leases live in this process. Share one file between processes only if one process at a time
 *   uses it; for several processes use a shared store (`@countersign/redis`).
 * - A file that is not valid store JSON is reported as {@link ApprovalStoreError} and left as it
 *   is: nothing is half-read and nothing overwrites it.
 *
 * @example
 * ```ts
 * const store = fileApprovalStore('.countersign/approvals.json');
 * const agent = await createAgent({ issuer, clientId, key, approvals: { store } });
 * ```
 */
export function fileApprovalStore(path: string): ApprovalStore {
  if (typeof path !== 'string' || path === '') throw new ApprovalStoreError('approval store path must be a non-empty string');
  const file = resolve(path);
  const locked = <T>(task: () => Promise<T>) => withFileLock(file, task);
  let leases = leaseTables.get(file);
  if (leases === undefined) leaseTables.set(file, (leases = createLeaseTable()));
  const table = leases;
  const change = (mutate: (records: Map<string, StoredToolCall>) => StoredToolCall | undefined) =>
    locked(async () => {
      const records = await readRecords(file);
      const result = mutate(records);
      await writeRecords(file, records);
      return result;
    });

  return {
    acquireLease: async (name, ttlMs) => table.acquire(name, ttlMs),
    renewLease: async (name, fence, ttlMs) => table.renew(name, fence, ttlMs),
    releaseLease: async (name, fence) => table.release(name, fence),
    get: (id) => locked(async () => (await readRecords(file)).get(id)),
    findByCall: (tool, callId, clientId) => locked(async () => [...(await readRecords(file)).values()].find((record) => answersCall(record, tool, callId, clientId))),
    findPending: (tool, argsSha256, clientId) => locked(async () => newestPendingCall((await readRecords(file)).values(), tool, argsSha256, clientId)),
    async put(record) {
      const checked = normalizeStoredToolCall(record, `tool call ${String(record?.id)}`);
      await change((records) => {
        records.set(checked.id, checked);
        return undefined;
      });
    },
    async update(id, mutate) {
      return (await change((records) => {
        const current = records.get(id);
        if (current === undefined) throw new ApprovalStoreError(`no stored tool call for approval ${id}`);
        const next = normalizeStoredToolCall(mutate(current), `update of tool call ${id}`);
        if (next.id !== id) throw new ApprovalStoreError(`an update of approval ${id} may not change its id`);
        records.set(id, next);
        return next;
      }))!;
    },
    list: () => locked(async () => [...(await readRecords(file)).values()]),
    async delete(id) {
      await change((records) => {
        records.delete(id);
        return undefined;
      });
    },
  };
}

async function readRecords(file: string): Promise<Map<string, StoredToolCall>> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new ApprovalStoreError(`approval store ${file} is not a regular file`);
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw new ApprovalStoreError(
        `approval store ${file} is accessible by group or others (mode ${(info.mode & 0o777).toString(8)}); it holds approval handles, run chmod 600 on it`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    if (error instanceof ApprovalStoreError) throw error;
    throw new ApprovalStoreError(`approval store ${file} could not be read`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // No cause: the parser's message quotes the file, which holds auth_req_ids.
    throw corrupt(file, 'it is not valid JSON');
  }
  if (typeof data !== 'object' || data === null || (data as { version?: unknown }).version !== 1 || !Array.isArray((data as { calls?: unknown }).calls)) {
    throw corrupt(file, 'it is not a version 1 approval store');
  }
  const records = new Map<string, StoredToolCall>();
  try {
    (data as { calls: unknown[] }).calls.forEach((value, index) => {
      const record = parseStoredToolCall(value, `calls[${index}]`);
      if (records.has(record.id)) throw new ApprovalStoreError(`calls[${index}] repeats approval ${record.id}`);
      records.set(record.id, record);
    });
  } catch (error) {
    throw corrupt(file, (error as Error).message, error);
  }
  return records;
}

async function writeRecords(file: string, records: Map<string, StoredToolCall>): Promise<void> {
  const directory = dirname(file);
  const text = `${JSON.stringify({ version: 1, calls: [...records.values()] }, null, 2)}\n`;
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await writePrivateFileAtomically(file, text);
  } catch (error) {
    throw new ApprovalStoreError(`approval store ${file} could not be written`, { cause: error });
  }
}

function corrupt(file: string, reason: string, cause?: unknown): ApprovalStoreError {
  return new ApprovalStoreError(`approval store ${file} is corrupt (${reason}); it was left untouched, move it aside to start over`, { cause });
}
