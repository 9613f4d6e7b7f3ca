import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { readVector } from '../../../../test/vectors/read-vector.js';
import { KeyError } from '../errors.js';
import type { PublicJwk } from './signer.js';
import { jwkThumbprint } from './thumbprint.js';

const rfc8037 = readVector('rfc8037');
const rfc9449 = readVector('rfc9449');

describe('jwkThumbprint', () => {
  it('matches RFC 8037 Appendix A.3 for the Ed25519 example key', () => {
    expect(jwkThumbprint(rfc8037.publicJwk.value)).toBe(rfc8037.thumbprint.value);
  });

  it('matches the jkt RFC 9449 gives for its example P-256 key', () => {
    expect(jwkThumbprint(rfc9449.proof.header.jwk)).toBe(rfc9449.jkt.value);
  });

  it('ignores members that are not required (kid, alg, use, d)', () => {
    const withExtras = { ...rfc8037.privateJwk.value, kid: 'x', alg: 'EdDSA', use: 'sig' } as PublicJwk;
    expect(jwkThumbprint(withExtras)).toBe(rfc8037.thumbprint.value);
  });

  it('agrees with jose for fresh P-256 and Ed25519 keys', async () => {
    for (const key of [generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey, generateKeyPairSync('ed25519').publicKey]) {
      const jwk = await exportJWK(key);
      expect(jwkThumbprint(jwk as PublicJwk)).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
    }
  });

  it('refuses a key without its required members', () => {
    expect(() => jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'abc' })).toThrow(KeyError);
    expect(() => jwkThumbprint({ kty: 'RSA' } as unknown as PublicJwk)).toThrow(KeyError);
  });
});
