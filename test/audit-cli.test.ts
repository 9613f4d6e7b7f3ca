import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditor } from '../packages/core/src/audit/auditor.js';
import { jsonlAuditSink } from '../packages/core/src/audit/jsonl-audit-sink.js';
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

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'countersign-cli-'));
  trail = join(directory, 'trail.jsonl');
  jwksFile = join(directory, 'jwks.json');
  const key = createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  await writeFile(jwksFile, JSON.stringify({ keys: [{ ...key.publicJwk, kid: key.kid }] }));

  let clock = Date.parse('2025-03-01T09:00:00.000Z');
  const auditor = createAuditor({ agent: 'payout-agent', kid: key.kid, jkt: 'jkt' }, [jsonlAuditSink(trail, { checkpointEvery: 5 })], {
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
    expect(stdout).not.toContain('Warning');
  });

  it('prints machine-readable JSON with --json', async () => {
    const { code, stdout } = await countersign('audit', 'verify', trail, '--jwks', jwksFile, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ file: trail, ok: true, records: 12, checkpoints: 3, agents: ['payout-agent'], lastVerifiedSequence: 15, warnings: [] });
  });

  it('reports the first broken link and exits 1', async () => {
    const text = await countersign('audit', 'verify', tamperedTrail, '--jwks', jwksFile);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^BROKEN {2}.*tampered\.jsonl\n {2}line 9: the record was edited.*\[hash_mismatch\]/);
    const json = await countersign('audit', 'verify', tamperedTrail, '--jwks', jwksFile, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, line: 9, reason: 'hash_mismatch', records: 7, checkpoints: 1 });
  });

  it('warns about records no checkpoint covers, and fails on them with --strict', async () => {
    const lenient = await countersign('audit', 'verify', openTrail, '--jwks', jwksFile);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('Warning: 1 record from line 13 on is not covered by a signed checkpoint');
    const strict = await countersign('audit', 'verify', openTrail, '--jwks', jwksFile, '--strict');
    expect(strict.code).toBe(1);
  });

  it('exits 2 on usage errors and unreadable input, with the reason on stderr', async () => {
    const cases: [string[], RegExp][] = [
      [[], /missing command/],
      [['audit', 'verify', trail], /missing --jwks/],
      [['audit', 'check', trail, '--jwks', jwksFile], /unknown command: audit check/],
      [['audit', 'verify', trail, '--jwks', jwksFile, '--color'], /Unknown option '--color'/],
      [['audit', 'verify', join(directory, 'missing.jsonl'), '--jwks', jwksFile], /cannot read the audit trail .*missing\.jsonl \(ENOENT\)/],
      [['audit', 'verify', trail, '--jwks', join(directory, 'none.json')], /cannot read the JWKS file .*none\.json \(ENOENT\)/],
      [['audit', 'verify', trail, '--jwks', trail], /is not JSON/],
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
