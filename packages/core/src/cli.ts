#!/usr/bin/env node
/**
 * The `countersign` command.
 *
 * ```
 * countersign audit verify <trail.jsonl> --jwks <jwks.json> [--allow-unsigned] [--expect-head <hash>]
 *   [--min-records <n>] [--checkpoints <file>] [--json] [--strict]
 * ```
 *
 * Exit status: 0 the trail verifies (the first word printed is `VERIFIED`), 1 it does not (`FAILED`),
 * 2 usage error or unreadable input. The word and the status always come from the same decision.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CountersignError } from './errors.js';
import { readPublishedCheckpoints } from './audit/checkpoint-publishers.js';
import { AuditReadError } from './audit/audit-read-error.js';
import type { AuditCheckpoint } from './audit/trail-record.js';
import { verifyAuditTrail, type AuditTrailVerification } from './audit/verify-audit-trail.js';

const usage = `Usage: countersign audit verify <trail.jsonl> --jwks <jwks.json> [options]

Verifies a hash-chained JSONL audit trail written by jsonlAuditSink: every record's hash, the chain
of prev hashes and sequence numbers, and every checkpoint signature against the agent's public keys.
Every record must be covered by a signed checkpoint. A trail cut back to an earlier checkpoint is
only detected with what a second sink saw: --expect-head, --min-records or --checkpoints.

Options:
  --jwks <file>          public JWKS of the agent: { "keys": [...] } with every kid that ever signed
                         (keep retired keys after a rotation)
  --allow-unsigned       accept records no signed checkpoint covers, and an empty trail, with a
                         warning (they prove nothing: anyone who can write the file can rechain it)
  --expect-head <hash>   the trail must contain the record with this hash (a head printed earlier)
  --min-records <n>      the trail must hold at least n records (lines)
  --checkpoints <file>   checkpoints published to a second sink (JSON lines or a JSON array): each
                         must verify, and the trail must hold the record it signs
  --json                 print the result as JSON
  --strict               also fail on any warning (with --allow-unsigned)
  -h, --help             show this help

Exit status: 0 VERIFIED, 1 FAILED (first broken line reported), 2 usage error or unreadable input.
`;

class UsageError extends Error {}

interface Output {
  out(text: string): void;
  err(text: string): void;
}

async function run(argv: readonly string[], output: Output): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    output.err(`countersign: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (parsed.help) {
    output.out(usage);
    return 0;
  }
  const { file, jwksPath, json, strict, allowUnsigned, expectHead, minRecords, checkpointsPath } = parsed;

  let result: AuditTrailVerification;
  try {
    const jwks = await readJwks(jwksPath);
    const checkpoints = checkpointsPath === undefined ? undefined : await readCheckpoints(checkpointsPath);
    result = await verifyAuditTrail(file, { jwks, allowUnsigned, expectHead, minRecords, checkpoints });
  } catch (error) {
    output.err(`countersign: ${describeInputError(error, file)}\n`);
    return 2;
  }

  const strictFailure = result.ok && strict && result.warnings.length > 0;
  const verified = result.ok && !strictFailure;
  output.out(json ? `${JSON.stringify({ file, verified, ...result }, null, 2)}\n` : formatResult(file, result, verified));
  return verified ? 0 : 1;
}

function parse(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      jwks: { type: 'string' },
      json: { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      'allow-unsigned': { type: 'boolean', default: false },
      'expect-head': { type: 'string' },
      'min-records': { type: 'string' },
      checkpoints: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return { help: true as const };
  const [group, command, file, ...extra] = positionals;
  if (group !== 'audit' || command !== 'verify') {
    throw new UsageError(group === undefined ? 'missing command' : `unknown command: ${[group, command].filter(Boolean).join(' ')}`);
  }
  if (file === undefined) throw new UsageError('missing the trail file to verify');
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  if (values.jwks === undefined) throw new UsageError('missing --jwks <jwks.json> (the public keys that signed the checkpoints)');
  const minRecordsText = values['min-records'];
  const minRecords = minRecordsText === undefined ? undefined : Number(minRecordsText);
  if (minRecords !== undefined && (!/^\d+$/.test(minRecordsText!) || !Number.isSafeInteger(minRecords))) {
    throw new UsageError(`--min-records needs a whole number, got ${minRecordsText}`);
  }
  const expectHead = values['expect-head'];
  if (expectHead !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(expectHead)) {
    throw new UsageError('--expect-head needs a record hash (43 base64url characters, as printed after "head")');
  }
  return {
    help: false as const,
    file,
    jwksPath: values.jwks,
    json: values.json,
    strict: values.strict,
    allowUnsigned: values['allow-unsigned'],
    expectHead,
    minRecords,
    checkpointsPath: values.checkpoints,
  };
}

async function readCheckpoints(path: string): Promise<AuditCheckpoint[]> {
  try {
    return await readPublishedCheckpoints(path);
  } catch (error) {
    if (AuditReadError.isInstance(error)) throw new UsageError(error.message);
    throw error;
  }
}

async function readJwks(path: string) {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new UsageError(`cannot read the JWKS file ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text) as { keys: Record<string, unknown>[] };
  } catch {
    throw new UsageError(`the JWKS file ${path} is not JSON`);
  }
}

function describeInputError(error: unknown, file: string): string {
  if (error instanceof UsageError || CountersignError.isInstance(error)) return error.message;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return `cannot read the audit trail ${file} (${code})`;
  return `cannot verify ${file}: ${error instanceof Error ? error.message : String(error)}`;
}

function formatResult(file: string, result: AuditTrailVerification, verified: boolean): string {
  const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
  const rows: [string, string][] = [
    ['records', `${plural(result.records, 'event')}, ${plural(result.checkpoints, 'signed checkpoint')}`],
    ['agents', result.agents.length > 0 ? result.agents.join(', ') : '(none)'],
    ['signed by', result.kids.length > 0 ? result.kids.map((kid) => `kid ${kid}`).join(', ') : '(no checkpoint)'],
    ['time span', timeSpan(result.firstTime, result.lastTime)],
    ['verified', result.lastVerifiedSequence > 0 ? `lines 1-${result.lastVerifiedSequence} covered by a signature` : 'no line covered by a signature'],
  ];
  const table = rows.map(([label, value]) => `  ${label.padEnd(10)} ${value}`).join('\n');
  if (!result.ok) {
    return `FAILED  ${file}\n  ${result.message} [${result.reason}]\n\nBefore the failure:\n${table}\n`;
  }
  const warnings = result.warnings.map((warning) => `\nWarning: ${warning.message}.`).join('');
  const heading = verified ? `VERIFIED  ${file}` : `FAILED  ${file}\n  --strict: the trail has warnings`;
  const last = `  ${'last'.padEnd(10)} sequence ${result.lastSequence}${result.head === undefined ? '' : `, head ${result.head}`}`;
  return `${heading}\n${table}\n${last}\n${warnings ? `${warnings}\n` : ''}`;
}

function timeSpan(first: string | undefined, last: string | undefined): string {
  if (first === undefined || last === undefined) return '(no events)';
  const seconds = Math.max(0, (Date.parse(last) - Date.parse(first)) / 1000);
  const duration = seconds < 120 ? `${seconds.toFixed(1)} s` : seconds < 7200 ? `${(seconds / 60).toFixed(1)} min` : `${(seconds / 3600).toFixed(1)} h`;
  return `${first} to ${last} (${duration})`;
}

run(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`countersign: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
