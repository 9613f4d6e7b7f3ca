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
  traceId?: string | undefined;
  spanId?: string | undefined;
}

/** The fields a caller supplies; time, sequence and identity are filled in by the {@link Auditor}. */
export type AuditEventInput = Omit<AuditEvent, 'time' | 'sequence' | 'agent' | 'kid' | 'jkt'>;

/** Receives audit events. Write failures are reported, never swallowed silently. */
export interface AuditSink {
  write(event: AuditEvent): void | Promise<void>;
  /** Flushes and releases resources. */
  close?(): void | Promise<void>;
}

/** Fills in time, sequence and identity, and fans events out to sinks. */
export interface Auditor {
  record(event: AuditEventInput): void;
  /** Resolves once every event recorded so far reached every sink. */
  flush(): Promise<void>;
}
