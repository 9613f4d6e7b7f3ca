import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ConfigurationError } from '../errors.js';
import { createCheckpointVerifier, type AuditJwks } from './checkpoint-verifier.js';
import { AUDIT_TRAIL_GENESIS, hashTrailRecord, type AuditCheckpoint } from './trail-record.js';

/** Why verification stopped at a line. */
export type AuditBreakReason =
  /** Not JSON, or not an audit record. */
  | 'malformed'
  /** The record's content does not hash to its `hash`: it was edited. */
  | 'hash_mismatch'
  /** A sequence number is missing: records were removed. */
  | 'sequence_gap'
  /** Sequence numbers go backwards or repeat: records were reordered or duplicated. */
  | 'sequence_order'
  /** `prev` is not the previous line's `hash`: a record was removed, inserted or replaced. */
  | 'prev_mismatch'
  /** A checkpoint signs something other than the record before it. */
  | 'checkpoint_mismatch'
  /** A checkpoint was signed by a key that is not in the JWKS. */
  | 'unknown_kid'
  /** A checkpoint's signature does not verify. */
  | 'signature_invalid'
  /** The trail holds no record at all: nothing is signed, so nothing is proven. */
  | 'empty'
  /** Records at the end are not covered by a signed checkpoint (appended, or the trail was not closed). */
  | 'unsigned_tail'
  /**
   * The trail ends before a point it is known to have reached: the `expectHead` hash, `minRecords`,
   * or a checkpoint published to a second sink.
   */
  | 'truncated';

/** A finding that does not break the chain but limits what it proves. */
export interface AuditWarning {
  /**
   * `unsigned_tail`: records after the last valid checkpoint (a trail not closed cleanly, or appended
   * to); `empty`: the trail holds no record. Only reported with `allowUnsigned`: otherwise both fail.
   */
  code: 'unsigned_tail' | 'empty';
  /** 1-based line of the first unsigned record. */
  line: number;
  /** How many records no checkpoint covers. */
  count: number;
  message: string;
}

/** What was verified, counted up to the end of the trail (or up to the break). */
export interface AuditTrailSummary {
  /** Event records. */
  records: number;
  /** Valid signed checkpoints. */
  checkpoints: number;
  /** Distinct agents (client_ids) that recorded events. */
  agents: string[];
  /** Distinct kids that signed checkpoints. */
  kids: string[];
  /** Time of the first and last event, ISO 8601. */
  firstTime: string | undefined;
  lastTime: string | undefined;
  /** `seq` of the last line read. */
  lastSequence: number;
  /** `seq` of the last valid checkpoint: everything up to it is covered by a signature (0 when none). */
  lastVerifiedSequence: number;
  /**
   * `hash` of the last record read: keep it (or a published checkpoint) somewhere the agent cannot
   * write, and pass it later as `expectHead` to prove the trail was not cut back.
   */
  head: string | undefined;
}

/** A trail whose chain and checkpoints are intact. */
export interface AuditTrailVerified extends AuditTrailSummary {
  ok: true;
  /** Limits, such as records that no checkpoint covers yet. */
  warnings: AuditWarning[];
}

/** A trail with a broken link: where the first one is and why. */
export interface AuditTrailBroken extends AuditTrailSummary {
  ok: false;
  /** 1-based line of the first broken record. */
  line: number;
  reason: AuditBreakReason;
  message: string;
}

/** Result of {@link verifyAuditTrail}. */
export type AuditTrailVerification = AuditTrailVerified | AuditTrailBroken;

