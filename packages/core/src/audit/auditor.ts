import type { AuditEvent, AuditEventInput, AuditSink, Auditor } from './types.js';

/** Identity fields stamped on every event. */
export interface AuditIdentity {
  agent: string;
  kid: string;
  jkt: string;
}

/**
 * Creates the {@link Auditor} an agent records through: it numbers events, stamps time and
 * identity, and writes to every sink in order (a sink sees events in sequence order).
 */
export function createAuditor(identity: AuditIdentity, sinks: readonly AuditSink[], clock: () => number = Date.now): Auditor {
  let sequence = 0;
  let chain: Promise<void> = Promise.resolve();
  const failures: unknown[] = [];
  return {
    record(input: AuditEventInput) {
      const event: AuditEvent = { time: new Date(clock()).toISOString(), sequence: ++sequence, ...identity, ...input };
      for (const sink of sinks) {
        chain = chain.then(() => sink.write(event)).catch((error: unknown) => {
          failures.push(error);
        });
      }
    },
    async flush() {
      await chain;
      if (failures.length > 0) {
        const [first] = failures.splice(0);
        throw first;
      }
    },
  };
}
