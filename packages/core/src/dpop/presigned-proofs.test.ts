import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DpopProofError } from './dpop-proof-error.js';
import { ConfigurationError } from '../errors.js';
import { createNodeSigner } from '../keys/node-signer.js';
import type { Signer } from '../keys/signer.js';
import { createPresignedProofs } from './presigned-proofs.js';
import { createDpopProver, type DpopProofInput } from './proof.js';

/** A prover around a signer that counts its signatures; the clock is set by the test (seconds). */
function setup(options: { async?: boolean; maxAgeMs?: number; failing?: () => boolean } = {}) {
  const inner = createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  let signatures = 0;
  const signer: Signer = {
    alg: inner.alg,
    kid: inner.kid,
    publicJwk: inner.publicJwk,
    sign(data) {
      if (options.failing?.()) throw new Error('signer unavailable');
      signatures++;
      const signature = inner.sign(data);
      return options.async ? Promise.resolve(signature) : signature;
    },
  };
  const time = { now: 1_700_000_000.25 };
  const clock = () => time.now;
  const prover = createDpopProver(signer, { clock });
  const proofs = createPresignedProofs(prover, { clock, maxAgeMs: options.maxAgeMs });
  return {
    proofs,
    time,
    get signatures() {
      return signatures;
    },
  };
}

const input: DpopProofInput = { method: 'GET', url: 'https://api.example/accounts', accessToken: 'token-1', nonce: 'nonce-1' };
const claimsOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

/**
 * Two requests' proofs made on demand (which shows the signer is synchronous and the URL busy),
 * then one signed ahead: 3 signatures.
 */
function primed(options: Parameters<typeof setup>[0] = {}, request: DpopProofInput = input) {
  const test = setup(options);
  test.proofs.proof(request);
  test.time.now += 0.1;
  test.proofs.proof(request);
  expect(test.proofs.presign(request)).toBe(true);
  expect(test.signatures).toBe(3);
  return test;
}

