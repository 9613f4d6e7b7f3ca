import { compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../errors.js';
import { createCompactJwsSigner } from '../jws.js';
import { generateKey } from './generate-key.js';
import { isKeyStore, publicJwks } from './key-store.js';
import { memoryKeyStore } from './memory-key-store.js';

describe('memoryKeyStore', () => {
  it('creates one key on first use, even for concurrent callers', async () => {
    const store = memoryKeyStore();
    const signers = await Promise.all(Array.from({ length: 20 }, () => store.load()));
    expect(new Set(signers.map((signer) => signer.kid)).size).toBe(1);
    expect(signers[0]!.alg).toBe('ES256');
    expect((await store.jwks()).keys).toHaveLength(1);
  });

  it('stages a rotated key: published at once, signing once activated; then retires the old key', async () => {
    const store = memoryKeyStore({ alg: 'EdDSA' });
    const old = await store.load();
    const next = await store.rotate();
    expect(next.kid).not.toBe(old.kid);
    expect(next.alg).toBe('EdDSA');
    expect(await store.load()).toBe(old);
    expect((await store.jwks()).keys.map((key) => key.kid)).toEqual([old.kid, next.kid]);

    expect(await store.activate()).toBe(next);
    expect(await store.load()).toBe(next);
    expect((await store.jwks()).keys.map((key) => key.kid)).toEqual([next.kid, old.kid]);
    await expect(store.retire(next.kid)).rejects.toThrow(/current key/);
    await store.retire(old.kid);
    expect((await store.jwks()).keys.map((key) => key.kid)).toEqual([next.kid]);
    await expect(store.retire(old.kid)).resolves.toBeUndefined(); // retired already: nothing changes
    await expect(store.retire('A'.repeat(43))).rejects.toBeInstanceOf(KeyError);
  });

  it('rotate({ activate: true }) switches at once; a second rotation waits for the staged key', async () => {
    const store = memoryKeyStore();
    const old = await store.load();
    const next = await store.rotate({ activate: true });
    expect(await store.load()).toBe(next);
    expect((await store.jwks()).keys.map((key) => key.kid)).toEqual([next.kid, old.kid]);

    const results = await Promise.allSettled([store.rotate(), store.rotate()]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const staged = results.find((result) => result.status === 'fulfilled')!.value;
    const refused = results.find((result) => result.status === 'rejected')!.reason as Error;
    expect(refused).toBeInstanceOf(KeyError);
    expect(refused.message).toContain(`key ${staged.kid} is staged already`);
    await store.retire(staged.kid); // abandons the rotation
    expect((await store.jwks()).keys.map((key) => key.kid)).toEqual([next.kid, old.kid]);
    await expect(store.rotate()).resolves.toBeDefined();
  });

  it('activate refuses unknown and retired kids and an empty stage, and can roll back to a published key', async () => {
    const store = memoryKeyStore();
    const first = await store.load();
    const second = await store.rotate({ activate: true });
    await expect(store.activate()).rejects.toThrow(/no key is staged/);
    await expect(store.activate('A'.repeat(43))).rejects.toThrow(/no key with kid/);
    expect(await store.activate(first.kid)).toBe(first); // roll back
    expect(await store.load()).toBe(first);
    expect(await store.activate(second.kid)).toBe(second);
    await store.retire(first.kid);
    const retired = await store.activate(first.kid).catch((error: unknown) => error as Error);
    expect(retired).toBeInstanceOf(KeyError);
    expect((retired as Error).message).toMatch(/is retired/);
    expect(await store.load()).toBe(second);
  });

  it('keeps retired public keys for verification with jwks({ includeRetired: true })', async () => {
    const store = memoryKeyStore();
    const first = await store.load();
    const token = (await createCompactJwsSigner(first, { kid: first.kid }).sign({ ok: 1 })) as string;
    const second = await store.rotate({ activate: true });
    await store.retire(first.kid);
    expect((await store.jwks()).keys.map((key) => key.kid)).toEqual([second.kid]);
    const all = (await store.jwks({ includeRetired: true })).keys;
    expect(all.map((key) => key.kid)).toEqual([second.kid, first.kid]);
    await expect(compactVerify(token, await importJWK(all[1]!, 'ES256'))).resolves.toBeDefined();
  });

  it('starts from a given key and publishes it with kid, alg and use', async () => {
    const key = await generateKey();
    const store = memoryKeyStore({ key });
    expect(await store.load()).toBe(key);
    const { keys } = await store.jwks();
    expect(keys).toEqual([{ ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' }]);
    const token = (await createCompactJwsSigner(key, { kid: key.kid }).sign({ ok: 1 })) as string;
    await expect(compactVerify(token, await importJWK(keys[0]!, 'ES256'))).resolves.toBeDefined();
  });

  it('tells stores from signers, and publishes either', async () => {
    const key = await generateKey();
    const store = memoryKeyStore({ key });
    expect(isKeyStore(store)).toBe(true);
    expect(isKeyStore(key)).toBe(false);
    expect(await publicJwks(key)).toEqual(await publicJwks(store));
  });
});
