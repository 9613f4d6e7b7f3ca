import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompactJwsSigner } from '../jws.js';
import { createNodeSigner } from '../keys/node-signer.js';
import type { Signer } from '../keys/signer.js';
import { ConfigurationError } from '../errors.js';
import { createAuditor } from './auditor.js';
import type { AuditJwks } from './checkpoint-verifier.js';
import { jsonlAuditSink } from './jsonl-audit-sink.js';
import { AUDIT_CHECKPOINT_TYPE, hashTrailRecord, serializeTrailRecord, type TrailRecord } from './trail-record.js';
import { verifyAuditTrail, type AuditTrailVerification } from './verify-audit-trail.js';

const newSigner = () => createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
const jwksOf = (...signers: Signer[]) => ({ keys: signers.map((signer) => ({ ...signer.publicJwk, kid: signer.kid })) });

const agentKey = newSigner();
const jwks = jwksOf(agentKey);
let directory: string;
/** A closed trail of 40 events with a checkpoint every 10: checkpoints on lines 11, 22, 33 and 44, 44 lines in all. */
let lines: string[];
let trailPath: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'countersign-verify-'));
  trailPath = join(directory, 'trail.jsonl');
  const auditor = createAuditor({ agent: 'payout-agent', kid: agentKey.kid, jkt: 'jkt' }, [jsonlAuditSink(trailPath, { checkpointEvery: 10 })], {
    signer: agentKey,
  });
  const tools = ['list_accounts', 'create_payout', 'rotate_signing_key'];
  for (let index = 0; index < 40; index += 1) {
    auditor.record({ event: index % 2 === 0 ? 'tool.invoked' : 'tool.executed', tool: tools[index % 3], callId: `call-${index}`, args: { index } });
  }
  await auditor.close!();
  lines = (await readFile(trailPath, 'utf8')).split('\n').filter(Boolean);
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const records = () => lines.map((line) => JSON.parse(line) as TrailRecord);
const toLines = (list: TrailRecord[]) => list.map((record) => serializeTrailRecord(record).trimEnd());
const verify = (input: string[], keys: AuditJwks = jwks) => verifyAuditTrail(input, { jwks: keys });

function expectBroken(result: AuditTrailVerification, line: number, reason: string) {
  expect(result).toMatchObject({ ok: false, line, reason });
  if (result.ok) throw new Error('unreachable');
  expect(result.message).toMatch(new RegExp(`^line ${line}: `));
}

/**
 * What a careful forger does after changing records: recompute every hash and prev from `from` on,
 * and re-sign every later checkpoint with `forger` (claiming `claimedKid`), or keep the original
 * signatures when `forger` is undefined.
 */
async function rechain(list: TrailRecord[], from: number, forger?: Signer, claimedKid?: string): Promise<TrailRecord[]> {
  const result = list.map((record) => structuredClone(record));
  for (let index = from; index < result.length; index += 1) {
    const record = result[index]!;
    record.seq = index + 1;
    if (index > 0) record.prev = result[index - 1]!.hash;
    if (record.kind === 'checkpoint' && forger) {
      const kid = claimedKid ?? forger.kid;
      const payload = { sequence: index, hash: record.prev, time: record.checkpoint.time };
      const jws = await createCompactJwsSigner(forger, { kid, typ: AUDIT_CHECKPOINT_TYPE }).sign(payload);
      record.checkpoint = { ...payload, kid, jws };
    }
    record.hash = hashTrailRecord(record as unknown as Record<string, unknown>);
  }
  return result;
}

