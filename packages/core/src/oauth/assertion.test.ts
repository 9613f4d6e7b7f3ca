import { decodeProtectedHeader, importJWK, jwtVerify, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { clientAssertionType, createClientAssertionSigner } from './assertion.js';
import { ConfigurationError } from '../errors.js';
import { generateKey } from '../keys/generate-key.js';
import { memoryKeyStore } from '../keys/memory-key-store.js';
import type { Signer } from '../keys/signer.js';

const issuer = 'https://as.example.com';

async function verify(assertion: string, signer: Signer, currentDate?: Date) {
  return jwtVerify<JWTPayload>(assertion, await importJWK({ ...signer.publicJwk }, signer.alg), {
    issuer: 'payout-agent',
    subject: 'payout-agent',
    audience: issuer,
    typ: 'client-authentication+jwt',
    algorithms: [signer.alg],
    ...(currentDate ? { currentDate } : {}),
  });
}

describe('createClientAssertionSigner', () => {
  it('makes private_key_jwt assertions that jose verifies: iss = sub = client_id, aud = issuer, typ and kid', async () => {
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const signer = await generateKey({ alg });
      const assertion = await createClientAssertionSigner(signer, 'payout-agent').create({ audience: issuer });
      const { payload, protectedHeader } = await verify(assertion, signer);
      expect(protectedHeader).toEqual({ alg, typ: 'client-authentication+jwt', kid: signer.kid });
      expect(payload.aud).toBe(issuer); // a single string, not an array (rfc7523bis)
      expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'sub']);
      expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      expect(payload.exp! - payload.iat!).toBe(60);
    }
  });

  it('uses the token endpoint as audience when asked to', async () => {
    const signer = await generateKey();
    const assertion = await createClientAssertionSigner(signer, 'payout-agent').create({ audience: 'https://as.example.com/token' });
    const { payload } = await jwtVerify(assertion, await importJWK({ ...signer.publicJwk }, 'ES256'), {
      audience: 'https://as.example.com/token',
    });
    expect(payload.aud).toBe('https://as.example.com/token');
  });

  it('makes a new assertion, with a new jti, on every call', async () => {
    const assertions = createClientAssertionSigner(await generateKey(), 'payout-agent', { clock: () => 1_700_000_000 });
    const made = await Promise.all(Array.from({ length: 500 }, () => assertions.create({ audience: issuer })));
    expect(new Set(made).size).toBe(500);
    const jtis = made.map((assertion) => JSON.parse(Buffer.from(assertion.split('.')[1]!, 'base64url').toString()).jti);
    expect(new Set(jtis).size).toBe(500);
  });

  it('takes its time from the clock, an explicit now, and a clock offset', async () => {
    const signer = await generateKey();
    const assertions = createClientAssertionSigner(signer, 'payout-agent', { clock: () => 1_700_000_000.9, lifetimeSeconds: 30 });
    const claims = async (input: Parameters<typeof assertions.create>[0]) =>
      (await verify(await assertions.create(input), signer, new Date(1_700_000_010_000))).payload;
    expect(await claims({ audience: issuer })).toMatchObject({ iat: 1_700_000_000, exp: 1_700_000_030 });
    expect(await claims({ audience: issuer, now: 1_700_000_005 })).toMatchObject({ iat: 1_700_000_005 });
    expect(await claims({ audience: issuer, clockOffset: -7 })).toMatchObject({ iat: 1_699_999_993, exp: 1_700_000_023 });
  });

  it('switches to the new key on the next assertion after a rotation, without a restart', async () => {
    const store = memoryKeyStore();
    const assertions = createClientAssertionSigner(store, 'payout-agent');
    const old = await store.load();
    const before = await assertions.create({ audience: issuer });
    const next = await store.rotate({ activate: true });
    const after = await assertions.create({ audience: issuer });
    expect(decodeProtectedHeader(before).kid).toBe(old.kid);
    expect(decodeProtectedHeader(after).kid).toBe(next.kid);
    await expect(verify(after, next)).resolves.toBeDefined();
    await expect(verify(after, old)).rejects.toThrow();
  });

  it('refuses lifetimes over 60 seconds and empty inputs', async () => {
    const signer = await generateKey();
    expect(() => createClientAssertionSigner(signer, 'a', { lifetimeSeconds: 61 })).toThrow(ConfigurationError);
    expect(() => createClientAssertionSigner(signer, 'a', { lifetimeSeconds: 0 })).toThrow(ConfigurationError);
    expect(() => createClientAssertionSigner(signer, '')).toThrow(ConfigurationError);
    await expect(createClientAssertionSigner(signer, 'a').create({ audience: '' })).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('names the jwt-bearer assertion type', () => {
    expect(clientAssertionType).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  });
});
