import type { Signer } from '../keys/signer.js';
import { AuditSinkError } from './audit-sink-error.js';
import { prepareAuditEvent } from './prepare-audit-event.js';
import type { AuditCapture, AuditEvent, AuditEventInput, AuditSink, Auditor } from './types.js';

/** Identity fields stamped on every event. */
export interface AuditIdentity {
  agent: string;
  kid: string;
  jkt: string;
}

/** Options of {@link createAuditor}. */
export interface AuditorOptions {
  /** Clock in milliseconds since the epoch (default `Date.now`). */
  clock?: (() => number) | undefined;
  /**
   * The agent's identity key, or a function returning the current one (so a rotated key is used
   * from the next signature on). Handed to every sink that has `bind` (the JSONL sink signs its
   * checkpoints with it unless it was given its own signer).
   */
  signer?: Signer | (() => Signer) | undefined;
}

/**
 * Creates the {@link Auditor} an agent records through: it numbers events, stamps time and
 * identity, captures the active trace ids, scrubs anything that looks like a credential, and writes
 * to every sink in sequence order (each sink has its own queue, so a slow sink delays no other).
 *
 * `identity` may be a function: it is read at every event, so after a key rotation the events carry
 * the new `kid`.
 *
 * @example
 * ```ts
 * const auditor = createAuditor(() => ({ agent: clientId, kid: currentKey.kid, jkt }), sinks, { signer: () => currentKey });
 * auditor.record({ event: 'tool.invoked', tool: 'create_payout', args });
 * await auditor.flush();
 * ```
 */
export function createAuditor(
  identity: AuditIdentity | (() => AuditIdentity),
  sinks: readonly AuditSink[],
  clockOrOptions: (() => number) | AuditorOptions = {},
): Auditor {
  const options: AuditorOptions = typeof clockOrOptions === 'function' ? { clock: clockOrOptions } : clockOrOptions;
  const clock = options.clock ?? Date.now;
  const currentIdentity = typeof identity === 'function' ? identity : () => identity;
  const signerOption = options.signer;
  if (signerOption !== undefined) {
    const signer = typeof signerOption === 'function' ? signerOption : () => signerOption;
    for (const sink of sinks) sink.bind?.({ signer });
  }

  let sequence = 0;
  let closed: Promise<void> | undefined;
  const queues: Promise<void>[] = sinks.map(() => Promise.resolve());
  const failures: unknown[] = [];

  function takeFailure(): void {
    if (failures.length > 0) {
      const [first] = failures.splice(0);
      throw first;
    }
  }

  async function flush(): Promise<void> {
    await Promise.all(queues);
    takeFailure();
  }

  return {
    record(input: AuditEventInput) {
      if (closed) {
        failures.push(new AuditSinkError(`audit event ${String(input.event)} recorded after the auditor was closed`));
        return;
      }
      try {
        const captures: (AuditCapture | undefined)[] = sinks.map((sink) => sink.capture?.());
        const trace = captures.find((capture) => capture?.traceId !== undefined && capture.spanId !== undefined);
        const { agent, kid, jkt } = currentIdentity();
        // Time, sequence and identity are the auditor's to set, even if a caller passes them anyway.
        const { event: type, time: _time, sequence: _sequence, agent: _agent, kid: _kid, jkt: _jkt, ...details } = input as AuditEvent;
        const event: AuditEvent = prepareAuditEvent(
          {
            time: new Date(clock()).toISOString(),
            sequence: ++sequence,
            event: type,
            agent,
            kid,
            jkt,
            ...details,
            traceId: input.traceId ?? trace?.traceId,
            spanId: input.traceId === undefined ? trace?.spanId : input.spanId,
          },
          { fullPayloads: true },
        );
        let withoutPayload: AuditEvent | undefined;
        sinks.forEach((sink, index) => {
          let delivered = event;
          if (!sink.fullPayloads && event.args !== undefined) {
            if (!withoutPayload) {
              const { args: _args, ...rest } = event;
              withoutPayload = rest;
            }
            delivered = withoutPayload;
          }
          const capture = captures[index];
          queues[index] = queues[index]!.then(() => sink.write(delivered, capture)).catch((error: unknown) => {
            failures.push(error);
          });
        });
      } catch (error) {
        failures.push(error);
      }
    },
    flush,
    close() {
      closed ??= (async () => {
        await Promise.all(queues);
        for (const sink of sinks) {
          try {
            await sink.close?.();
          } catch (error) {
            failures.push(error);
          }
        }
      })();
      return closed.then(takeFailure);
    },
  };
}
