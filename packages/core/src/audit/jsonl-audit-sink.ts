import { open, type FileHandle } from 'node:fs/promises';
import { createCompactJwsSigner } from '../jws.js';
import type { Signer } from '../keys/signer.js';
import { AuditSinkError } from './audit-sink-error.js';
import { publishCheckpoint, type AuditCheckpointPublisher } from './checkpoint-publishers.js';
import { prepareAuditEvent } from './prepare-audit-event.js';
import { readTrailTail } from './read-trail-tail.js';
import {
  AUDIT_CHECKPOINT_TYPE,
  hashTrailRecord,
  serializeTrailRecord,
  type AuditCheckpoint,
  type AuditCheckpointPayload,
  type TrailCheckpointRecord,
  type TrailEventRecord,
  type TrailRecord,
} from './trail-record.js';
import type { AuditEvent, AuditSink, AuditSinkBinding } from './types.js';

type RecordBody = Omit<TrailEventRecord, 'seq' | 'prev' | 'hash'> | Omit<TrailCheckpointRecord, 'seq' | 'prev' | 'hash'>;

/** Options of {@link jsonlAuditSink}. */
export interface JsonlAuditSinkOptions {
  /**
   * Key that signs checkpoints: the agent's identity key, or a function returning the current one.
   * Default: the key of the agent the sink is given to (`createAgent({ audit })` binds it).
   */
  signer?: Signer | (() => Signer) | undefined;
  /**
   * A signed checkpoint after this many event records (default 100), and one on close. `0` turns
   * checkpoints off (a hash chain only, which a verifier reports as unsigned).
   */
  checkpointEvery?: number | undefined;
  /** Write tool arguments in full (default false: their SHA-256 and a redacted summary only). */
  fullPayloads?: boolean | undefined;
  /** Clock of checkpoint times, in milliseconds since the epoch (default `Date.now`). */
  clock?: (() => number) | undefined;
  /**
   * Where else every signed checkpoint goes once it is in the trail (a second file, OpenTelemetry, a
   * callback): somewhere an attacker who can rewrite the trail cannot, so a trail cut back to an
   * earlier checkpoint is detected by verifying against it. A publishing failure surfaces like a
   * write failure.
   */
  publish?: AuditCheckpointPublisher | readonly AuditCheckpointPublisher[] | undefined;
}

/** A hash-chained JSONL audit trail file. */
export interface JsonlAuditSink extends AuditSink {
  /** The trail's path. */
  readonly path: string;
  /** Appends one event; resolves once it is written (and a due checkpoint with it). */
  write(event: AuditEvent): Promise<void>;
  /** Writes a signed checkpoint now (when records were written since the last one). */
  checkpoint(): Promise<void>;
  /** Writes a final checkpoint, syncs and closes the file. Later writes fail. */
  close(): Promise<void>;
}

/**
 * Writes audit events to a hash-chained JSONL file, one record per line. Each record carries `prev`
 * (the previous record's hash; a fixed genesis value for the first) and `hash` (SHA-256 of its RFC
 * 8785 canonical JSON without `hash`). Every `checkpointEvery` events, and on close, a checkpoint
 * record is appended: a compact JWS (header `kid`) over `{ sequence, hash, time }` of the record
 * before it, signed with the agent's identity key, so a verifier holding the public JWKS can tell
 * that nothing up to there was edited, removed or reordered. Each checkpoint commits to the number
 * of records before it (`sequence`) and the head hash (`hash`); `publish` sends it to a second sink
 * too, which is what detects a trail cut back to an earlier checkpoint.
 *
 * The file is opened append-only and created with mode 0600; writes are serialized. An existing
 * trail is continued from its last record, whose integrity is checked first: a corrupt tail is
 * reported, never continued. One writer per file.
 *
 * @example
 * ```ts
 * const agent = await createAgent({ issuer, clientId, key, audit: jsonlAuditSink('audit/agent.jsonl') });
 * // later: countersign audit verify audit/agent.jsonl --jwks jwks.json
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8785 (canonical JSON)
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1 (compact JWS)
 */
