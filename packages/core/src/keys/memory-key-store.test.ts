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

  it('rotates with an overlap, then retires the old key', async () => {
    const store = memoryKeyStore({ alg: 'EdDSA' });
    const old = await store.load();
    const next = await store.rotate();
    expect(next.kid).not.toBe(old.kid);
    expect(next.alg).toBe('EdDSA');
    expect(await store.load()).toBe(next);
    expect((await store.jwks()).keys.map((key) => key.kid)).toEqual([next.kid, old.kid]);
    await expect(store.retire(next.kid)).rejects.toThrow(/current key/);
    await store.retire(old.kid);
    expect((await store.jwks()).keys.map((key) => key.kid)).toEqual([next.kid]);
    await expect(store.retire(old.kid)).rejects.toBeInstanceOf(KeyError);
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
