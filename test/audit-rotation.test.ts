/**
 * Evidence across a key rotation: the trail of an agent whose identity key is rotated mid-run names
 * the kid in force at each step, its checkpoints are signed by whichever key was current, and it
 * verifies with the public keys of every kid that ever signed (not with the current JWKS alone once
 * the old key is retired: keep retired public keys for verification).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '@countersign/devkit';
import { createAgent } from '../packages/core/src/agent.js';
import { jsonlAuditSink } from '../packages/core/src/audit/jsonl-audit-sink.js';
import type { TrailRecord } from '../packages/core/src/audit/trail-record.js';
import { verifyAuditTrail } from '../packages/core/src/audit/verify-audit-trail.js';
import { fileKeyStore } from '../packages/core/src/keys/file-key-store.js';
import type { AgentOptions } from '../packages/core/src/types.js';

let stack: DevStack;
let directory: string;

beforeAll(async () => {
  stack = await startDevStack({ port: 0, toolApiPort: 0 });
  directory = await mkdtemp(join(tmpdir(), 'countersign-rotation-'));
});
afterAll(async () => {
  await stack?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('audit trail across a key rotation', () => {
  it('records the kid in force, signs checkpoints with the current key, and verifies with every kid that signed', async () => {
    const clientId = `rotating-agent-${process.pid}`;
    const store = fileKeyStore(join(directory, 'keys'));
    const first = await store.load();
    const scopes = ['accounts:read', 'payouts:write'];
    // Devkit's PublicJwks wants index-signature records; core's PublicJwk is an interface.
    const published = async () => ({ keys: (await store.jwks()).keys.map((key) => ({ ...key })) });
    stack.registerAgent({ clientId, jwks: await published(), scopes });
    const trailPath = join(directory, 'trail.jsonl');
    const agent = await createAgent({
      issuer: stack.issuer,
      clientId,
      key: store as unknown as AgentOptions['key'],
      audit: jsonlAuditSink(trailPath, { checkpointEvery: 2 }),
    });

    let second: Awaited<ReturnType<typeof store.rotate>>;
    const everyKey = new Map<string, Record<string, unknown>>();
    const remember = async () => {
      for (const key of (await store.jwks()).keys) everyKey.set(String(key.kid), { ...key });
    };
    try {
      await remember();
      await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
      await agent.audit.flush();

      second = await store.rotate();
      await remember();
      stack.registerAgent({ clientId, jwks: await published(), scopes });
      // A new token request signs its assertion with the new key.
      await agent.getToken({ resource: stack.toolApiUrl, scope: 'payouts:write' });
      await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read payouts:write' });
      await agent.audit.flush();
    } finally {
      await agent.close();
    }
    await store.retire(first.kid);

    const records = (await readFile(trailPath, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as TrailRecord);
    const issued = records.flatMap((record) => (record.kind === 'event' && record.event.event === 'token.issued' ? [record.event] : []));
    expect(issued.map((event) => event.kid)).toEqual([first.kid, second!.kid, second!.kid]);
    const signers = records.flatMap((record) => (record.kind === 'checkpoint' ? [record.checkpoint.kid] : []));
    expect(signers[0]).toBe(first.kid);
    expect(signers.at(-1)).toBe(second!.kid);

    const result = await verifyAuditTrail(trailPath, { jwks: { keys: [...everyKey.values()] } });
    expect(result).toMatchObject({ ok: true, kids: [first.kid, second!.kid], warnings: [] });

    // After retiring the old key the store publishes only the new one: the old checkpoints then
    // name a kid the verifier does not know.
    const current = await verifyAuditTrail(trailPath, { jwks: await store.jwks() });
    expect(current).toMatchObject({ ok: false, reason: 'unknown_kid' });
  });
});
