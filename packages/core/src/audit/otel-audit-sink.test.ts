import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, SpanStatusCode, context, trace, type Context, type ContextManager } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuditor } from './auditor.js';
import { callbackAuditSink } from './callback-audit-sink.js';
import { otelAuditSink } from './otel-audit-sink.js';
import type { AuditEvent } from './types.js';

/** The smallest async-context manager, so spans started in a callback are active in it. */
class AsyncLocalContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(active: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.#storage.run(active, () => fn.apply(thisArg, args));
  }
  bind<T>(_context: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#storage.disable();
    return this;
  }
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('test');
const jwt = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{"sub":"a"}').toString('base64url')}.c2VjcmV0LXNpZ25hdHVyZQ`;
const identity = { agent: 'payout-agent', kid: 'kid-1', jkt: 'jkt-1' };

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalContextManager());
});
afterEach(() => {
  exporter.reset();
});
afterAll(async () => {
  await provider.shutdown();
  context.disable();
  trace.disable();
});

describe('otelAuditSink', () => {
  it('records one span per event, a child of the active span, with countersign.* attributes and no secrets', async () => {
    const sink = otelAuditSink({ tracer });
    await sink.ready();
    const trail: AuditEvent[] = [];
    const auditor = createAuditor(identity, [sink, callbackAuditSink((event) => void trail.push(event))]);

    let parentIds: { traceId: string; spanId: string } | undefined;
    tracer.startActiveSpan('agent step', (parent) => {
      parentIds = parent.spanContext();
      auditor.record({
        event: 'approval.approved',
        tool: 'create_payout',
        callId: 'call-1',
        args: { accountId: 'acc-1', amount: 1200, note: jwt },
        approvalId: 'appr-1',
        approvers: [{ subject: 'alice', approvedAt: 1 }, { subject: 'bob' }],
        scope: 'payouts:write',
        resource: 'http://127.0.0.1:4001',
        outcome: 'ok',
      });
      parent.end();
    });
    auditor.record({ event: 'tool.failed', tool: 'create_payout', outcome: 'error', error: { code: 'ERR_NETWORK', message: `failed with ${jwt}` } });
    await auditor.flush();

    const spans = exporter.getFinishedSpans().filter((span) => span.name.startsWith('countersign'));
    expect(spans.map((span) => span.name)).toEqual(['countersign approval.approved', 'countersign tool.failed']);
    const [approved, failed] = spans;
    expect(approved!.spanContext().traceId).toBe(parentIds!.traceId);
    expect(approved!.parentSpanContext?.spanId).toBe(parentIds!.spanId);
    expect(approved!.attributes).toEqual({
      'countersign.event': 'approval.approved',
      'countersign.sequence': 1,
      'countersign.agent': 'payout-agent',
      'countersign.kid': 'kid-1',
      'countersign.jkt': 'jkt-1',
      'countersign.tool': 'create_payout',
      'countersign.call_id': 'call-1',
      'countersign.args_sha256': trail[0]!.argsSha256,
      'countersign.args_summary': JSON.stringify({ accountId: 'string(5)', amount: 'number', note: `string(${jwt.length})` }),
      'countersign.scope': 'payouts:write',
      'countersign.resource': 'http://127.0.0.1:4001',
      'countersign.approval_id': 'appr-1',
      'countersign.approvers': ['alice', 'bob'],
      'countersign.outcome': 'ok',
      'countersign.redacted': ['args.note'],
    });
    expect(failed!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ERR_NETWORK' });
    expect(failed!.attributes['countersign.error.message']).toBe('failed with [redacted:jws]');
    expect(failed!.parentSpanContext).toBeUndefined();

    const everything = JSON.stringify(spans.map((span) => ({ attributes: span.attributes, events: span.events, status: span.status })));
    expect(everything).not.toContain('c2VjcmV0LXNpZ25hdHVyZQ');
    expect(everything).not.toContain('acc-1');

    // The trace ids of the active span reach the other sinks too.
    expect(trail[0]).toMatchObject({ traceId: parentIds!.traceId, spanId: parentIds!.spanId });
    expect(trail[1]!.traceId).toBeUndefined();
  });

  it('in event mode adds span events to the active span, and falls back to a span when none is active', async () => {
    const sink = otelAuditSink({ tracer, mode: 'event' });
    await sink.ready();
    const auditor = createAuditor(identity, [sink]);
    await tracer.startActiveSpan('tool call', async (parent) => {
      auditor.record({ event: 'tool.invoked', tool: 'list_accounts' });
      await auditor.flush();
      auditor.record({ event: 'tool.executed', tool: 'list_accounts', outcome: 'ok' });
      await auditor.flush();
      parent.end();
    });
    auditor.record({ event: 'agent.closed' });
    await auditor.flush();

    const finished = exporter.getFinishedSpans();
    const parent = finished.find((span) => span.name === 'tool call')!;
    expect(parent.events.map((event) => [event.name, event.attributes?.['countersign.sequence']])).toEqual([
      ['countersign.tool.invoked', 1],
      ['countersign.tool.executed', 2],
    ]);
    expect(finished.map((span) => span.name).sort()).toEqual(['countersign agent.closed', 'tool call']);
  });

  it('uses the global tracer provider when no tracer is given', async () => {
    trace.setGlobalTracerProvider(provider);
    const sink = otelAuditSink();
    await sink.ready();
    await sink.write({ time: new Date().toISOString(), sequence: 1, event: 'token.issued', ...identity });
    expect(exporter.getFinishedSpans().map((span) => [span.name, span.instrumentationScope.name])).toEqual([['countersign token.issued', '@countersign/core']]);
  });

  it('fails with a clear error when @opentelemetry/api is not installed', async () => {
    vi.resetModules();
    vi.doMock('@opentelemetry/api', () => {
      throw new Error("Cannot find package '@opentelemetry/api'");
    });
    try {
      const { otelAuditSink: isolated } = await import('./otel-audit-sink.js');
      const sink = isolated();
      await expect(sink.ready()).rejects.toThrow(/needs the @opentelemetry\/api package/);
      await expect(sink.write({ time: new Date().toISOString(), sequence: 1, event: 'token.issued', ...identity })).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' });
    } finally {
      vi.doUnmock('@opentelemetry/api');
      vi.resetModules();
    }
  });

  it('publishes a checkpoint as a span a trail writer cannot rewrite', async () => {
    exporter.reset();
    const sink = otelAuditSink({ tracer });
    await sink.publishCheckpoint({ sequence: 7, hash: 'h'.repeat(43), time: '2025-01-01T00:00:00.000Z', kid: 'kid-1', jws: 'a.b.c' });
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('countersign audit.checkpoint');
    expect(span?.attributes).toEqual({
      'countersign.checkpoint.sequence': 7,
      'countersign.checkpoint.hash': 'h'.repeat(43),
      'countersign.checkpoint.time': '2025-01-01T00:00:00.000Z',
      'countersign.checkpoint.kid': 'kid-1',
      'countersign.checkpoint.jws': 'a.b.c',
    });
  });
});