/** Options of {@link verifyAuditTrail}. */
export interface VerifyAuditTrailOptions {
  /** Public keys of every kid that signed checkpoints (keep retired keys for old trails). */
  jwks: AuditJwks;
  /**
   * Accept records no signed checkpoint covers (and an empty trail), reporting them as warnings
   * instead of failing (default false). Such records prove nothing: anyone who can write the file
   * can recompute a hash chain.
   */
  allowUnsigned?: boolean | undefined;
  /**
   * `hash` of a record the trail is known to have reached (from an earlier verification's `head`, or
   * a published checkpoint's `hash`). The trail must contain it, else it was cut back (`truncated`).
   */
  expectHead?: string | undefined;
  /** The trail must hold at least this many records (lines: events and checkpoints), else `truncated`. */
  minRecords?: number | undefined;
  /**
   * Checkpoints published to a second sink (see `fileCheckpointPublisher`): each must verify with the
   * JWKS, and the trail must hold the record it signs, with that hash.
   */
  checkpoints?: Iterable<AuditCheckpoint> | undefined;
}

/**
 * Verifies a hash-chained JSONL audit trail written by {@link jsonlAuditSink}: every record must hash
 * to its `hash` (RFC 8785 canonical JSON, SHA-256), follow the previous one (`seq` + 1, `prev`), and
 * every checkpoint's compact JWS must verify with the key its `kid` names in `jwks` and sign exactly
 * the record before it. Reports the first broken link with its line and why, or a summary.
 *
 * A trail verifies only when every record is covered by a signed checkpoint: records after the last
 * checkpoint (`unsigned_tail`) and an empty trail (`empty`) fail, unless `allowUnsigned` turns them
 * into warnings. A trail cut back to an earlier checkpoint still verifies on its own; pass what a
 * second sink saw (`expectHead`, `minRecords` or published `checkpoints`) to detect that (`truncated`).
 *
 * `source` is a file path, or the trail's lines.
 *
 * @example
 * ```ts
 * const result = await verifyAuditTrail('audit.jsonl', { jwks: JSON.parse(await readFile('jwks.json', 'utf8')) });
 * if (!result.ok) console.error(`line ${result.line}: ${result.message}`);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.2 (JWS validation)
 * @see https://www.rfc-editor.org/rfc/rfc8785
 */
