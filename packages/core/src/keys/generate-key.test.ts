import * as nodeCrypto from 'node:crypto';
import { compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../errors.js';
import { createCompactJwsSigner } from '../jws.js';
import { detectNodeCrypto, generateKey, generateKeyWith, type NodeCrypto } from './generate-key.js';
import { jwkThumbprint } from './thumbprint.js';

async function verifies(signer: Awaited<ReturnType<typeof generateKey>>): Promise<boolean> {
  const token = (await createCompactJwsSigner(signer, {}).sign({ check: true })) as string;
  await compactVerify(token, await importJWK({ ...signer.publicJwk }, signer.alg));
  return true;
}

describe('generateKey', { timeout: 20_000 }, () => {
  it('makes ES256 keys by default and EdDSA keys on request, with kid = RFC 7638 thumbprint', async () => {
    const es = await generateKey();
    const ed = await generateKey({ alg: 'EdDSA' });
    expect(es.alg).toBe('ES256');
    expect(es.publicJwk.crv).toBe('P-256');
    expect(ed.alg).toBe('EdDSA');
    expect(ed.publicJwk.crv).toBe('Ed25519');
    for (const signer of [es, ed]) {
      expect(signer.kid).toBe(jwkThumbprint(signer.publicJwk));
      expect(await verifies(signer)).toBe(true);
    }
  });

  it('uses node:crypto here: synchronous signing, fresh keys every time', async () => {
    const first = await generateKey({ alg: 'ES256' });
    const second = await generateKey({ alg: 'ES256' });
    expect(first.kid).not.toBe(second.kid);
    expect(first.sign(new Uint8Array(1))).toBeInstanceOf(Uint8Array);
  });

  it('refuses algorithms it does not support', async () => {
    await expect(generateKey({ alg: 'RS256' as 'ES256' })).rejects.toBeInstanceOf(KeyError);
  });
});

describe('node:crypto detection', { timeout: 20_000 }, () => {
  it('finds node:crypto when the import yields it', async () => {
    expect(await detectNodeCrypto(() => import('node:crypto'))).toBeDefined();
  });

  it('reports none when the module is missing or lacks what signing needs', async () => {
    expect(await detectNodeCrypto(() => Promise.reject(new Error('Cannot find module node:crypto')))).toBeUndefined();
    expect(await detectNodeCrypto(async () => ({ randomBytes: nodeCrypto.randomBytes }))).toBeUndefined();
    expect(await detectNodeCrypto(async () => undefined)).toBeUndefined();
  });

  it('falls back to the noble signer without node:crypto, with keys that still verify', async () => {
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const signer = await generateKeyWith(undefined, alg);
      expect(signer.alg).toBe(alg);
      expect(await verifies(signer)).toBe(true);
    }
  });

  it('falls back to noble when node:crypto cannot make this kind of key', async () => {
    const partial: NodeCrypto = {
      ...nodeCrypto,
      generateKeyPair: ((_type: string, _options: unknown, callback: (error: Error) => void) =>
        callback(new Error('ed25519 is not supported on this platform'))) as unknown as NodeCrypto['generateKeyPair'],
    };
    const signer = await generateKeyWith(partial, 'EdDSA');
    expect(signer.alg).toBe('EdDSA');
    expect(await verifies(signer)).toBe(true);
  });
});
