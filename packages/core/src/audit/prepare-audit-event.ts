import { canonicalSha256 } from '../lib/canonical-json.js';
import { scrubSecrets } from './scrub-secrets.js';
import { summarizeArguments } from './summarize-arguments.js';
import type { AuditEvent } from './types.js';

/** Options of {@link prepareAuditEvent}. */
export interface PrepareAuditEventOptions {
  /** Keep the full `args` (default false: only `argsSha256` and `argsSummary` remain). */
  fullPayloads?: boolean | undefined;
}

/**
 * Makes an event fit to write: when it carries `args`, fills in `argsSha256` (RFC 8785 canonical
 * JSON, SHA-256, base64url) and `argsSummary` if missing, and drops `args` unless full payloads were
 * asked for; then scrubs anything that looks like a token, a PEM block or a private JWK member
 * (see {@link scrubSecrets}) and lists what was scrubbed in `redacted`. Idempotent.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8785
 */
export function prepareAuditEvent(event: AuditEvent, options: PrepareAuditEventOptions = {}): AuditEvent {
  let shaped: AuditEvent = event;
  if (event.args !== undefined) {
    const { args, ...rest } = event;
    shaped = {
      ...rest,
      argsSha256: event.argsSha256 ?? hashOrUndefined(args),
      argsSummary: event.argsSummary ?? summarizeArguments(args),
      ...(options.fullPayloads ? { args } : {}),
    };
  }
  const { value, redacted } = scrubSecrets(shaped);
  if (redacted.length === 0) return value;
  const paths = [...(value.redacted ?? []).filter((path) => typeof path === 'string'), ...redacted];
  return { ...value, redacted: [...new Set(paths)] };
}

function hashOrUndefined(args: unknown): string | undefined {
  try {
    return canonicalSha256(args);
  } catch {
    return undefined;
  }
}
