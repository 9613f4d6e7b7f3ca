import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createNodeSigner } from '../keys/node-signer.js';
import { AuditSinkError } from './audit-sink-error.js';
import { createAuditor } from './auditor.js';
import { callbackAuditSink } from './callback-audit-sink.js';
import type { AuditEvent, AuditSink, AuditSinkBinding } from './types.js';

const newSigner = () => createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
const jwt = `${Buffer.from('{"alg":"ES256","typ":"at+jwt"}').toString('base64url')}.${Buffer.from('{"sub":"agent"}').toString('base64url')}.c2lnbmF0dXJl`;

function collector(options: { fullPayloads?: boolean } = {}) {
  const events: AuditEvent[] = [];
  return { events, sink: callbackAuditSink((event) => void events.push(event), options) };
}

describe('createAuditor', () => {
  it('numbers events, stamps time and identity, and keeps callers from overriding them', async () => {
    const { events, sink } = collector();
    const auditor = createAuditor({ agent: 'payout-agent', kid: 'kid-1', jkt: 'jkt-1' }, [sink], () => Date.UTC(2025, 0, 2));
    auditor.record({ event: 'token.requested', scope: 'accounts:read' });
    auditor.record({ event: 'token.issued', agent: 'someone-else', sequence: 99 } as never);
    await auditor.flush();
    expect(events).toEqual([
      { time: '2025-01-02T00:00:00.000Z', sequence: 1, event: 'token.requested', agent: 'payout-agent', kid: 'kid-1', jkt: 'jkt-1', scope: 'accounts:read' },
      { time: '2025-01-02T00:00:00.000Z', sequence: 2, event: 'token.issued', agent: 'payout-agent', kid: 'kid-1', jkt: 'jkt-1' },
    ]);
  });

  it('reads the identity at every event, so a rotated kid shows up from the next event on', async () => {
    const { events, sink } = collector();
    let kid = 'old-kid';
    const auditor = createAuditor(() => ({ agent: 'a', kid, jkt: 'j' }), [sink]);
    auditor.record({ event: 'token.issued' });
    kid = 'new-kid';
    auditor.record({ event: 'key.rotated' });
    await auditor.flush();
    expect(events.map((event) => event.kid)).toEqual(['old-kid', 'new-kid']);
  });

  it('binds the current signer to sinks that sign, following rotation', () => {
    const bindings: AuditSinkBinding[] = [];
    const sink: AuditSink = { write() {}, bind: (binding) => void bindings.push(binding) };
    let key = newSigner();
    createAuditor({ agent: 'a', kid: key.kid, jkt: 'j' }, [sink], { signer: () => key });
    const first = key.kid;
    expect(bindings[0]!.signer().kid).toBe(first);
    key = newSigner();
    expect(bindings[0]!.signer().kid).not.toBe(first);
  });

  it('gives full arguments only to sinks that ask for them; every sink gets the hash and summary', async () => {
    const redacted = collector();
    const full = collector({ fullPayloads: true });
    const auditor = createAuditor({ agent: 'a', kid: 'k', jkt: 'j' }, [redacted.sink, full.sink]);
    auditor.record({ event: 'tool.invoked', tool: 'create_payout', args: { accountId: 'acc-1', amount: 1200 } });
    await auditor.flush();
    expect(redacted.events[0]!.args).toBeUndefined();
    expect(redacted.events[0]!.argsSummary).toEqual({ accountId: 'string(5)', amount: 'number' });
    expect(full.events[0]!.args).toEqual({ accountId: 'acc-1', amount: 1200 });
    expect(full.events[0]!.argsSha256).toBe(redacted.events[0]!.argsSha256);
  });

  it('scrubs tokens before any sink sees the event, including sinks that implement AuditSink directly', async () => {
    const seen: AuditEvent[] = [];
    const raw: AuditSink = { fullPayloads: true, write: (event) => void seen.push(event) };
    const auditor = createAuditor({ agent: 'a', kid: 'k', jkt: 'j' }, [raw]);
    auditor.record({ event: 'token.failed', error: { code: 'ERR_OAUTH', message: `rejected ${jwt}` }, args: { authorization: `DPoP ${jwt}` } });
    await auditor.flush();
    expect(JSON.stringify(seen)).not.toContain('c2lnbmF0dXJl');
    expect(seen[0]!.error!.message).toBe('rejected [redacted:jws]');
    expect(seen[0]!.redacted).toEqual(['error.message', 'args.authorization']);
  });

  it('stamps the trace ids a sink captures in the caller context, and hands the capture back to that sink', async () => {
    const captured: unknown[] = [];
    const tracing: AuditSink = {
      capture: () => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', state: 'ctx-1' }),
      write: (_event, capture) => void captured.push(capture?.state),
    };
    const { events, sink } = collector();
    const auditor = createAuditor({ agent: 'a', kid: 'k', jkt: 'j' }, [sink, tracing]);
    auditor.record({ event: 'tool.invoked' });
    auditor.record({ event: 'tool.executed', traceId: '11111111111111111111111111111111', spanId: '2222222222222222' });
    await auditor.flush();
    expect(events[0]).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' });
    expect(events[1]).toMatchObject({ traceId: '11111111111111111111111111111111', spanId: '2222222222222222' });
    expect(captured).toEqual(['ctx-1', 'ctx-1']);
  });

  it('delivers in sequence order to each sink, and a slow sink does not hold up another', async () => {
    const order: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: AuditSink = { write: async (event) => { if (event.sequence === 1) await gate; order.push(event.sequence); } };
    const fast = collector();
    const auditor = createAuditor({ agent: 'a', kid: 'k', jkt: 'j' }, [slow, fast.sink]);
    for (let index = 0; index < 5; index += 1) auditor.record({ event: 'tool.invoked' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fast.events.map((event) => event.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(order).toEqual([]);
    release();
    await auditor.flush();
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('never throws from record; flush reports the first sink failure once', async () => {
    const failing: AuditSink = { write: () => Promise.reject(new Error('disk full')) };
    const auditor = createAuditor({ agent: 'a', kid: 'k', jkt: 'j' }, [failing]);
    expect(() => auditor.record({ event: 'tool.invoked' })).not.toThrow();
    await expect(auditor.flush()).rejects.toThrow('disk full');
    await expect(auditor.flush()).resolves.toBeUndefined();
  });

  it('close flushes, closes every sink, and refuses later records', async () => {
    const closed: string[] = [];
    const { events, sink } = collector();
    const auditor = createAuditor({ agent: 'a', kid: 'k', jkt: 'j' }, [{ ...sink, close: () => void closed.push('sink') }]);
    auditor.record({ event: 'agent.closed' });
    await auditor.close!();
    expect(events).toHaveLength(1);
    expect(closed).toEqual(['sink']);
    await auditor.close!();
    expect(closed).toEqual(['sink']);
    auditor.record({ event: 'tool.invoked' });
    await expect(auditor.flush()).rejects.toBeInstanceOf(AuditSinkError);
  });
});
