import type { Attributes, Context, Tracer } from '@opentelemetry/api';
import { ConfigurationError } from '../errors.js';
import { prepareAuditEvent } from './prepare-audit-event.js';
import type { AuditCheckpoint } from './trail-record.js';
import type { AuditCapture, AuditEvent, AuditSink } from './types.js';

type OpenTelemetryApi = typeof import('@opentelemetry/api');

/** Options of {@link otelAuditSink}. */
export interface OtelAuditSinkOptions {
  /** Tracer to record with (default: `trace.getTracer('@countersign/core')` from the global provider). */
  tracer?: Tracer | undefined;
  /**
   * `span` (default): one span per event, a child of the span that was active when it was recorded.
   * `event`: a span event on that active span (a span of its own when none was active).
   */
  mode?: 'span' | 'event' | undefined;
}

/** An audit sink that records to OpenTelemetry. */
export interface OtelAuditSink extends AuditSink {
  /** Resolves once `@opentelemetry/api` is loaded; rejects with a clear error when it is not installed. */
  ready(): Promise<void>;
  /**
   * Records a signed checkpoint of a JSONL trail as a `countersign audit.checkpoint` span (attributes
   * `countersign.checkpoint.sequence`, `.hash`, `.time`, `.kid`, `.jws`), so the telemetry backend
   * holds a copy the trail's writer cannot rewrite: pass the sink as `jsonlAuditSink(path, { publish })`.
   */
  publishCheckpoint(checkpoint: AuditCheckpoint): Promise<void>;
}

/**
 * Records audit events as OpenTelemetry spans (or span events) through `@opentelemetry/api`, which
 * the application provides (it is an optional peer dependency, loaded on demand). Attributes are
 * named `countersign.*` (`countersign.event`, `countersign.agent`, `countersign.kid`,
 * `countersign.tool`, `countersign.args_sha256`, `countersign.approval_id`, `countersign.approvers`,
 * `countersign.outcome`, …); tool arguments are never attributes, only their hash and summary. The
 * active span's trace and span ids are also stamped on each event, so the other sinks (the JSONL trail)
 * carry them too.
 *
 * @example
 * ```ts
 * const otel = otelAuditSink();
 * await otel.ready(); // optional: fails fast when @opentelemetry/api is missing
 * const agent = await createAgent({ ..., audit: [jsonlAuditSink('audit.jsonl'), otel] });
 * ```
 * @see https://opentelemetry.io/docs/specs/otel/trace/api/
 */
export function otelAuditSink(options: OtelAuditSinkOptions = {}): OtelAuditSink {
  const mode = options.mode ?? 'span';
  let api: OpenTelemetryApi | undefined;
  const loading: Promise<OpenTelemetryApi> = import('@opentelemetry/api').then(
    (module) => {
      // Node exposes the CommonJS build's exports both as named exports and as `default`.
      api = ('trace' in module ? module : (module as { default: OpenTelemetryApi }).default) as OpenTelemetryApi;
      return api;
    },
    (cause: unknown) => {
      throw new ConfigurationError(
        'otelAuditSink needs the @opentelemetry/api package: add it to the application (npm install @opentelemetry/api)',
        { cause },
      );
    },
  );
  loading.catch(() => undefined);

  return {
    fullPayloads: false,
    async ready() {
      await loading;
    },
    capture(): AuditCapture | undefined {
      if (!api) return undefined;
      const active = api.context.active();
      const spanContext = api.trace.getSpanContext(active);
      if (spanContext && api.trace.isSpanContextValid(spanContext)) {
        return { traceId: spanContext.traceId, spanId: spanContext.spanId, state: active };
      }
      return { state: active };
    },
    async publishCheckpoint(checkpoint: AuditCheckpoint) {
      const otel = api ?? (await loading);
      const tracer = options.tracer ?? otel.trace.getTracer('@countersign/core');
      const time = new Date(checkpoint.time);
      const span = tracer.startSpan('countersign audit.checkpoint', {
        kind: otel.SpanKind.INTERNAL,
        startTime: time,
        attributes: {
          'countersign.checkpoint.sequence': checkpoint.sequence,
          'countersign.checkpoint.hash': checkpoint.hash,
          'countersign.checkpoint.time': checkpoint.time,
          'countersign.checkpoint.kid': checkpoint.kid,
          'countersign.checkpoint.jws': checkpoint.jws,
        },
      });
      span.end(time);
    },
    async write(event: AuditEvent, capture?: AuditCapture) {
      const otel = api ?? (await loading);
      const prepared = prepareAuditEvent(event, { fullPayloads: false });
      const parent = (capture?.state as Context | undefined) ?? otel.context.active();
      const attributes = auditAttributes(prepared);
      const time = new Date(prepared.time);
      const failed = prepared.outcome === 'error' || prepared.event.endsWith('.failed');

      if (mode === 'event') {
        const active = otel.trace.getSpan(parent);
        if (active?.isRecording()) {
          active.addEvent(`countersign.${prepared.event}`, attributes, time);
          return;
        }
      }
      const tracer = options.tracer ?? otel.trace.getTracer('@countersign/core');
      const span = tracer.startSpan(`countersign ${prepared.event}`, { kind: otel.SpanKind.INTERNAL, attributes, startTime: time }, parent);
      if (failed) span.setStatus({ code: otel.SpanStatusCode.ERROR, message: prepared.error?.code ?? prepared.event });
      span.end(time);
    },
  };
}

/**
 * The span attributes of an event: identity, tool, hash, approval and outcome, named
 * `countersign.*`. Never the arguments themselves.
 */
export function auditAttributes(event: AuditEvent): Attributes {
  const attributes: Attributes = {
    'countersign.event': event.event,
    'countersign.sequence': event.sequence,
    'countersign.agent': event.agent,
    'countersign.kid': event.kid,
    'countersign.jkt': event.jkt,
  };
  const optional: Record<string, string | undefined> = {
    'countersign.tool': event.tool,
    'countersign.call_id': event.callId,
    'countersign.args_sha256': event.argsSha256,
    'countersign.args_summary': event.argsSummary === undefined ? undefined : JSON.stringify(event.argsSummary),
    'countersign.scope': event.scope,
    'countersign.resource': event.resource,
    'countersign.approval_id': event.approvalId,
    'countersign.outcome': event.outcome,
    'countersign.error.code': event.error?.code,
    'countersign.error.message': event.error?.message,
  };
  for (const [name, value] of Object.entries(optional)) if (value !== undefined) attributes[name] = value;
  if (event.approvers !== undefined) attributes['countersign.approvers'] = event.approvers.map((approver) => approver.subject);
  if (event.redacted !== undefined) attributes['countersign.redacted'] = event.redacted;
  return attributes;
}