export async function verifyAuditTrail(
  source: string | URL | Iterable<string> | AsyncIterable<string>,
  options: VerifyAuditTrailOptions,
): Promise<AuditTrailVerification> {
  if (!options || typeof options !== 'object') throw new ConfigurationError('verifyAuditTrail needs { jwks }');
  const verifyCheckpoint = createCheckpointVerifier(options.jwks);
  const allowUnsigned = options.allowUnsigned === true;
  const { expectHead, minRecords } = options;
  if (expectHead !== undefined && (typeof expectHead !== 'string' || expectHead === '')) {
    throw new ConfigurationError('expectHead must be the hash of a trail record (a base64url string)');
  }
  if (minRecords !== undefined && (!Number.isSafeInteger(minRecords) || minRecords < 0)) {
    throw new ConfigurationError('minRecords must be a whole number of records');
  }
  const anchors = await publishedAnchors(options.checkpoints, verifyCheckpoint);
  const lines = lookahead(typeof source === 'string' || source instanceof URL ? readLines(source) : source);

  const agents = new Set<string>();
  const kids = new Set<string>();
  const summary: AuditTrailSummary = {
    records: 0,
    checkpoints: 0,
    agents: [],
    kids: [],
    firstTime: undefined,
    lastTime: undefined,
    lastSequence: 0,
    lastVerifiedSequence: 0,
    head: undefined,
  };
  // `ok` first, then the summary, then the result's own members.
  const finish = <Result extends { ok: boolean }>({ ok, ...rest }: Result): Result & AuditTrailSummary =>
    ({ ok, ...summary, agents: [...agents], kids: [...kids], ...rest }) as unknown as Result & AuditTrailSummary;
  const broken = (line: number, reason: AuditBreakReason, message: string): AuditTrailBroken =>
    finish({ ok: false as const, line, reason, message: `line ${line}: ${message}` });

  try {
    return await walk();
  } finally {
    await lines.close();
  }

  async function walk(): Promise<AuditTrailVerification> {
    let lineNumber = 0;
    let previousHash = AUDIT_TRAIL_GENESIS;
    let blankLine: number | undefined;
    let headFound = false;
    for (let text = await lines.next(); text !== undefined; text = await lines.next()) {
      lineNumber += 1;
      if (text.trim() === '') {
        blankLine ??= lineNumber;
        continue;
      }
      if (blankLine !== undefined) return broken(blankLine, 'malformed', 'empty line inside the trail');

      const record = parseRecord(text);
      if (typeof record === 'string') return broken(lineNumber, 'malformed', record);
      if (hashTrailRecord(record) !== record.hash) {
        return broken(lineNumber, 'hash_mismatch', 'the record was edited: its content does not match its hash');
      }
      if (record.seq > lineNumber) {
        const next = parseRecord((await lines.peek()) ?? '');
        if (typeof next !== 'string' && next.seq === lineNumber) {
          return broken(lineNumber, 'sequence_order', `records ${lineNumber} and ${record.seq} are out of order`);
        }
        const missing = record.seq - lineNumber;
        return broken(lineNumber, 'sequence_gap', `expected record ${lineNumber}, found ${record.seq}: ${missing} record${missing === 1 ? ' was' : 's were'} removed`);
      }
      if (record.seq < lineNumber) {
        return broken(lineNumber, 'sequence_order', `expected record ${lineNumber}, found ${record.seq}: records were reordered or duplicated`);
      }
      if (record.prev !== previousHash) {
        return broken(lineNumber, 'prev_mismatch', 'the record does not follow the previous line (prev differs): a record was removed, inserted or replaced');
      }
      const anchor = anchors.get(lineNumber);
      if (anchor !== undefined && anchor !== record.hash) {
        return broken(lineNumber, 'checkpoint_mismatch', 'the record differs from the one a published checkpoint signed: the trail was rewritten');
      }
      if (record.hash === expectHead) headFound = true;

      if (record.kind === 'checkpoint') {
        const outcome = await verifyCheckpoint(record.checkpoint, { sequence: lineNumber - 1, hash: previousHash });
        if (!outcome.ok) return broken(lineNumber, outcome.reason, outcome.message);
        summary.checkpoints += 1;
        summary.lastVerifiedSequence = lineNumber;
        kids.add(outcome.kid);
      } else {
        const event = record.event as Record<string, unknown>;
        summary.records += 1;
        agents.add(event.agent as string);
        summary.firstTime ??= event.time as string;
        summary.lastTime = event.time as string;
      }
      summary.lastSequence = lineNumber;
      summary.head = record.hash;
      previousHash = record.hash;
    }

    const end = summary.lastSequence + 1;
    const furthestAnchor = Math.max(0, ...anchors.keys());
    if (furthestAnchor > summary.lastSequence) {
      return broken(end, 'truncated', `the trail ends at record ${summary.lastSequence}, but a published checkpoint signed record ${furthestAnchor}: records were cut`);
    }
    if (expectHead !== undefined && !headFound) {
      return broken(end, 'truncated', 'no record has the expected head hash: the trail was cut back or rewritten');
    }
    if (minRecords !== undefined && summary.lastSequence < minRecords) {
      return broken(end, 'truncated', `the trail holds ${summary.lastSequence} records, at least ${minRecords} were expected: records were cut`);
    }

    const warnings: AuditWarning[] = [];
    const unsigned = summary.lastSequence - summary.lastVerifiedSequence;
    if (summary.lastSequence === 0) {
      const message = 'the trail holds no record: nothing is signed, so it proves nothing';
      if (!allowUnsigned) return broken(1, 'empty', message);
      warnings.push({ code: 'empty', line: 1, count: 0, message });
    } else if (unsigned > 0) {
      const line = summary.lastVerifiedSequence + 1;
      const message = `${unsigned} record${unsigned === 1 ? '' : 's'} from line ${line} on ${unsigned === 1 ? 'is' : 'are'} not covered by a signed checkpoint (the trail was not closed cleanly, was appended to, or its checkpoints were removed)`;
      if (!allowUnsigned) return broken(line, 'unsigned_tail', message);
      warnings.push({ code: 'unsigned_tail', line, count: unsigned, message });
    }
    return finish({ ok: true as const, warnings });
  }
}

