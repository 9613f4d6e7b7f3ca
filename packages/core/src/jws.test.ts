import { createPrivateKey } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { readVector } from '../../../test/vectors/read-vector.js';
import { KeyError } from './errors.js';
import { createCompactJwsSigner } from './jws.js';
import { generateKey } from './keys/generate-key.js';
import { createNodeSigner } from './keys/node-signer.js';
import type { Signer } from './keys/signer.js';

const rfc8037 = readVector('rfc8037');

describe('createCompactJwsSigner', () => {
  it('signs with a header encoded once, and jose verifies the result', async () => {
    const signer = await generateKey();
    const jws = createCompactJwsSigner(signer, { typ: 'example+jwt', kid: signer.kid });
    const first = jws.sign({ n: 1 }) as string;
    const second = jws.sign({ n: 2, text: 'héllo ✓' }) as string;
    expect(first.split('.')[0]).toBe(jws.encodedHeader);
    expect(second.split('.')[0]).toBe(jws.encodedHeader);
    const key = await importJWK({ ...signer.publicJwk }, 'ES256');
    const { payload } = await compactVerify(second, key);
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ n: 2, text: 'héllo ✓' });
    expect(decodeProtectedHeader(first)).toEqual({ alg: 'ES256', typ: 'example+jwt', kid: signer.kid });
  });

  it('takes alg from the signer, whatever the header says', () => {
    const signer = createNodeSigner(createPrivateKey({ key: rfc8037.privateJwk.value, format: 'jwk' }));
    const jws = createCompactJwsSigner(signer, { alg: 'none' });
    expect(decodeProtectedHeader(jws.sign({}) as string).alg).toBe('EdDSA');
  });

  it('produces the RFC 8037 A.4 header encoding', () => {
    const signer = createNodeSigner(createPrivateKey({ key: rfc8037.privateJwk.value, format: 'jwk' }));
    expect(createCompactJwsSigner(signer, {}).encodedHeader).toBe(rfc8037.signature.signingInput.split('.')[0]);
  });

  it('supports asynchronous (remote) signers', async () => {
    const local = await generateKey();
    const remote: Signer = { alg: local.alg, kid: local.kid, publicJwk: local.publicJwk, sign: async (data) => local.sign(data) };
    const result = createCompactJwsSigner(remote, {}).sign({ remote: true });
    expect(result).toBeInstanceOf(Promise);
    await expect(compactVerify(await result, await importJWK({ ...local.publicJwk }, 'ES256'))).resolves.toBeDefined();
  });

  it('refuses a signature that is not 64 bytes (a DER ECDSA signature from a KMS)', async () => {
    const local = await generateKey();
    const der: Signer = { ...local, sign: () => new Uint8Array(71) };
    expect(() => createCompactJwsSigner(der, {}).sign({})).toThrow(KeyError);
    expect(() => createCompactJwsSigner(der, {}).sign({})).toThrow(/not DER/);
    const asyncDer: Signer = { ...local, sign: async () => new Uint8Array(72) };
    await expect(createCompactJwsSigner(asyncDer, {}).sign({})).rejects.toBeInstanceOf(KeyError);
  });
});
