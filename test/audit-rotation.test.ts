/**
 * Evidence across a key rotation: the trail of an agent whose identity key is rotated mid-run
 * (staged, published, activated, retired) names the kid in force at each step and records the
 * switch as `key.rotated`; its checkpoints are signed by whichever key was current; and it verifies
 * with `jwks({ includeRetired: true })`, which keeps the public keys of retired kids (the published
 * set alone no longer can, once the old key is retired).
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
  it('records the kid in force and the switch, signs checkpoints with the current key, and verifies with retired keys kept', async () => {
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
    try {
      await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
      await agent.audit.flush();

      second = await store.rotate(); // staged: published from now on, not yet signing
      stack.registerAgent({ clientId, jwks: await published(), scopes });
      await store.activate(second.kid);
      // A new token request signs its assertion with the new key.
      await agent.getToken({ resource: stack.toolApiUrl, scope: 'payouts:write' });
      await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read payouts:write' });
      await agent.audit.flush();
    } finally {
      await agent.close();
    }
    await store.retire(first.kid);
    stack.registerAgent({ clientId, jwks: await published(), scopes });

    const records = (await readFile(trailPath, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as TrailRecord);
    const events = records.flatMap((record) => (record.kind === 'event' ? [record.event] : []));
    const issued = events.filter((event) => event.event === 'token.issued');
    expect(issued.map((event) => event.kid)).toEqual([first.kid, second!.kid, second!.kid]);
    const rotations = events.filter((event) => event.event === 'key.rotated');
    expect(rotations).toHaveLength(1);
    expect(rotations[0]).toMatchObject({ kid: second!.kid, previousKid: first.kid, outcome: 'ok' });
    const signers = records.flatMap((record) => (record.kind === 'checkpoint' ? [record.checkpoint.kid] : []));
    expect(signers[0]).toBe(first.kid);
    expect(signers.at(-1)).toBe(second!.kid);

    const verification = await store.jwks({ includeRetired: true });
    expect(verification.keys.map((key) => key.kid)).toEqual([second!.kid, first.kid]);
    const result = await verifyAuditTrail(trailPath, { jwks: verification });
    expect(result).toMatchObject({ ok: true, kids: [first.kid, second!.kid], warnings: [] });

    // The published set holds only the new key after the retirement: the old checkpoints then
    // name a kid it does not know. This is why verification uses includeRetired.
    const current = await verifyAuditTrail(trailPath, { jwks: await store.jwks() });
    expect(current).toMatchObject({ ok: false, reason: 'unknown_kid' });
  });
});
