import { canonicalSha256 } from '../lib/canonical-json.js';
import type { AuditEvent } from './types.js';

/**
 * The `prev` of the first record of a trail: base64url of 32 zero bytes, the same length as every
 * SHA-256 hash in the chain.
 */
export const AUDIT_TRAIL_GENESIS = 'A'.repeat(43);

/** JWS `typ` of a checkpoint signature. */
export const AUDIT_CHECKPOINT_TYPE = 'countersign-audit-checkpoint+jws';

/** The signed statement of a checkpoint: "the record numbered `sequence` has hash `hash`". */
export interface AuditCheckpointPayload {
  /**
   * `seq` of the last record the checkpoint covers (the one just before it), which is also the number
   * of records (lines) the trail held when it was signed.
   */
  sequence: number;
  /** `hash` of that record, the head of the chain; through the chain it covers every record before it. */
  hash: string;
  /** When it was signed, ISO 8601. */
  time: string;
}

/** A checkpoint as stored in the trail: the payload, the signing key's kid and the compact JWS. */
export interface AuditCheckpoint extends AuditCheckpointPayload {
  kid: string;
  /** Compact JWS over {@link AuditCheckpointPayload}, header `{ alg, kid, typ }`. */
  jws: string;
}

export interface TrailRecordBase {
  /** Position in the trail, from 1; equal to the line number. */
  seq: number;
  /** `hash` of the previous line, or {@link AUDIT_TRAIL_GENESIS} for the first. */
  prev: string;
  /** SHA-256 (base64url) of the RFC 8785 canonical JSON of this record without `hash`. */
  hash: string;
}

/** One line of a JSONL audit trail holding an event. */
export interface TrailEventRecord extends TrailRecordBase {
  kind: 'event';
  event: AuditEvent;
}

/** One line of a JSONL audit trail holding a signed checkpoint. */
export interface TrailCheckpointRecord extends TrailRecordBase {
  kind: 'checkpoint';
  checkpoint: AuditCheckpoint;
}

/**
 * One line of a hash-chained JSONL audit trail.
 *
 * @example
 * ```json
 * {"seq":7,"kind":"event","event":{"time":"…","sequence":7,"event":"tool.executed",…},"prev":"…","hash":"…"}
 * ```
 */
export type TrailRecord = TrailEventRecord | TrailCheckpointRecord;

/**
 * The hash of a record: SHA-256 (base64url) of the RFC 8785 canonical JSON of every member except
 * `hash` itself.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8785
 */
export function hashTrailRecord(record: Record<string, unknown>): string {
  const { hash: _hash, ...rest } = record;
  return canonicalSha256(rest);
}

/** Serializes a record as one line (members in a fixed, readable order; newline included). */
export function serializeTrailRecord(record: TrailRecord): string {
  const body = record.kind === 'event' ? { event: record.event } : { checkpoint: record.checkpoint };
  return `${JSON.stringify({ seq: record.seq, kind: record.kind, ...body, prev: record.prev, hash: record.hash })}\n`;
}
