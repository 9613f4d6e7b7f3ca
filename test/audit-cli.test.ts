import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditor } from '../packages/core/src/audit/auditor.js';
import { fileCheckpointPublisher } from '../packages/core/src/audit/checkpoint-publishers.js';
import { jsonlAuditSink } from '../packages/core/src/audit/jsonl-audit-sink.js';
import { hashTrailRecord, serializeTrailRecord, type TrailRecord } from '../packages/core/src/audit/trail-record.js';
import { createNodeSigner } from '../packages/core/src/keys/node-signer.js';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('../packages/core/src/cli.ts', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the `countersign` bin from its TypeScript source, in a child process, as a user would. */
function countersign(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let directory: string;
let trail: string;
let jwksFile: string;
let tamperedTrail: string;
let openTrail: string;
let emptyTrail: string;
let forgedTrail: string;
let cutTrail: string;
let publishedFile: string;
let head: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'countersign-cli-'));
  trail = join(directory, 'trail.jsonl');
  jwksFile = join(directory, 'jwks.json');
  const key = createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  await writeFile(jwksFile, JSON.stringify({ keys: [{ ...key.publicJwk, kid: key.kid }] }));

  let clock = Date.parse('2025-03-01T09:00:00.000Z');
  publishedFile = join(directory, 'published.jsonl');
  const sink = jsonlAuditSink(trail, { checkpointEvery: 5, publish: fileCheckpointPublisher(publishedFile) });
  const auditor = createAuditor({ agent: 'payout-agent', kid: key.kid, jkt: 'jkt' }, [sink], {
    signer: key,
    clock: () => (clock += 1500),
  });
  for (let index = 0; index < 12; index += 1) auditor.record({ event: 'tool.invoked', tool: 'list_accounts', callId: `call-${index}` });
  await auditor.close!();

  const lines = (await readFile(trail, 'utf8')).split('\n');
  tamperedTrail = join(directory, 'tampered.jsonl');
  await writeFile(tamperedTrail, lines.map((line, index) => (index === 8 ? line.replace('call-7', 'call-70') : line)).join('\n'));
  openTrail = join(directory, 'open.jsonl');
  await writeFile(openTrail, `${lines.slice(0, 13).join('\n')}\n`);
  emptyTrail = join(directory, 'empty.jsonl');
  await writeFile(emptyTrail, '');
  // Cut right after the second checkpoint (line 12), dropping records the final checkpoint signed.
  cutTrail = join(directory, 'cut.jsonl');
  await writeFile(cutTrail, `${lines.slice(0, 12).join('\n')}\n`);
  const records = lines.filter(Boolean).map((line) => JSON.parse(line) as TrailRecord);
  head = records.at(-1)!.hash;
  // The attack from issue 13: every approver becomes mallory, checkpoints dropped, the chain recomputed.
  const forged = records.filter((record) => record.kind === 'event');
  forged.forEach((record, index) => {
    if (record.kind === 'event') record.event.approvers = [{ subject: 'mallory' }];
    record.seq = index + 1;
    record.prev = index === 0 ? record.prev : forged[index - 1]!.hash;
    record.hash = hashTrailRecord(record as unknown as Record<string, unknown>);
  });
  forgedTrail = join(directory, 'forged.jsonl');
  await writeFile(forgedTrail, forged.map((record) => serializeTrailRecord(record)).join(''));
}, 60_000);

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('countersign audit verify', () => {
  it('prints a clean summary and exits 0 for an intact trail', async () => {
    const { code, stdout, stderr } = await countersign('audit', 'verify', trail, '--jwks', jwksFile);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^VERIFIED {2}.*trail\.jsonl\n/);
    expect(stdout).toContain('12 events, 3 signed checkpoints');
    expect(stdout).toContain('payout-agent');
    expect(stdout).toMatch(/2025-03-01T09:00:01\.500Z to 2025-03-01T09:00:18\.000Z \(16\.5 s\)/);
    expect(stdout).toContain('lines 1-15 covered by a signature');
    expect(stdout).toContain(`sequence 15, head ${head}`);
    expect(stdout).not.toContain('Warning');
  });

  it('prints machine-readable JSON with --json', async () => {
    const { code, stdout } = await countersign('audit', 'verify', trail, '--jwks', jwksFile, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ file: trail, verified: true, ok: true, head, records: 12, checkpoints: 3, agents: ['payout-agent'], lastVerifiedSequence: 15, warnings: [] });
  });

  it('reports the first broken link and exits 1', async () => {
    const text = await countersign('audit', 'verify', tamperedTrail, '--jwks', jwksFile);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^FAILED {2}.*tampered\.jsonl\n {2}line 9: the record was edited.*\[hash_mismatch\]/);
    const json = await countersign('audit', 'verify', tamperedTrail, '--jwks', jwksFile, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, line: 9, reason: 'hash_mismatch', records: 7, checkpoints: 1 });
  });

  it('fails records no checkpoint covers; --allow-unsigned makes them a warning; --strict fails that again, saying so', async () => {
    const failing = await countersign('audit', 'verify', openTrail, '--jwks', jwksFile);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/^FAILED {2}.*open\.jsonl\n {2}line 13: 1 record from line 13 on is not covered by a signed checkpoint.*\[unsigned_tail\]/);
    const lenient = await countersign('audit', 'verify', openTrail, '--jwks', jwksFile, '--allow-unsigned');
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/^VERIFIED {2}/);
    expect(lenient.stdout).toContain('Warning: 1 record from line 13 on is not covered by a signed checkpoint');
    const strict = await countersign('audit', 'verify', openTrail, '--jwks', jwksFile, '--allow-unsigned', '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/^FAILED {2}.*\n {2}--strict: the trail has warnings/);
    expect(strict.stdout).not.toContain('VERIFIED');
    const strictJson = await countersign('audit', 'verify', openTrail, '--jwks', jwksFile, '--allow-unsigned', '--strict', '--json');
    expect(strictJson.code).toBe(1);
    expect(JSON.parse(strictJson.stdout)).toMatchObject({ verified: false, ok: true, warnings: [{ code: 'unsigned_tail' }] });
  }, 60_000);

  it('fails an empty file and a forged trail with its checkpoints dropped, with or without --strict', async () => {
    const runs = await Promise.all([
      countersign('audit', 'verify', emptyTrail, '--jwks', jwksFile),
      countersign('audit', 'verify', emptyTrail, '--jwks', jwksFile, '--strict'),
      countersign('audit', 'verify', forgedTrail, '--jwks', jwksFile),
      countersign('audit', 'verify', forgedTrail, '--jwks', jwksFile, '--strict'),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^FAILED {2}/);
      expect(run.stdout).not.toContain('VERIFIED');
    }
    expect(runs[0]!.stdout).toContain('the trail holds no record: nothing is signed, so it proves nothing [empty]');
    expect(runs[2]!.stdout).toContain('line 1: 12 records from line 1 on are not covered by a signed checkpoint');
  }, 60_000);

  it('detects a trail cut after a checkpoint with --expect-head, --min-records or --checkpoints', async () => {
    const runs = await Promise.all([
      countersign('audit', 'verify', cutTrail, '--jwks', jwksFile),
      countersign('audit', 'verify', cutTrail, '--jwks', jwksFile, '--expect-head', head),
      countersign('audit', 'verify', cutTrail, '--jwks', jwksFile, '--min-records', '15'),
      countersign('audit', 'verify', cutTrail, '--jwks', jwksFile, '--checkpoints', publishedFile),
      countersign('audit', 'verify', trail, '--jwks', jwksFile, '--expect-head', head, '--min-records', '15', '--checkpoints', publishedFile),
    ]);
    expect(runs[0]!.code).toBe(0);
    for (const run of runs.slice(1, 4)) {
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^FAILED {2}.*cut\.jsonl\n {2}line 13: .*\[truncated\]/);
    }
    expect(runs[3]!.stdout).toContain('a published checkpoint signed record 14: records were cut');
    expect(runs[4]!.code).toBe(0);
    expect(runs[4]!.stdout).toMatch(/^VERIFIED {2}/);
  }, 120_000);

  it('exits 2 on usage errors and unreadable input, with the reason on stderr', async () => {
    const cases: [string[], RegExp][] = [
      [[], /missing command/],
      [['audit', 'verify', trail], /missing --jwks/],
      [['audit', 'check', trail, '--jwks', jwksFile], /unknown command: audit check/],
      [['audit', 'verify', trail, '--jwks', jwksFile, '--color'], /Unknown option '--color'/],
      [['audit', 'verify', join(directory, 'missing.jsonl'), '--jwks', jwksFile], /cannot read the audit trail .*missing\.jsonl \(ENOENT\)/],
      [['audit', 'verify', trail, '--jwks', join(directory, 'none.json')], /cannot read the JWKS file .*none\.json \(ENOENT\)/],
      [['audit', 'verify', trail, '--jwks', trail], /is not JSON/],
      [['audit', 'verify', trail, '--jwks', jwksFile, '--min-records', 'ten'], /--min-records needs a whole number/],
      [['audit', 'verify', trail, '--jwks', jwksFile, '--expect-head', 'abc'], /--expect-head needs a record hash/],
      [['audit', 'verify', trail, '--jwks', jwksFile, '--checkpoints', jwksFile], /published checkpoint 1 does not verify/],
    ];
    const runs = await Promise.all(cases.map(([args]) => countersign(...args)));
    for (const [index, [args, message]] of cases.entries()) {
      const { code, stdout, stderr } = runs[index]!;
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(stderr).toMatch(message);
      expect(stdout).toBe('');
    }
  }, 120_000);

  it('prints help and exits 0', async () => {
    const { code, stdout } = await countersign('--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: countersign audit verify <trail\.jsonl> --jwks <jwks\.json>/);
  });
});
