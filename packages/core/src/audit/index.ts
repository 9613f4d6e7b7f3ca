/**
 * `@countersign/core/audit`: the audit trail's parts beyond the sinks and the verifier the root
 * entry holds: the auditor that numbers and fans out events, the hash-chained trail record format,
 * signed checkpoints and where they are published, and the scrubbing every record goes through.
 *
 * @example
 * ```ts
 * import { readPublishedCheckpoints } from '@countersign/core/audit';
 * import { verifyAuditTrail } from '@countersign/core';
 *
 * const checkpoints = await readPublishedCheckpoints('audit-checkpoints.jsonl');
 * ```
 *
 * @packageDocumentation
 */
export { createAuditor } from './auditor.js';
export type { AuditIdentity, AuditorOptions } from './auditor.js';
export type { JsonlAuditSink, JsonlAuditSinkOptions } from './jsonl-audit-sink.js';
export type { OtelAuditSink, OtelAuditSinkOptions } from './otel-audit-sink.js';
export type { CallbackAuditSinkOptions } from './callback-audit-sink.js';
export { fileCheckpointPublisher, readPublishedCheckpoints } from './checkpoint-publishers.js';
export type { AuditCheckpointPublisher } from './checkpoint-publishers.js';
export type {
  AuditTrailVerified,
  AuditTrailBroken,
  AuditTrailSummary,
  AuditBreakReason,
  AuditWarning,
  VerifyAuditTrailOptions,
} from './verify-audit-trail.js';
export type { AuditJwks } from './checkpoint-verifier.js';
export { summarizeArguments } from './summarize-arguments.js';
export { scrubSecrets } from './scrub-secrets.js';
export type { ScrubResult } from './scrub-secrets.js';
export { AuditSinkError } from './audit-sink-error.js';
export { AuditReadError } from './audit-read-error.js';
export type {
  TrailRecord,
  TrailEventRecord,
  TrailCheckpointRecord,
  TrailRecordBase,
  AuditCheckpoint,
  AuditCheckpointPayload,
} from './trail-record.js';
export type { AuditEventInput, AuditEventType, Auditor, AuditCapture, AuditSinkBinding } from './types.js';
