import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { createClientAssertionSigner } from '../oauth/assertion.js';
import { createCurrentKey } from './current-key.js';
import { fileKeyStore } from './file-key-store.js';
import { generateKey } from './generate-key.js';
import type { KeyStore } from './key-store.js';
import { memoryKeyStore } from './memory-key-store.js';
import type { Signer } from './signer.js';

describe('createCurrentKey', () => {
  it('passes a fixed signer through', async () => {
    const signer = await generateKey();
    const identity = await createCurrentKey(signer);
    expect(identity.current()).toBe(signer);
    expect(await identity.load()).toBe(signer);
    expect((await identity.jwks()).keys.map((key) => key.kid)).toEqual([signer.kid]);
    expect('rotate' in identity).toBe(false);
  });

  it('follows an activation made through it or directly on the store, and reports each change', async () => {
    const store = memoryKeyStore();
    const changes: [string, string][] = [];
    const identity = await createCurrentKey(store, { onChange: (previous, next) => changes.push([previous.kid, next.kid]) });
    const first = identity.current();
    const second = await identity.rotate!();
    expect(identity.current()).toBe(first); // staged, not signing
    expect((await identity.jwks()).keys.map((key) => key.kid)).toEqual([first.kid, second.kid]);
    expect(await identity.activate!()).toBe(second);
    expect(identity.current()).toBe(second);
    const third = await store.rotate({ activate: true });
    expect(identity.current()).toBe(second); // not seen until the next load
    await identity.load();
    await identity.load();
    expect(identity.current()).toBe(third);
    expect(changes).toEqual([
      [first.kid, second.kid],
      [second.kid, third.kid],
    ]);
    expect((await identity.jwks()).keys.map((key) => key.kid)).toEqual([third.kid, second.kid, first.kid]);
    await identity.retire!(first.kid);
    expect((await identity.jwks()).keys).toHaveLength(2);
    expect((await identity.jwks({ includeRetired: true })).keys.map((key) => key.kid)).toEqual([third.kid, second.kid, first.kid]);
  });

  it('never goes back to an older key when loads overlap', async () => {
    const [older, newer] = [await generateKey(), await generateKey()];
    const pending: ((signer: Signer) => void)[] = [];
    let calls = 0;
    const store: KeyStore = {
      load: () => (calls++ === 0 ? Promise.resolve(older) : new Promise<Signer>((resolve) => pending.push(resolve))),
      jwks: async () => ({ keys: [] }),
    };
    const identity = await createCurrentKey(store);
    const slow = identity.load(); // started before the rotation
    const fast = identity.load(); // started after it
    pending[1]!(newer);
    await fast;
    pending[0]!(older);
    await slow;
    expect(identity.current()).toBe(newer);
  });

  it('switches assertions to a key activated by another process, mid-stream, with none failing', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'countersign-current-'));
    try {
      const identity = await createCurrentKey(fileKeyStore(directory));
      const assertions = createClientAssertionSigner(identity, 'payout-agent');
      const before = identity.current();
      const batch = async () => Promise.all(Array.from({ length: 50 }, () => assertions.create({ audience: 'https://as.example' })));
      const [staging, rotated] = await Promise.all([batch(), fileKeyStore(directory).rotate()]);
      // Staged only: every assertion is still signed by the current key.
      expect(new Set(staging.map((assertion) => decodeProtectedHeader(assertion).kid))).toEqual(new Set([before.kid]));
      const [early, , late] = await Promise.all([batch(), fileKeyStore(directory).activate(rotated.kid), batch()]);
      const kids = new Set([...early, ...late].map((assertion) => decodeProtectedHeader(assertion).kid));
      for (const kid of kids) expect([before.kid, rotated.kid]).toContain(kid);
      const after = await assertions.create({ audience: 'https://as.example' });
      expect(decodeProtectedHeader(after).kid).toBe(rotated.kid);
      expect(identity.current().kid).toBe(rotated.kid);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
