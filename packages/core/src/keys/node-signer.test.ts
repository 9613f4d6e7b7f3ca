import { createPrivateKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readVector } from '../../../../test/vectors/read-vector.js';
import { KeyError } from '../errors.js';
import { base64url } from '../lib/base64url.js';
import { createNodeSigner } from './node-signer.js';

const rfc8037 = readVector('rfc8037');

/** Every value reachable from `root` through own properties (string and symbol keys) and prototypes. */
function reachable(root: unknown): unknown[] {
  const seen = new Set<unknown>();
  const queue = [root];
  while (queue.length > 0) {
    const value = queue.pop();
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) continue;
    seen.add(value);
    if (value === Object.prototype || value === Function.prototype) continue;
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
      if ('value' in descriptor) queue.push(descriptor.value);
    }
    queue.push(Object.getPrototypeOf(value));
  }
  return [...seen];
}

describe('createNodeSigner', () => {
  it('reproduces the RFC 8037 Appendix A.4 Ed25519 signature', () => {
    const signer = createNodeSigner(createPrivateKey({ key: rfc8037.privateJwk.value, format: 'jwk' }));
    expect(signer.alg).toBe('EdDSA');
    expect(signer.kid).toBe(rfc8037.thumbprint.value);
    expect(signer.publicJwk).toEqual(rfc8037.publicJwk.value);
    const signature = signer.sign(Buffer.from(rfc8037.signature.signingInput, 'ascii')) as Uint8Array;
    expect(`${rfc8037.signature.signingInput}.${base64url(signature)}`).toBe(rfc8037.signature.jws);
  });

  it('signs ES256 in the 64-byte r || s form that verifies with node:crypto', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = createNodeSigner(privateKey);
    const data = Buffer.from('header.payload');
    const signature = signer.sign(data) as Uint8Array;
    expect(signature).toHaveLength(64);
    expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    expect(signer.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
  });

  it('keeps the private key out of reach of the returned object', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = createNodeSigner(privateKey);
    expect(Object.isFrozen(signer)).toBe(true);
    expect(Object.isFrozen(signer.publicJwk)).toBe(true);
    expect(Object.keys(signer).sort()).toEqual(['alg', 'kid', 'publicJwk', 'sign']);
    const isKeyObject = (value: unknown) => typeof value === 'object' && value !== null && 'asymmetricKeyType' in (value as KeyObject);
    expect(reachable(signer).some(isKeyObject)).toBe(false);
    const d = privateKey.export({ format: 'jwk' }).d!;
    expect(JSON.stringify(signer)).not.toContain(d);
    expect(inspect(signer, { depth: 10, showHidden: true })).not.toContain(d);
    expect(() => ((signer as { alg: string }).alg = 'none')).toThrow(TypeError);
  });

  it('refuses public keys and unsupported curves', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => createNodeSigner(publicKey)).toThrow(KeyError);
    expect(() => createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey)).toThrow(/P-256/);
    expect(() => createNodeSigner(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)).toThrow(KeyError);
  });
});
