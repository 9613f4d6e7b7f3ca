import { ApprovalStoreError, ConfigurationError, type ApprovalStore } from '@countersign/core';
import type { StoredToolCall } from '@countersign/core/tools';
import { openRedisConnection, type RedisConnectionOptions } from './connection.js';
import { ACQUIRE_LEASE, RELEASE_LEASE, RENEW_LEASE, UPDATE_RECORD, WRITE_RECORD } from './lua-scripts.js';
import { answersCall, decodeStoredCall, encodeStoredCall, isPendingCall } from './stored-call-codec.js';

/** Options of {@link redisApprovalStore}. */
export interface RedisApprovalStoreOptions extends RedisConnectionOptions {
  /**
   * How long a lease outlives an agent process that stops renewing it (crashed, killed, cut off),
   * in milliseconds. A call whose executor's lease lapses is answered as "outcome unknown" and never
   * run again. Holders renew every third of it. Default 30 000.
   */
  leaseMs?: number | undefined;
  /**
   * How long a tool call's keys outlive its approval's expiry, in milliseconds, so that resumes
   * and re-runs of the same model call still read the stored outcome. Default 86 400 000 (one day).
   */
  retainMs?: number | undefined;
}

/** An {@link ApprovalStore} on Redis, with `close()` for its connection. */
export interface RedisApprovalStore extends ApprovalStore {
  /** Closes the connection (a client you passed in is closed too). */
  close(): Promise<void>;
}

/** Compare-and-set attempts of one `update` before it reports contention. */
const MAX_UPDATE_ATTEMPTS = 64;
/** Records whose last known text is kept, so an update can skip the read (emptied when full). */
const KNOWN_TEXTS = 1_024;

/**
 * An approval store shared by any number of agent processes through one Redis: pending
 * approvals, the tool-call ledger and stored outcomes.
 *
 * - Leases are `SET NX PX` made atomic with a fencing token from one counter (a Lua script): one
 *   process at a time polls an approved call and runs it; the token it ran under is recorded with
 *   the call, so only that run can store its outcome.
 * - `update` is compare-and-set in Lua (the record is written only if it still reads what `change`
 *   saw), retried on contention, so updates from many processes are never lost. It starts from the
 *   text this store last wrote or read for the record, without reading it again: when another
 *   process wrote since, the compare-and-set fails and answers with what is stored now, in the
 *   same round trip. A claim+complete (lease, two updates, release) is four round trips.
 * - Keys expire `retainMs` after their approval does; leases expire `leaseMs` after their last
 *   renewal.
 * - Commands fail closed: Redis down or slower than `commandTimeoutMs` rejects with
 *   {@link RedisUnavailableError}; nothing is queued or retried without bound. The connection
 *   reconnects on its own.
 *
 * @example
 * ```ts
 * const store = redisApprovalStore({ url: 'redis://127.0.0.1:6379' });
 * const agent = await createAgent({ issuer, clientId, key, approvals: { store } });
 * ```
 * @throws {ConfigurationError} for a missing URL, plain `redis://` off loopback, or bad durations.
 * @see https://redis.io/docs/latest/develop/use/patterns/distributed-locks/ (leases with tokens)
 */