describe('verifyAuditTrail', () => {
  it('verifies a closed trail and summarizes it', async () => {
    const result = await verifyAuditTrail(trailPath, { jwks });
    expect(result).toEqual({
      ok: true,
      records: 40,
      checkpoints: 4,
      agents: ['payout-agent'],
      kids: [agentKey.kid],
      firstTime: expect.any(String),
      lastTime: expect.any(String),
      lastSequence: 44,
      lastVerifiedSequence: 44,
      head: records().at(-1)!.hash,
      warnings: [],
    });
    expect(Date.parse(result.lastTime!)).toBeGreaterThanOrEqual(Date.parse(result.firstTime!));
    expect(await verify([...lines, ''])).toMatchObject({ ok: true, records: 40 });
  });

  it('catches an edited field at its line (hash mismatch)', async () => {
    const list = records();
    const target = list[14]!;
    if (target.kind !== 'event') throw new Error('line 15 should be an event');
    target.event.tool = 'create_payout_to_attacker';
    expectBroken(await verify(toLines(list)), 15, 'hash_mismatch');
  });

  it('catches an edited field even with its hash recomputed (the next line no longer follows)', async () => {
    const list = records();
    const target = list[4]!;
    if (target.kind !== 'event') throw new Error('line 5 should be an event');
    target.event.outcome = 'ok';
    target.hash = hashTrailRecord(target as unknown as Record<string, unknown>);
    expectBroken(await verify(toLines(list)), 6, 'prev_mismatch');
  });

  it('catches a removed line (sequence gap), including the first one', async () => {
    expectBroken(await verify(lines.filter((_, index) => index !== 19)), 20, 'sequence_gap');
    expectBroken(await verify(lines.slice(1)), 1, 'sequence_gap');
    const result = await verify(lines.filter((_, index) => index !== 19 && index !== 20));
    expect(result).toMatchObject({ ok: false, line: 20, reason: 'sequence_gap', records: 18 });
    expect(result.ok === false && result.message).toMatch(/2 records were removed/);
  });

  it('catches two swapped lines at the first of them (sequence order)', async () => {
    const swapped = [...lines];
    [swapped[6], swapped[7]] = [swapped[7]!, swapped[6]!];
    const result = await verify(swapped);
    expectBroken(result, 7, 'sequence_order');
    expect(result.ok === false && result.message).toMatch(/records 7 and 8 are out of order/);
  });

  it('catches a line moved backwards and a duplicated line', async () => {
    const duplicated = [...lines.slice(0, 10), lines[9]!, ...lines.slice(10)];
    expectBroken(await verify(duplicated), 11, 'sequence_order');
  });

  it('catches a removal the forger renumbered and rechained at the next checkpoint (it signs another hash)', async () => {
    const list = records();
    list.splice(2, 1);
    expectBroken(await verify(toLines(await rechain(list, 2))), 10, 'checkpoint_mismatch');
  });

  it('catches a checkpoint re-signed with another key under the agent kid (signature invalid)', async () => {
    const list = records();
    const target = list[3]!;
    if (target.kind !== 'event') throw new Error('line 4 should be an event');
    target.event.tool = 'rotate_signing_key';
    expectBroken(await verify(toLines(await rechain(list, 3, newSigner(), agentKey.kid))), 11, 'signature_invalid');
  });

  it('catches a checkpoint signed by a key that is not in the JWKS (unknown kid)', async () => {
    const list = records();
    expectBroken(await verify(toLines(await rechain(list, 0, newSigner()))), 11, 'unknown_kid');
  });

  it('catches a checkpoint whose stored fields differ from what its signature signs', async () => {
    const list = records();
    const checkpoint = list[10]!;
    if (checkpoint.kind !== 'checkpoint') throw new Error('line 11 should be a checkpoint');
    checkpoint.checkpoint.time = '2030-01-01T00:00:00.000Z';
    checkpoint.hash = hashTrailRecord(checkpoint as unknown as Record<string, unknown>);
    expectBroken(await verify(toLines(await rechain(list, 11))), 11, 'checkpoint_mismatch');
    const other = records();
    const second = other[10]!;
    if (second.kind !== 'checkpoint') throw new Error('line 11 should be a checkpoint');
    second.checkpoint.jws = 'not-a-jws';
    second.hash = hashTrailRecord(second as unknown as Record<string, unknown>);
    expectBroken(await verify(toLines(await rechain(other, 11))), 11, 'signature_invalid');
  });

  it('fails a forged record appended after the last checkpoint (unsigned tail), a warning only with allowUnsigned', async () => {
    const list = records();
    const last = list.at(-2)!;
    if (last.kind !== 'event') throw new Error('expected an event before the final checkpoint');
    const forged = structuredClone(last);
    forged.event = { ...forged.event, sequence: 41, event: 'tool.executed', tool: 'create_payout', outcome: 'ok' };
    list.push(forged);
    const forgedLines = toLines(await rechain(list, list.length - 1));
    const result = await verify(forgedLines);
    expectBroken(result, 45, 'unsigned_tail');
    expect(result).toMatchObject({ records: 41, lastVerifiedSequence: 44, lastSequence: 45 });
    expect(result.ok === false && result.message).toMatch(/1 record from line 45 on is not covered by a signed checkpoint/);
    expect(await verifyAuditTrail(forgedLines, { jwks, allowUnsigned: true })).toMatchObject({
      ok: true,
      records: 41,
      lastVerifiedSequence: 44,
      lastSequence: 45,
      warnings: [{ code: 'unsigned_tail', line: 45, count: 1 }],
    });
  });

  it('fails a forged trail whose approvers were rewritten and whose checkpoints were dropped and rechained', async () => {
    const list = records().filter((record) => record.kind === 'event');
    for (const record of list) {
      if (record.kind === 'event') record.event.approvers = [{ subject: 'mallory' }];
    }
    const forged = toLines(await rechain(list, 0));
    const result = await verify(forged);
    expectBroken(result, 1, 'unsigned_tail');
    expect(result).toMatchObject({ records: 40, checkpoints: 0, lastVerifiedSequence: 0 });
    expect(result.ok === false && result.message).toMatch(/40 records from line 1 on are not covered by a signed checkpoint/);
  });

  it('fails an empty trail (it proves nothing), a warning only with allowUnsigned', async () => {
    expectBroken(await verify([]), 1, 'empty');
    expectBroken(await verify(['']), 1, 'empty');
    expect(await verifyAuditTrail([], { jwks, allowUnsigned: true })).toMatchObject({ ok: true, records: 0, warnings: [{ code: 'empty' }] });
  });

  it('fails a trail cut after its last checkpoint, and a cut inside a line as malformed', async () => {
    expectBroken(await verify(lines.slice(0, 40)), 34, 'unsigned_tail');
    const cut = [...lines.slice(0, 30), lines[30]!.slice(0, 50)];
    expectBroken(await verify(cut), 31, 'malformed');
  });

  it('detects a trail cut back to an earlier checkpoint with the head, the record count or a published checkpoint', async () => {
    const cut = lines.slice(0, 33);
    const alone = await verify(cut);
    expect(alone).toMatchObject({ ok: true, lastSequence: 33, lastVerifiedSequence: 33, warnings: [] });

    const full = await verify(lines);
    const head = full.head!;
    expectBroken(await verifyAuditTrail(cut, { jwks, expectHead: head }), 34, 'truncated');
    expect(await verifyAuditTrail(lines, { jwks, expectHead: head })).toMatchObject({ ok: true });
    const older = records()[20]!.hash;
    expect(await verifyAuditTrail(lines, { jwks, expectHead: older })).toMatchObject({ ok: true });

    expectBroken(await verifyAuditTrail(cut, { jwks, minRecords: 44 }), 34, 'truncated');
    expect(await verifyAuditTrail(lines, { jwks, minRecords: 44 })).toMatchObject({ ok: true });

    const published = records().flatMap((record) => (record.kind === 'checkpoint' ? [record.checkpoint] : []));
    const result = await verifyAuditTrail(cut, { jwks, checkpoints: published });
    expectBroken(result, 34, 'truncated');
    expect(result.ok === false && result.message).toMatch(/a published checkpoint signed record 43: records were cut/);
    expect(await verifyAuditTrail(lines, { jwks, checkpoints: published })).toMatchObject({ ok: true });
  });

  it('refuses a published checkpoint that does not verify, and a trail rewritten under a published one', async () => {
    const published = records().flatMap((record) => (record.kind === 'checkpoint' ? [record.checkpoint] : []));
    const forgedCheckpoint = { ...published[0]!, hash: records()[3]!.hash };
    await expect(verifyAuditTrail(lines, { jwks, checkpoints: [forgedCheckpoint] })).rejects.toThrow(/published checkpoint 1 does not verify/);
    // Even a forger holding the agent's key (it signs on the agent's host) cannot rewrite what was published.
    const resigned = toLines(await rechain(records().map((record, index) => (index === 5 && record.kind === 'event' ? { ...record, event: { ...record.event, tool: 'x' } } : record)), 5, agentKey));
    const rewritten = await verifyAuditTrail(resigned, { jwks, checkpoints: published });
    expectBroken(rewritten, 10, 'checkpoint_mismatch');
    expect(rewritten.ok === false && rewritten.message).toMatch(/differs from the one a published checkpoint signed/);
    expect(await verify(resigned)).toMatchObject({ ok: true });
  });

  it('accepts every key that ever signed (rotation) and finds keys by thumbprint when they have no kid', async () => {
    const rotated = newSigner();
    const list = await rechain(records(), 30, rotated);
    const result = await verify(toLines(list), jwksOf(agentKey, rotated));
    expect(result).toMatchObject({ ok: true, kids: [agentKey.kid, rotated.kid] });
    expectBroken(await verify(toLines(list), jwksOf(rotated)), 11, 'unknown_kid');
    expect(await verify(lines, { keys: [{ ...agentKey.publicJwk }] })).toMatchObject({ ok: true, checkpoints: 4 });
  });

  it('refuses a key whose declared alg differs from the signature', async () => {
    expectBroken(await verify(lines, { keys: [{ ...agentKey.publicJwk, kid: agentKey.kid, alg: 'EdDSA' }] }), 11, 'signature_invalid');
  });

  it('reports malformed lines: not JSON, not a record, an empty line inside', async () => {
    expectBroken(await verify(['{"seq":1']), 1, 'malformed');
    expectBroken(await verify(['[1,2]']), 1, 'malformed');
    expectBroken(await verify([lines[0]!, '', lines[1]!]), 2, 'malformed');
    expectBroken(await verify(['{"seq":1,"kind":"other","prev":"x","hash":"y"}']), 1, 'malformed');
  });

  it('refuses a JWKS with private keys or without keys', async () => {
    const privateJwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    await expect(verify(lines, { keys: [privateJwk as Record<string, unknown>] })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(verify(lines, {} as never)).rejects.toThrow(/"keys" array/);
  });

  it('reads async iterables and reports a missing file', async () => {
    async function* source() {
      yield* lines;
    }
    expect(await verifyAuditTrail(source(), { jwks })).toMatchObject({ ok: true, records: 40 });
    await expect(verifyAuditTrail(join(directory, 'missing.jsonl'), { jwks })).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
