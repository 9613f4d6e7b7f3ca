import { open, readFile } from 'node:fs/promises';
import { AuditReadError } from './audit-read-error.js';
import { AuditSinkError } from './audit-sink-error.js';
import type { AuditCheckpoint } from './trail-record.js';

/**
 * Somewhere other than the trail that receives every signed checkpoint as it is written: another
 * file, an OpenTelemetry pipeline (`otelAuditSink()` has `publishCheckpoint`), or a callback to a
 * system the agent cannot rewrite. What it holds is what `verifyAuditTrail({ checkpoints })` and
 * `countersign audit verify --checkpoints` check a trail against, so a trail cut back to an earlier
 * checkpoint is detected.
 */
export type AuditCheckpointPublisher =
  | ((checkpoint: AuditCheckpoint) => void | Promise<void>)
  | { publishCheckpoint(checkpoint: AuditCheckpoint): void | Promise<void> };

/** Hands a checkpoint to one publisher, whichever shape it has. */
export async function publishCheckpoint(publisher: AuditCheckpointPublisher, checkpoint: AuditCheckpoint): Promise<void> {
  if (typeof publisher === 'function') await publisher(checkpoint);
  else await publisher.publishCheckpoint(checkpoint);
}

/**
 * A checkpoint publisher that appends each checkpoint as one JSON line to a file (created 0600),
 * synced before the write resolves. Put the file where the agent's trail writer cannot rewrite it
 * (another volume, a WORM bucket mount, a log shipper's spool).
 *
 * @example
 * ```ts
 * jsonlAuditSink('audit/agent.jsonl', { publish: fileCheckpointPublisher('/var/log/countersign/checkpoints.jsonl') });
 * // countersign audit verify audit/agent.jsonl --jwks jwks.json --checkpoints /var/log/countersign/checkpoints.jsonl
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1 (each checkpoint carries its compact JWS)
 */
export function fileCheckpointPublisher(path: string): AuditCheckpointPublisher {
  let queue: Promise<unknown> = Promise.resolve();
  return (checkpoint) => {
    const run = queue.then(async () => {
      let handle;
      try {
        handle = await open(path, 'a', 0o600);
      } catch (cause) {
        throw new AuditSinkError(`cannot open checkpoint file ${path}`, { cause });
      }
      try {
        await handle.appendFile(`${JSON.stringify(checkpoint)}\n`, 'utf8');
        await handle.datasync();
      } catch (cause) {
        throw new AuditSinkError(`cannot write checkpoint file ${path}`, { cause });
      } finally {
        await handle.close();
      }
    });
    queue = run.catch(() => undefined);
    return run;
  };
}

/**
 * Reads published checkpoints: a JSON Lines file written by {@link fileCheckpointPublisher}, a JSON
 * array, or a single checkpoint object. Blank lines are skipped; anything else that is not JSON is
 * refused with its line number.
 *
 * @throws {AuditReadError} when the file cannot be read or is not JSON lines or a JSON array.
 */
export async function readPublishedCheckpoints(path: string): Promise<AuditCheckpoint[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new AuditReadError(`cannot read the checkpoints file ${path}${typeof code === 'string' ? ` (${code})` : ''}`, { cause });
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const checkpoints: unknown = parseJson(trimmed);
    if (!Array.isArray(checkpoints)) throw new AuditReadError(`the checkpoints file ${path} is not a JSON array`);
    return checkpoints as AuditCheckpoint[];
  }
  const checkpoints: AuditCheckpoint[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const checkpoint = parseJson(line);
    if (checkpoint === undefined) throw new AuditReadError(`line ${index + 1} of the checkpoints file ${path} is not JSON`);
    checkpoints.push(checkpoint as AuditCheckpoint);
  }
  return checkpoints;
}

/** The value `text` holds, or `undefined` when it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
