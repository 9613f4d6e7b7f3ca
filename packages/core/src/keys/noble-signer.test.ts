import { createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { readVector } from '../../../../test/vectors/read-vector.js';
import { KeyError } from '../errors.js';
import { createCompactJwsSigner } from '../jws.js';
import { base64url, base64urlDecode } from '../lib/base64url.js';
import { createNobleSigner } from './noble-signer.js';
import { createNodeSigner } from './node-signer.js';

const rfc8037 = readVector('rfc8037');
const rfc6979 = readVector('rfc6979-p256');
const hex = (value: string) => Uint8Array.from(Buffer.from(value, 'hex'));
const text = (value: string) => new TextEncoder().encode(value);

describe('createNobleSigner', { timeout: 20_000 }, () => {
  it('reproduces the RFC 6979 A.2.5 P-256/SHA-256 signatures exactly (no low-S normalization)', () => {
    const signer = createNobleSigner('ES256', hex(rfc6979.privateKey));
    expect(signer.publicJwk).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: base64url(hex(rfc6979.publicKey.x)),
      y: base64url(hex(rfc6979.publicKey.y)),
    });
    for (const vector of rfc6979.signatures) {
      const signature = signer.sign(text(vector.message)) as Uint8Array;
      expect(Buffer.from(signature).toString('hex').toUpperCase()).toBe(vector.r + vector.s);
    }
  });

  it('reproduces the RFC 8037 A.4 Ed25519 signature and thumbprint', () => {
    const signer = createNobleSigner('EdDSA', base64urlDecode(rfc8037.privateJwk.value.d));
    expect(signer.publicJwk).toEqual(rfc8037.publicJwk.value);
    expect(signer.kid).toBe(rfc8037.thumbprint.value);
    const signature = signer.sign(text(rfc8037.signature.signingInput)) as Uint8Array;
    expect(`${rfc8037.signature.signingInput}.${base64url(signature)}`).toBe(rfc8037.signature.jws);
  });

  it('makes signatures that node:crypto verifies, and verifies node:crypto signatures', () => {
    for (let round = 0; round < 10; round++) {
      const noble = createNobleSigner('ES256');
      const publicKey = createPublicKey({ key: { ...noble.publicJwk }, format: 'jwk' });
      const data = text(`round ${round}`);
      const signature = noble.sign(data) as Uint8Array;
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
      expect(verify('sha256', text('other'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(false);

      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const node = createNodeSigner(privateKey);
      const point = Uint8Array.from([4, ...base64urlDecode(node.publicJwk.x), ...base64urlDecode(node.publicJwk.y!)]);
      expect(p256.verify(node.sign(data) as Uint8Array, data, point, { lowS: false })).toBe(true);
    }
    const ed = createNobleSigner('EdDSA');
    const edPublic = createPublicKey({ key: { ...ed.publicJwk }, format: 'jwk' });
    expect(verify(null, text('x'), edPublic, ed.sign(text('x')) as Uint8Array)).toBe(true);
  });

  it('signs the same bytes node:crypto signs from the same Ed25519 seed', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const seed = base64urlDecode(privateKey.export({ format: 'jwk' }).d!);
    const noble = createNobleSigner('EdDSA', seed);
    const node = createNodeSigner(createPrivateKey({ key: privateKey.export({ format: 'jwk' }), format: 'jwk' }));
    expect(noble.kid).toBe(node.kid);
    expect(noble.sign(text('same'))).toEqual(new Uint8Array(node.sign(text('same')) as Uint8Array));
  });

  it('produces JWS that jose verifies, for both algorithms', async () => {
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const signer = createNobleSigner(alg);
      const token = createCompactJwsSigner(signer, { kid: signer.kid }).sign({ hello: 'world' }) as string;
      const { payload, protectedHeader } = await compactVerify(token, await importJWK({ ...signer.publicJwk }, alg));
      expect(protectedHeader).toEqual({ alg, kid: signer.kid });
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ hello: 'world' });
    }
  });

  it('copies the secret, so wiping the caller array changes nothing', () => {
    const secret = hex(rfc6979.privateKey);
    const signer = createNobleSigner('ES256', secret);
    secret.fill(0);
    const signature = signer.sign(text('sample')) as Uint8Array;
    expect(Buffer.from(signature).toString('hex').toUpperCase()).toBe(rfc6979.signatures[0].r + rfc6979.signatures[0].s);
  });

  it('refuses invalid secrets and algorithms', () => {
    expect(() => createNobleSigner('ES256', new Uint8Array(31))).toThrow(KeyError);
    expect(() => createNobleSigner('ES256', new Uint8Array(32))).toThrow(KeyError); // zero is not a scalar in [1, n-1]
    expect(() => createNobleSigner('ES256', new Uint8Array(32).fill(0xff))).toThrow(KeyError); // above n
    expect(() => createNobleSigner('RS256' as 'ES256')).toThrow(KeyError);
  });
});