/**
 * Verifies checkpoints published to a second sink and maps the sequence each one signs to the hash
 * the trail must hold there. A published checkpoint that does not verify is refused outright.
 */
async function publishedAnchors(
  checkpoints: Iterable<AuditCheckpoint> | undefined,
  verifyCheckpoint: ReturnType<typeof createCheckpointVerifier>,
): Promise<Map<number, string>> {
  const anchors = new Map<number, string>();
  if (checkpoints === undefined) return anchors;
  let index = 0;
  for (const checkpoint of checkpoints) {
    index += 1;
    const candidate = (typeof checkpoint === 'object' && checkpoint !== null ? checkpoint : {}) as Partial<AuditCheckpoint>;
    const expected = { sequence: candidate.sequence as number, hash: candidate.hash as string };
    const outcome = await verifyCheckpoint(candidate, expected);
    if (!outcome.ok) throw new ConfigurationError(`published checkpoint ${index} does not verify: ${outcome.message} [${outcome.reason}]`);
    const known = anchors.get(expected.sequence);
    if (known !== undefined && known !== expected.hash) {
      throw new ConfigurationError(`published checkpoints ${index} and an earlier one sign different hashes for record ${expected.sequence}`);
    }
    anchors.set(expected.sequence, expected.hash);
  }
  return anchors;
}

interface ParsedRecord {
  seq: number;
  kind: 'event' | 'checkpoint';
  prev: string;
  hash: string;
  event?: unknown;
  checkpoint?: unknown;
  [member: string]: unknown;
}

/** The record, or why the line is not one. */
function parseRecord(text: string): ParsedRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON (an incomplete or damaged line)';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an audit record';
  const record = value as Record<string, unknown>;
  if (!Number.isSafeInteger(record.seq) || (record.seq as number) < 1) return 'not an audit record: seq is missing or invalid';
  if (typeof record.prev !== 'string' || typeof record.hash !== 'string') return 'not an audit record: prev or hash is missing';
  if (record.kind === 'event') {
    const event = record.event as Record<string, unknown> | undefined;
    if (typeof event !== 'object' || event === null || typeof event.event !== 'string' || typeof event.agent !== 'string' || typeof event.time !== 'string') {
      return 'not an audit record: the event lacks event, agent or time';
    }
  } else if (record.kind === 'checkpoint') {
    if (typeof record.checkpoint !== 'object' || record.checkpoint === null) return 'not an audit record: the checkpoint is missing';
  } else {
    return 'not an audit record: unknown kind';
  }
  return record as ParsedRecord;
}

async function* readLines(path: string | URL): AsyncIterable<string> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const reader = createInterface({ input, crlfDelay: Infinity });
  try {
    yield* reader;
  } finally {
    reader.close();
    input.destroy();
  }
}

/** An iterator over lines with a one-line peek. */
function lookahead(source: Iterable<string> | AsyncIterable<string>) {
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  let peeked: { value: string | undefined } | undefined;
  const pull = async (): Promise<string | undefined> => {
    const step = await iterator.next();
    return step.done ? undefined : String(step.value);
  };
  return {
    async next(): Promise<string | undefined> {
      if (peeked) {
        const { value } = peeked;
        peeked = undefined;
        return value;
      }
      return pull();
    },
    async peek(): Promise<string | undefined> {
      peeked ??= { value: await pull() };
      return peeked.value;
    },
    async close(): Promise<void> {
      await iterator.return?.();
    },
  };
}
