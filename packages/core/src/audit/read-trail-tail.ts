import type { FileHandle } from 'node:fs/promises';
import { AuditSinkError } from './audit-sink-error.js';
import { AUDIT_TRAIL_GENESIS, hashTrailRecord } from './trail-record.js';

/** Where an existing trail ends: the chain continues from here. */
export interface TrailTail {
  /** `seq` of the last record (0 for an empty file). */
  sequence: number;
  /** `hash` of the last record ({@link AUDIT_TRAIL_GENESIS} for an empty file). */
  hash: string;
  /** Whether the last record is an event (so records since the last checkpoint are unsigned). */
  endsWithEvent: boolean;
}

const chunkSize = 64 * 1024;

/**
 * Reads the last two lines of an existing trail and checks the last one: it must be complete
 * (newline-terminated), parse, hash to its `hash`, and follow the line before it. A trail that fails
 * is reported with its line number, never silently continued.
 */
export async function readTrailTail(handle: FileHandle, path: string): Promise<TrailTail> {
  const { size } = await handle.stat();
  if (size === 0) return { sequence: 0, hash: AUDIT_TRAIL_GENESIS, endsWithEvent: false };

  let text = '';
  let position = size;
  // Enough bytes for the last line and the one before it (or the whole file).
  while (position > 0 && countNewlines(text) < 3) {
    const length = Math.min(chunkSize, position);
    position -= length;
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, position);
    text = buffer.toString('latin1') + text;
  }
  // When the read stopped before the start of the file, the first line in `text` may be partial.
  const lines = text.split('\n');
  const complete = lines.slice(position > 0 ? 1 : 0);
  const unterminated = complete.pop()!;
  const lastComplete = complete.at(-1);
  if (unterminated !== '') {
    const line = lastComplete === undefined ? 1 : lineAfter(lastComplete);
    throw corrupt(path, `ends with an incomplete record at line ${line} (the writing process probably stopped mid-write)`);
  }
  const before = complete.at(-2);
  const previous = before === undefined ? undefined : parse(before, path, 'the last line but one');
  const line = previous ? (previous.seq as number) + 1 : 1;
  const last = parse(lastComplete!, path, `line ${line}`);
  if (last.seq !== line || last.prev !== (previous ? previous.hash : AUDIT_TRAIL_GENESIS)) {
    throw corrupt(path, `ends with a record that does not follow the one before it (line ${line})`);
  }
  if (hashTrailRecord(last) !== last.hash) {
    throw corrupt(path, `ends with a record whose hash does not match its content (line ${line})`);
  }
  return { sequence: last.seq as number, hash: last.hash as string, endsWithEvent: last.kind === 'event' };
}

function lineAfter(line: string): number | string {
  try {
    const seq = (JSON.parse(Buffer.from(line, 'latin1').toString('utf8')) as { seq?: unknown }).seq;
    return typeof seq === 'number' ? seq + 1 : 'unknown';
  } catch {
    return 'unknown';
  }
}

function parse(line: string, path: string, where: string): Record<string, unknown> {
  let record: unknown;
  try {
    record = JSON.parse(Buffer.from(line, 'latin1').toString('utf8'));
  } catch {
    throw corrupt(path, `has a line that is not JSON (${where})`);
  }
  if (
    typeof record !== 'object' ||
    record === null ||
    !Number.isSafeInteger((record as { seq?: unknown }).seq) ||
    typeof (record as { hash?: unknown }).hash !== 'string' ||
    typeof (record as { prev?: unknown }).prev !== 'string'
  ) {
    throw corrupt(path, `has a line that is not an audit record (${where})`);
  }
  return record as Record<string, unknown>;
}

function countNewlines(text: string): number {
  let count = 0;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) count += 1;
  return count;
}

function corrupt(path: string, why: string): AuditSinkError {
  return new AuditSinkError(
    `audit trail ${path} ${why}; run \`countersign audit verify\` on it and move it aside before appending`,
  );
}