export function jsonlAuditSink(path: string, options: JsonlAuditSinkOptions = {}): JsonlAuditSink {
  const checkpointEvery = options.checkpointEvery ?? 100;
  if (!Number.isSafeInteger(checkpointEvery) || checkpointEvery < 0) {
    throw new AuditSinkError('checkpointEvery must be a whole number of records (0 turns checkpoints off)');
  }
  const clock = options.clock ?? Date.now;
  const fullPayloads = options.fullPayloads === true;
  const ownSigner = options.signer;
  const publishers: readonly AuditCheckpointPublisher[] =
    options.publish === undefined ? [] : Array.isArray(options.publish) ? options.publish : [options.publish as AuditCheckpointPublisher];
  let boundSigner: (() => Signer) | undefined;

  let handle: Promise<FileHandle> | undefined;
  let lastSequence = 0;
  let lastHash = '';
  let sinceCheckpoint = 0;
  let queue: Promise<unknown> = Promise.resolve();
  let broken: unknown;
  let closing = false;

  function currentSigner(): Signer | undefined {
    if (ownSigner !== undefined) return typeof ownSigner === 'function' ? ownSigner() : ownSigner;
    return boundSigner?.();
  }

  function file(): Promise<FileHandle> {
    handle ??= (async () => {
      let opened: FileHandle;
      try {
        // 'a': O_WRONLY | O_APPEND | O_CREAT; the mode applies when the file is created.
        opened = await open(path, 'a', 0o600);
      } catch (cause) {
        throw new AuditSinkError(`cannot open audit trail ${path}`, { cause });
      }
      try {
        const reader = await open(path, 'r');
        try {
          const tail = await readTrailTail(reader, path);
          lastSequence = tail.sequence;
          lastHash = tail.hash;
          sinceCheckpoint = tail.endsWithEvent ? 1 : 0;
        } finally {
          await reader.close();
        }
      } catch (error) {
        await opened.close();
        throw error;
      }
      return opened;
    })();
    return handle;
  }

  /** Runs `task` after every earlier one; a failed file write stops the sink (its state on disk is unknown). */
  function serialize<Result>(task: () => Promise<Result>): Promise<Result> {
    const run = queue.then(() => {
      if (broken !== undefined) throw new AuditSinkError(`audit trail ${path} stopped after a failed write`, { cause: broken });
      return task();
    });
    queue = run.catch(() => undefined);
    return run;
  }

  async function append(records: RecordBody[]): Promise<void> {
    return appendTo(await file(), records);
  }

  async function appendTo(target: FileHandle, records: RecordBody[]): Promise<void> {
    let text = '';
    for (const body of records) {
      const unsigned = { seq: lastSequence + 1, ...body, prev: lastHash } as Omit<TrailRecord, 'hash'>;
      const record = { ...unsigned, hash: hashTrailRecord(unsigned as unknown as Record<string, unknown>) } as TrailRecord;
      text += serializeTrailRecord(record);
      lastSequence = record.seq;
      lastHash = record.hash;
    }
    try {
      let buffer = Buffer.from(text, 'utf8');
      while (buffer.length > 0) {
        const { bytesWritten } = await target.write(buffer);
        buffer = buffer.subarray(bytesWritten);
      }
    } catch (cause) {
      broken = cause;
      throw new AuditSinkError(`cannot write audit trail ${path}`, { cause });
    }
  }

  function missingSigner(): AuditSinkError {
    return new AuditSinkError(
      'no key to sign audit checkpoints: pass { signer } to jsonlAuditSink, give the sink to createAgent, or set checkpointEvery: 0',
    );
  }

  async function writeCheckpoint(): Promise<void> {
    return writeCheckpointTo(await file());
  }

  async function writeCheckpointTo(target: FileHandle): Promise<void> {
    const signer = currentSigner();
    if (!signer) throw missingSigner();
    const payload: AuditCheckpointPayload = { sequence: lastSequence, hash: lastHash, time: new Date(clock()).toISOString() };
    const jws = await createCompactJwsSigner(signer, { kid: signer.kid, typ: AUDIT_CHECKPOINT_TYPE }).sign({ ...payload });
    const checkpoint: AuditCheckpoint = { ...payload, kid: signer.kid, jws };
    await appendTo(target, [{ kind: 'checkpoint', checkpoint }]);
    sinceCheckpoint = 0;
    try {
      await target.datasync();
    } catch (cause) {
      throw new AuditSinkError(`cannot sync audit trail ${path}`, { cause });
    }
    for (const publisher of publishers) {
      try {
        await publishCheckpoint(publisher, checkpoint);
      } catch (cause) {
        throw new AuditSinkError(`checkpoint ${checkpoint.sequence} of ${path} is in the trail but could not be published`, { cause });
      }
    }
  }

  return {
    path,
    fullPayloads,
    bind(binding: AuditSinkBinding) {
      boundSigner ??= binding.signer;
    },
    write(event: AuditEvent) {
      if (closing) return Promise.reject(new AuditSinkError(`audit trail ${path} is closed`));
      if (checkpointEvery > 0 && currentSigner() === undefined) return Promise.reject(missingSigner());
      const prepared = prepareAuditEvent(event, { fullPayloads });
      return serialize(async () => {
        await append([{ kind: 'event', event: prepared }]);
        sinceCheckpoint += 1;
        if (checkpointEvery > 0 && sinceCheckpoint >= checkpointEvery) await writeCheckpoint();
      });
    },
    checkpoint() {
      return serialize(async () => {
        if (sinceCheckpoint > 0) await writeCheckpoint();
      });
    },
    close() {
      closing = true;
      const run = queue.then(async () => {
        if (handle === undefined) return;
        const target = await handle.catch(() => undefined);
        if (target === undefined) return;
        handle = Promise.reject(new AuditSinkError(`audit trail ${path} is closed`));
        handle.catch(() => undefined);
        try {
          if (broken === undefined && checkpointEvery > 0 && sinceCheckpoint > 0) await writeCheckpointTo(target);
        } finally {
          await target.close();
        }
        if (broken !== undefined) throw new AuditSinkError(`audit trail ${path} stopped after a failed write`, { cause: broken });
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