export function redisApprovalStore(options: RedisApprovalStoreOptions): RedisApprovalStore {
  const leaseMs = whole(options.leaseMs ?? 30_000, 'leaseMs');
  const retainMs = whole(options.retainMs ?? 86_400_000, 'retainMs');
  const connection = openRedisConnection(options);
  const { prefix } = connection;
  const recordKey = (id: string) => `${prefix}call:${id}`;
  // A model call id names a call only within one agent: a record with a client id is indexed under
  // it (escaped, so no ':' of its own splits the key), one without under the tool and call id alone.
  const indexKey = (tool: string, callId: string, clientId?: string) =>
    clientId === undefined ? `${prefix}by-call:${tool}:${callId}` : `${prefix}by-agent-call:${tool}:${encodeURIComponent(clientId)}:${callId}`;
  // Tool names and hashes hold no ':', so the client id can come last unescaped.
  const pendingKey = (tool: string, argsSha256: string, clientId: string) => `${prefix}by-args:${tool}:${argsSha256}:${clientId}`;
  const leaseKey = (name: string) => `${prefix}lease:${name}`;
  const fenceKey = `${prefix}fence`;
  /** A Lua script as a command; without `keys`, each call passes its number of keys first. */
  const script = (name: string, source: string, keys?: number) => {
    if (!(name in connection.client)) connection.client.defineCommand(name, keys === undefined ? { lua: source } : { lua: source, numberOfKeys: keys });
    return (...args: (string | number)[]) => (connection.client as unknown as Record<string, (...values: (string | number)[]) => Promise<unknown>>)[name]!(...args);
  };
  const acquire = script('countersignAcquireLease', ACQUIRE_LEASE, 2);
  const renew = script('countersignRenewLease', RENEW_LEASE, 1);
  const release = script('countersignReleaseLease', RELEASE_LEASE, 1);
  // Record and index keys vary in number (a call's coalesced call ids), so these take a key count.
  const write = script('countersignWriteIndexedRecord', WRITE_RECORD);
  const swap = script('countersignUpdateIndexedRecord', UPDATE_RECORD);
  // The text of each record as this store last wrote or read it: only a guess of what Redis holds,
  // which every update checks (compare-and-set), never trusted as an answer on its own.
  const knownTexts = new Map<string, string>();
  const remember = (id: string, text: string | undefined) => {
    if (text === undefined) return knownTexts.delete(id);
    if (knownTexts.size >= KNOWN_TEXTS && !knownTexts.has(id)) knownTexts.clear();
    knownTexts.set(id, text);
  };

  /** The model tool calls `record` answers for. */
  const callsOf = (record: StoredToolCall) => [...(record.callId === undefined ? [] : [record.callId]), ...(record.sharedWith ?? [])];
  /** The index keys that point at `record`: one per model tool call it answers for. */
  const indexKeysOf = (record: StoredToolCall) => callsOf(record).map((callId) => indexKey(record.tool, callId, record.clientId));
  /**
   * Key count, keys (the record, an index per model tool call it answers for and, for a new pending
   * record, its arguments index for identical calls to join), then the script's arguments.
   */
  const writeArguments = (record: StoredToolCall, text: string, expected: string, created = false) => {
    const expiry = Math.max(record.approval.expiresAt, Date.now()) + retainMs;
    const keys = [recordKey(record.id), ...indexKeysOf(record)];
    if (created && record.state === 'pending' && record.clientId !== undefined) keys.push(pendingKey(record.tool, record.argsSha256, record.clientId));
    return [keys.length, ...keys, expected, text, expiry] as const;
  };
  /** Writes a new `record` whatever is stored. */
  const writeRecord = async (record: StoredToolCall, text: string) => {
    await connection.run('store a tool call', () => write(...writeArguments(record, text, '', true)));
    remember(record.id, text);
  };
  /**
   * Writes `record` if the stored text is still `expected`: `{ written: true }`, or what is stored
   * now (`text` undefined: nothing).
   */
  const swapRecord = async (record: StoredToolCall, text: string, expected: string) => {
    const reply = (await connection.run('store a tool call', () => swap(...writeArguments(record, text, expected)))) as [number, string?];
    remember(record.id, reply[0] === 1 ? text : reply[1]);
    return reply[0] === 1 ? { written: true as const } : { written: false as const, text: reply[1] };
  };
  /** Every key matching the glob `pattern`. */
  const scanKeys = (pattern: string) =>
    connection.run('list tool calls', async (client) => {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
        cursor = next;
        found.push(...batch);
      } while (cursor !== '0');
      return found;
    });
  const decoded = (id: string, text: string | undefined) => (text === undefined ? undefined : { text, record: decodeStoredCall(text, recordKey(id)) });
  const read = async (id: string) => {
    const text = (await connection.run('read a tool call', (client) => client.get(recordKey(id)))) ?? undefined;
    remember(id, text);
    return decoded(id, text);
  };

  return {
    leaseMs,
    async acquireLease(name, ttlMs) {
      const fence = await connection.run('take a lease', () => acquire(leaseKey(name), fenceKey, whole(ttlMs, 'ttlMs')));
      return fence === null ? undefined : Number(fence);
    },
    async renewLease(name, fence, ttlMs) {
      return (await connection.run('renew a lease', () => renew(leaseKey(name), fence, whole(ttlMs, 'ttlMs')))) === 1;
    },
    async releaseLease(name, fence) {
      await connection.run('release a lease', () => release(leaseKey(name), fence));
    },
    async get(id) {
      return (await read(id))?.record;
    },
    async findByCall(tool, callId, clientId) {
      // An agent's own record first, then one stored without a client id (which answers any agent).
      // Without a client id (an operator's lookup, not the guard's), any agent's record answers.
      const keys = clientId === undefined ? [indexKey(tool, callId), ...(await scanKeys(`${escapeGlob(prefix)}by-agent-call:${escapeGlob(tool)}:*:${escapeGlob(callId)}`))] : [indexKey(tool, callId, clientId), indexKey(tool, callId)];
      const ids = await connection.run('find a tool call', (client) => client.mget(keys));
      for (const id of ids) {
        if (id === null || !id.startsWith(`${prefix}call:`)) continue;
        const record = (await read(id.slice(`${prefix}call:`.length)))?.record;
        if (record !== undefined && answersCall(record, tool, callId, clientId)) return record;
      }
      return undefined;
    },
    async findPending(tool, argsSha256, clientId) {
      const id = await connection.run('find a pending tool call', (client) => client.get(pendingKey(tool, argsSha256, clientId)));
      if (id === null || !id.startsWith(`${prefix}call:`)) return undefined;
      const record = (await read(id.slice(`${prefix}call:`.length)))?.record;
      return record !== undefined && isPendingCall(record, tool, argsSha256, clientId) ? record : undefined;
    },
    async put(record) {
      const encoded = encodeStoredCall(record, `tool call ${String(record?.id)}`);
      await writeRecord(encoded.record, encoded.text);
    },
    async update(id, change) {
      // Start from the text last seen (unconfirmed: the compare-and-set checks it), else read.
      const known = knownTexts.get(id);
      let current = known === undefined ? await read(id) : decoded(id, known);
      let confirmed = known === undefined;
      for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; ) {
        if (current === undefined) throw new ApprovalStoreError(`no stored tool call for approval ${id}`);
        const changed = change(current.record);
        if (changed?.id !== id) throw new ApprovalStoreError(`an update of approval ${id} may not change its id`);
        const next = encodeStoredCall(changed, `update of tool call ${id}`);
        if (next.record.id !== id) throw new ApprovalStoreError(`an update of approval ${id} may not change its id`);
        if (next.text === current.text) {
          if (confirmed) return next.record;
          // Nothing to change, judged on a guess: judge again on what is stored.
          current = await read(id);
          confirmed = true;
          continue;
        }
        const swapped = await swapRecord(next.record, next.text, current.text);
        if (swapped.written) return next.record;
        current = decoded(id, swapped.text);
        // A stale guess is not contention: only a second refusal in a row waits.
        if (confirmed) {
          attempt++;
          // Another process wrote in between: try again, after a moment that spreads the retries.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** attempt, 50)));
        }
        confirmed = true;
      }
      throw new ApprovalStoreError(`update of tool call ${id} kept conflicting with other writers (${MAX_UPDATE_ATTEMPTS} attempts); retry later`);
    },
    async list() {
      const keys = await scanKeys(`${escapeGlob(prefix)}call:*`);
      if (keys.length === 0) return [];
      const texts = await connection.run('read tool calls', (client) => client.mget(keys));
      return texts.flatMap((text, index) => (text === null ? [] : [decodeStoredCall(text, keys[index]!)]));
    },
    async delete(id) {
      const current = await read(id);
      await connection.run('delete a tool call', (client) => {
        const keys = [recordKey(id)];
        if (current !== undefined) keys.push(...indexKeysOf(current.record));
        // An arguments index left behind points at nothing: findPending checks the record it names.
        return client.del(...keys);
      });
      remember(id, undefined);
    },
    close: () => connection.close(),
  };
}

function whole(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigurationError(`${name} must be a positive whole number of milliseconds`);
  return value;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}
