import type { Signer } from '../keys/signer.js';

/** The kinds of audit event. */
export type AuditEventType =
  | 'token.requested'
  | 'token.issued'
  | 'token.failed'
  | 'token.revoked'
  | 'approval.requested'
  | 'approval.pending'
  | 'approval.approved'
  | 'approval.denied'
  | 'approval.expired'
  | 'tool.invoked'
  | 'tool.executed'
  | 'tool.failed'
  | 'tool.refused'
  | 'agent.revoked'
  | 'agent.closed'
  | 'key.rotated';

/**
 * One step, as evidence. Never holds a token, an assertion or a key; arguments are a hash plus a
 * redacted summary unless full payloads were asked for.
 */
export interface AuditEvent {
  /** ISO 8601 time. */
  time: string;
  /** Per-agent sequence number, from 1. */
  sequence: number;
  event: AuditEventType;
  /** The agent's client_id. */
  agent: string;
  /** kid of the identity key. */
  kid: string;
  /** On `key.rotated`: kid of the identity key that `kid` replaced. */
  previousKid?: string | undefined;
  /** RFC 7638 thumbprint of the DPoP key. */
  jkt: string;
  tool?: string | undefined;
  callId?: string | undefined;
  argsSha256?: string | undefined;
  argsSummary?: Record<string, unknown> | undefined;
  args?: unknown;
  scope?: string | undefined;
  resource?: string | undefined;
  approvalId?: string | undefined;
  approvers?: { subject: string; approvedAt?: number | undefined }[] | undefined;
  outcome?: 'ok' | 'pending' | 'denied' | 'expired' | 'error' | undefined;
  error?: { code: string; message: string } | undefined;
  /** W3C trace id (32 hex) of the span active when the event was recorded, when a tracer is in use. */
  traceId?: string | undefined;
  /** W3C span id (16 hex) of that span. */
  spanId?: string | undefined;
  /**
   * Paths of values the defensive scrub replaced because they looked like a token, a PEM block or a
   * private JWK member (for example `error.message`). Present only when something was scrubbed.
   */
  redacted?: string[] | undefined;
}

/** The fields a caller supplies; time, sequence and identity are filled in by the {@link Auditor}. */
export type AuditEventInput = Omit<AuditEvent, 'time' | 'sequence' | 'agent' | 'kid' | 'jkt'>;

/**
 * What a sink captured, synchronously, in the caller's context when an event was recorded: the
 * active trace ids (stamped on the event) and sink-private state handed back to
 * {@link AuditSink.write} (for OpenTelemetry, the active context).
 */
export interface AuditCapture {
  traceId?: string | undefined;
  spanId?: string | undefined;
  /** Opaque to the auditor; given back to the same sink's `write`. */
  state?: unknown;
}

/** What an agent hands to its sinks: the identity key that signs checkpoints (it may change on rotation). */
export interface AuditSinkBinding {
  /** The agent's current identity signer; called at each signature, so a rotated key is picked up. */
  signer: () => Signer;
}

/** Receives audit events. Write failures are reported, never swallowed silently. */
export interface AuditSink {
  /**
   * Receives one event, in sequence order. `capture` is what this sink's {@link AuditSink.capture}
   * returned when the event was recorded.
   */
  write(event: AuditEvent, capture?: AuditCapture): void | Promise<void>;
  /** Flushes and releases resources. */
  close?(): void | Promise<void>;
  /**
   * When true the sink receives the full `args` of tool calls; otherwise (default) `args` is removed
   * and only `argsSha256` and `argsSummary` reach it.
   */
  readonly fullPayloads?: boolean | undefined;
  /** Called synchronously by {@link Auditor.record} in the caller's async context. */
  capture?(): AuditCapture | undefined;
  /** Called once by the auditor that owns the sink, with the agent's identity key. */
  bind?(binding: AuditSinkBinding): void;
}

/** Fills in time, sequence and identity, and fans events out to sinks. */
export interface Auditor {
  /** Records one event; never throws: failures surface from {@link Auditor.flush}. */
  record(event: AuditEventInput): void;
  /** Resolves once every event recorded so far reached every sink; rejects with the first failure. */
  flush(): Promise<void>;
  /** Flushes, then closes every sink (a file sink writes its final signed checkpoint). */
  close?(): Promise<void>;
}
