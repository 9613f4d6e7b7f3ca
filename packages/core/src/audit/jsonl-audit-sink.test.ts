import { generateKeyPairSync } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactVerify, importJWK } from 'jose';
import { createNodeSigner } from '../keys/node-signer.js';
import type { Signer } from '../keys/signer.js';
import { AuditSinkError } from './audit-sink-error.js';
import { createAuditor } from './auditor.js';
import { fileCheckpointPublisher, readPublishedCheckpoints } from './checkpoint-publishers.js';
import { jsonlAuditSink } from './jsonl-audit-sink.js';
import { AUDIT_TRAIL_GENESIS, hashTrailRecord, type AuditCheckpoint, type TrailRecord } from './trail-record.js';
import type { AuditEvent } from './types.js';
import { verifyAuditTrail } from './verify-audit-trail.js';

const newSigner = (curve: 'ec' | 'ed25519' = 'ec') =>
  createNodeSigner(curve === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey : generateKeyPairSync('ed25519').privateKey);
const jwksOf = (...signers: Signer[]) => ({ keys: signers.map((signer) => ({ ...signer.publicJwk, kid: signer.kid })) });
const readRecords = async (path: string) =>
  (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as TrailRecord);

let directory: string;
let counter = 0;
const trailPath = () => join(directory, `trail-${++counter}.jsonl`);
const event = (sequence: number, overrides: Partial<AuditEvent> = {}): AuditEvent => ({
  time: new Date(Date.UTC(2025, 0, 1, 0, 0, sequence)).toISOString(),
  sequence,
  event: 'tool.invoked',
  agent: 'payout-agent',
  kid: 'kid',
  jkt: 'jkt',
  ...overrides,
});

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'countersign-audit-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('jsonlAuditSink', () => {
  it('chains records by hash from a fixed genesis and creates the file 0600', async () => {
    const path = trailPath();
    const signer = newSigner();
    const sink = jsonlAuditSink(path, { signer, checkpointEvery: 0 });
    for (let sequence = 1; sequence <= 3; sequence += 1) await sink.write(event(sequence));
    await sink.close();

    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const records = await readRecords(path);
    expect(records.map((record) => record.seq)).toEqual([1, 2, 3]);
    expect(records[0]!.prev).toBe(AUDIT_TRAIL_GENESIS);
    for (const [index, record] of records.entries()) {
      expect(record.hash).toBe(hashTrailRecord(record as unknown as Record<string, unknown>));
      if (index > 0) expect(record.prev).toBe(records[index - 1]!.hash);
    }
  });

  it('signs a checkpoint every N events and on close, with the key kid in the JWS header', async () => {
    const path = trailPath();
    const signer = newSigner();
    const sink = jsonlAuditSink(path, { signer, checkpointEvery: 2 });
    for (let sequence = 1; sequence <= 5; sequence += 1) await sink.write(event(sequence));
    await sink.close();

    const records = await readRecords(path);
    expect(records.map((record) => record.kind)).toEqual(['event', 'event', 'checkpoint', 'event', 'event', 'checkpoint', 'event', 'checkpoint']);
    const last = records.at(-1)!;
    if (last.kind !== 'checkpoint') throw new Error('expected a checkpoint');
    expect(last.checkpoint).toMatchObject({ sequence: 7, hash: records[6]!.hash, kid: signer.kid });
    const key = await importJWK({ ...signer.publicJwk }, 'ES256');
    const { payload, protectedHeader } = await compactVerify(last.checkpoint.jws, key);
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: signer.kid, typ: 'countersign-audit-checkpoint+jws' });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ sequence: 7, hash: records[6]!.hash, time: last.checkpoint.time });
  });

  it('signs with EdDSA keys too', async () => {
    const path = trailPath();
    const signer = newSigner('ed25519');
    const sink = jsonlAuditSink(path, { signer });
    await sink.write(event(1));
    await sink.close();
    expect(await verifyAuditTrail(path, { jwks: jwksOf(signer) })).toMatchObject({ ok: true, checkpoints: 1, kids: [signer.kid] });
  });

  it('continues an existing trail from its last record, across processes and key rotation', async () => {
    const path = trailPath();
    const first = newSigner();
    const sink = jsonlAuditSink(path, { signer: first, checkpointEvery: 3 });
    for (let sequence = 1; sequence <= 4; sequence += 1) await sink.write(event(sequence));
    await sink.close();

    const second = newSigner();
    let current = second;
    const reopened = jsonlAuditSink(path, { signer: () => current, checkpointEvery: 3 });
    await reopened.write(event(5, { kid: second.kid }));
    await reopened.checkpoint();
    current = newSigner();
    await reopened.write(event(6, { kid: current.kid }));
    await reopened.close();

    const records = await readRecords(path);
    expect(records.map((record) => record.seq)).toEqual(records.map((_, index) => index + 1));
    const result = await verifyAuditTrail(path, { jwks: jwksOf(first, second, current) });
    expect(result).toMatchObject({ ok: true, records: 6, kids: [first.kid, second.kid, current.kid], warnings: [] });
  });

  it('reports a trail whose last line was cut mid-write instead of continuing it', async () => {
    const path = trailPath();
    const signer = newSigner();
    const sink = jsonlAuditSink(path, { signer });
    for (let sequence = 1; sequence <= 3; sequence += 1) await sink.write(event(sequence));
    await sink.close();
    const { size } = await stat(path);
    await truncate(path, size - 20);
    const before = await readFile(path, 'utf8');

    const reopened = jsonlAuditSink(path, { signer });
    const failure = await reopened.write(event(4)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AuditSinkError);
    expect((failure as Error).message).toMatch(/incomplete record at line 4/);
    await expect(reopened.write(event(5))).rejects.toBeInstanceOf(AuditSinkError);
    await reopened.close();
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it('reports a trail whose last record was edited', async () => {
    const path = trailPath();
    const sink = jsonlAuditSink(path, { checkpointEvery: 0 });
    for (let sequence = 1; sequence <= 3; sequence += 1) await sink.write(event(sequence));
    await sink.close();
    await writeFile(path, (await readFile(path, 'utf8')).replace(/"tool\.invoked"(?=[^\n]*\n$)/, '"tool.executed"'));

    const reopened = jsonlAuditSink(path, { checkpointEvery: 0 });
    await expect(reopened.write(event(4))).rejects.toThrow(/hash does not match its content \(line 3\)/);
    await reopened.close();
  });

  it('reports a last line that is not a record', async () => {
    const path = trailPath();
    const sink = jsonlAuditSink(path, { checkpointEvery: 0 });
    await sink.write(event(1));
    await sink.close();
    await appendFile(path, 'garbage\n');
    const reopened = jsonlAuditSink(path, { checkpointEvery: 0 });
    await expect(reopened.write(event(2))).rejects.toThrow(/not JSON \(line 2\)/);
    await reopened.close();
  });

  it('keeps the chain intact when many records arrive at once, from two auditors sharing the sink', async () => {
    const path = trailPath();
    const signer = newSigner();
    const sink = jsonlAuditSink(path, { checkpointEvery: 25 });
    const first = createAuditor({ agent: 'agent-one', kid: signer.kid, jkt: 'j1' }, [sink], { signer });
    const second = createAuditor({ agent: 'agent-two', kid: signer.kid, jkt: 'j2' }, [sink], { signer });
    for (let index = 0; index < 300; index += 1) {
      (index % 2 === 0 ? first : second).record({ event: 'tool.invoked', tool: 'list_accounts', callId: `call-${index}` });
    }
    const direct = Array.from({ length: 100 }, (_, index) => sink.write(event(index + 1, { agent: 'agent-three', callId: `direct-${index}` })));
    await Promise.all([first.flush(), second.flush(), ...direct]);
    await sink.close();

    const result = await verifyAuditTrail(path, { jwks: jwksOf(signer) });
    expect(result).toMatchObject({ ok: true, records: 400, checkpoints: 16, warnings: [] });
    expect(new Set(result.agents)).toEqual(new Set(['agent-one', 'agent-two', 'agent-three']));
    const perAgent = (await readRecords(path)).flatMap((record) => (record.kind === 'event' && record.event.agent === 'agent-one' ? [record.event.sequence] : []));
    expect(perAgent).toEqual(Array.from({ length: 150 }, (_, index) => index + 1));
  });

  it('writes tool arguments only as hash and summary, unless full payloads are asked for', async () => {
    const redactedPath = trailPath();
    const fullPath = trailPath();
    const signer = newSigner();
    const args = { accountId: 'acc-secret-7', amount: 1200 };
    for (const [path, fullPayloads] of [[redactedPath, false], [fullPath, true]] as const) {
      const sink = jsonlAuditSink(path, { signer, fullPayloads });
      await sink.write(event(1, { args }));
      await sink.close();
    }
    const [redacted] = await readRecords(redactedPath);
    const [full] = await readRecords(fullPath);
    if (redacted?.kind !== 'event' || full?.kind !== 'event') throw new Error('expected events');
    expect(redacted.event.args).toBeUndefined();
    expect(redacted.event.argsSummary).toEqual({ accountId: 'string(12)', amount: 'number' });
    expect(await readFile(redactedPath, 'utf8')).not.toContain('acc-secret-7');
    expect(full.event.args).toEqual(args);
    expect(full.event.argsSha256).toBe(redacted.event.argsSha256);
  });

  it('refuses to write without a key for checkpoints, and after close', async () => {
    const path = trailPath();
    const unsigned = jsonlAuditSink(path);
    await expect(unsigned.write(event(1))).rejects.toThrow(/no key to sign audit checkpoints/);
    await unsigned.close();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });

    const sink = jsonlAuditSink(path, { signer: newSigner() });
    await sink.write(event(1));
    await sink.close();
    await expect(sink.write(event(2))).rejects.toThrow(/is closed/);
    expect(() => jsonlAuditSink(path, { checkpointEvery: -1 })).toThrow(AuditSinkError);
  });

  it('uses the signer an agent binds when it has none of its own', async () => {
    const path = trailPath();
    const signer = newSigner();
    const sink = jsonlAuditSink(path);
    const auditor = createAuditor({ agent: 'a', kid: signer.kid, jkt: 'j' }, [sink], { signer: () => signer });
    auditor.record({ event: 'token.issued' });
    await auditor.close!();
    expect(await verifyAuditTrail(path, { jwks: jwksOf(signer) })).toMatchObject({ ok: true, records: 1, checkpoints: 1 });
  });

  it('reports an unwritable location as an AuditSinkError', async () => {
    const sink = jsonlAuditSink(join(directory, 'missing-dir', 'trail.jsonl'), { signer: newSigner() });
    await expect(sink.write(event(1))).rejects.toThrow(/cannot open audit trail/);
    await sink.close();
  });

  it('publishes every checkpoint to a second sink, which detects a trail cut back to an earlier checkpoint', async () => {
    const path = trailPath();
    const publishedPath = join(directory, `published-${counter}.jsonl`);
    const signer = newSigner();
    const seen: AuditCheckpoint[] = [];
    const sink = jsonlAuditSink(path, { signer, checkpointEvery: 2, publish: [fileCheckpointPublisher(publishedPath), (checkpoint) => void seen.push(checkpoint)] });
    for (let sequence = 1; sequence <= 5; sequence += 1) await sink.write(event(sequence));
    await sink.close();

    const trail = await readRecords(path);
    const inTrail = trail.flatMap((record) => (record.kind === 'checkpoint' ? [record.checkpoint] : []));
    expect(inTrail.map((checkpoint) => checkpoint.sequence)).toEqual([2, 5, 7]);
    expect(seen).toEqual(inTrail);
    const published = await readPublishedCheckpoints(publishedPath);
    expect(published).toEqual(inTrail);
    expect((await stat(publishedPath)).mode & 0o777).toBe(0o600);

    const jwks = jwksOf(signer);
    expect(await verifyAuditTrail(path, { jwks, checkpoints: published })).toMatchObject({ ok: true, lastSequence: 8 });
    // Cut right after the second checkpoint (line 6): alone it verifies; against the published copy it fails.
    const cut = (await readFile(path, 'utf8')).split('\n').slice(0, 6);
    expect(await verifyAuditTrail(cut, { jwks })).toMatchObject({ ok: true, lastSequence: 6 });
    expect(await verifyAuditTrail(cut, { jwks, checkpoints: published })).toMatchObject({ ok: false, reason: 'truncated', line: 7 });
  });

  it('reports a checkpoint that could not be published as a write failure', async () => {
    const sink = jsonlAuditSink(trailPath(), {
      signer: newSigner(),
      checkpointEvery: 1,
      publish: () => Promise.reject(new Error('collector down')),
    });
    await expect(sink.write(event(1))).rejects.toThrow(/checkpoint 1 of .* is in the trail but could not be published/);
  });
});
