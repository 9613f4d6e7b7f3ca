import { prepareAuditEvent } from './prepare-audit-event.js';
import type { AuditEvent, AuditSink } from './types.js';

/** Options of {@link callbackAuditSink}. */
export interface CallbackAuditSinkOptions {
  /** Hand tool arguments over in full (default false: their SHA-256 and a redacted summary only). */
  fullPayloads?: boolean | undefined;
}

/**
 * An audit sink that hands every event to a function: ship it to your log pipeline, a queue or a
 * database. Events arrive in sequence order, already scrubbed of anything that looks like a token
 * or a key; a returned promise is awaited before the next event, and a rejection surfaces from
 * `agent.audit.flush()`. For more control, implement {@link AuditSink} directly.
 *
 * @example
 * ```ts
 * const agent = await createAgent({ ..., audit: callbackAuditSink((event) => logger.info(event, 'countersign')) });
 * ```
 */
export function callbackAuditSink(
  callback: (event: AuditEvent) => void | Promise<void>,
  options: CallbackAuditSinkOptions = {},
): AuditSink {
  const fullPayloads = options.fullPayloads === true;
  return {
    fullPayloads,
    write: (event) => callback(prepareAuditEvent(event, { fullPayloads })),
  };
}