describe('createPresignedProofs', () => {
  it('hands out the proof signed ahead when method, URL, token and nonce match, once', () => {
    const test = primed();
    test.time.now += 0.4;
    const kept = test.proofs.proof(input) as string;
    expect(test.signatures).toBe(3);
    expect(test.proofs.size).toBe(0);
    // Its iat is the time it was signed, not the time it is used.
    expect(claimsOf(kept)).toMatchObject({ htm: 'GET', htu: 'https://api.example/accounts', nonce: 'nonce-1', iat: 1_700_000_000 });
    // Sent at most once: the next proof is a new one.
    const next = test.proofs.proof(input) as string;
    expect(test.signatures).toBe(4);
    expect(claimsOf(next).jti).not.toBe(claimsOf(kept).jti);
  });

  it('keeps an honest iat: a proof signed ahead carries the time it was signed', () => {
    const test = setup();
    test.time.now = 1_000.8;
    test.proofs.proof(input);
    test.time.now = 1_000.9;
    test.proofs.proof(input);
    test.time.now = 1_001.2;
    test.proofs.presign(input);
    test.time.now = 1_001.9;
    expect(claimsOf(test.proofs.proof(input) as string).iat).toBe(1_001);
  });

  it.each([
    ['another nonce', { nonce: 'nonce-2' }],
    ['no nonce', { nonce: undefined }],
    ['another access token', { accessToken: 'token-2' }],
    ['another clock offset', { clockOffset: 30 }],
  ])('signs anew for %s, and the kept proof is gone', (_, change) => {
    const test = primed();
    const proof = test.proofs.proof({ ...input, ...change }) as string;
    expect(test.signatures).toBe(4);
    expect(test.proofs.size).toBe(0);
    if ('nonce' in change) expect(claimsOf(proof).nonce).toBe(change.nonce);
  });

  it.each([
    ['another method', { method: 'POST' }, { htm: 'POST', htu: 'https://api.example/accounts' }],
    ['another URL', { url: 'https://api.example/payouts' }, { htm: 'GET', htu: 'https://api.example/payouts' }],
    ['another origin', { url: 'https://other.example/accounts' }, { htm: 'GET', htu: 'https://other.example/accounts' }],
  ])('does not hand out a proof kept for %s', (_, change: Partial<DpopProofInput>, claims) => {
    const test = primed();
    const proof = test.proofs.proof({ ...input, ...change }) as string;
    expect(test.signatures).toBe(4);
    expect(claimsOf(proof)).toMatchObject(claims);
    // The kept proof still waits for its own method and URL.
    expect(test.proofs.size).toBe(1);
  });

  it('throws away a proof older than maxAgeMs (default 1 s), or from a clock that went back', () => {
    const test = primed();
    test.time.now += 1.001;
    test.proofs.proof(input);
    expect(test.signatures).toBe(4);
    expect(test.proofs.size).toBe(0);

    test.time.now += 0.1;
    test.proofs.proof(input);
    expect(test.proofs.presign(input)).toBe(true);
    test.time.now -= 0.01;
    test.proofs.proof(input);
    expect(test.signatures).toBe(7);

    const lenient = primed({ maxAgeMs: 3_000 });
    lenient.time.now += 2.5;
    lenient.proofs.proof(input);
    expect(lenient.signatures).toBe(3);
  });

  it('reads the time of a request from its input when given', () => {
    const test = primed();
    test.proofs.proof({ ...input, now: test.time.now + 5 });
    expect(test.signatures).toBe(4);
  });

  it('signs ahead only after an on-demand proof showed the signer to be synchronous', () => {
    const test = setup();
    expect(test.proofs.presign(input)).toBe(false);
    expect(test.signatures).toBe(0);
  });

  it('signs ahead only for a method and URL whose last two requests came at most maxAgeMs apart', () => {
    const test = setup();
    test.proofs.proof(input);
    expect(test.proofs.presign(input)).toBe(false);
    test.time.now += 2;
    test.proofs.proof(input);
    expect(test.proofs.presign(input)).toBe(false);
    test.time.now += 0.9;
    test.proofs.proof(input);
    expect(test.proofs.presign(input)).toBe(true);
    expect(test.signatures).toBe(4);
  });

  it('never signs ahead with an asynchronous signer (a KMS, an HSM)', async () => {
    const test = setup({ async: true });
    await test.proofs.proof(input);
    expect(test.proofs.presign(input)).toBe(false);
    await test.proofs.proof(input);
    expect(test.proofs.presign(input)).toBe(false);
    expect(test.signatures).toBe(2);
  });

  it('keeps at most one proof per method and URL, for at most 8 of them', () => {
    const test = primed();
    expect(test.proofs.presign(input)).toBe(false);
    expect(test.signatures).toBe(3);
    // A kept proof that would no longer serve is replaced.
    expect(test.proofs.presign({ ...input, nonce: 'nonce-2' })).toBe(true);
    expect(test.proofs.size).toBe(1);
    const item = (index: number) => ({ ...input, url: `https://api.example/items/${index}` });
    for (let index = 0; index < 20; index++) {
      test.proofs.proof(item(index));
      test.proofs.proof(item(index));
      test.proofs.presign(item(index));
    }
    expect(test.signatures).toBe(4 + 20 * 3);
    expect(test.proofs.size).toBe(8);
    // The least recently requested went first.
    test.proofs.proof(item(19));
    expect(test.signatures).toBe(64);
    test.proofs.proof(item(11));
    expect(test.signatures).toBe(65);
    test.proofs.proof(input);
    expect(test.signatures).toBe(66);
  });

  it('swallows errors while signing ahead: the next proof is signed on demand', () => {
    let failing = false;
    const test = setup({ failing: () => failing });
    const unusual = { ...input, method: 'not a method' };
    test.proofs.proof(input);
    test.proofs.proof(input);
    expect(() => test.proofs.proof(unusual)).toThrow(DpopProofError);
    expect(() => test.proofs.proof(unusual)).toThrow(DpopProofError);
    failing = true;
    expect(test.proofs.presign(input)).toBe(false);
    failing = false;
    expect(test.proofs.presign(unusual)).toBe(false);
    expect(test.proofs.size).toBe(0);
    test.proofs.proof(input);
    expect(test.signatures).toBe(3);
  });

  it('drops the proofs of one origin, all of them, and signs no more ahead once closed', () => {
    const test = primed();
    for (const url of ['https://other.example/accounts', 'https://api.example.evil/accounts']) {
      test.proofs.proof({ ...input, url });
      test.proofs.proof({ ...input, url });
      expect(test.proofs.presign({ ...input, url })).toBe(true);
    }
    test.proofs.discardOrigin('https://api.example');
    expect(test.proofs.size).toBe(2);
    test.proofs.clear();
    expect(test.proofs.size).toBe(0);
    expect(test.proofs.presign(input)).toBe(true);
    test.proofs.close();
    expect(test.proofs.size).toBe(0);
    expect(test.proofs.presign(input)).toBe(false);
  });

  it.each([0, -1, 10_001, Number.NaN, '1000'])('refuses maxAgeMs %s', (maxAgeMs) => {
    const prover = createDpopProver(createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey));
    expect(() => createPresignedProofs(prover, { maxAgeMs: maxAgeMs as number })).toThrow(ConfigurationError);
  });
});
