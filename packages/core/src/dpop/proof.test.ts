import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { DpopProofError } from './dpop-proof-error.js';
import { readVector } from '../../../../test/vectors/read-vector.js';
import { generateKey } from '../keys/generate-key.js';
import { createNobleSigner } from '../keys/noble-signer.js';
import type { PublicJwk, Signer } from '../keys/signer.js';
import { accessTokenHash, createDpopProver, targetUri } from './proof.js';

const rfc9449 = readVector('rfc9449');

/** Verifies a proof as a resource server would: signature with the embedded key, typ and alg. */
async function verifyProof(proof: string, algorithms = ['ES256', 'EdDSA']) {
  return jwtVerify<JWTPayload & Record<string, unknown>>(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms });
}

const claimsOf = (proof: string) => JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('createDpopProver', { timeout: 20_000 }, () => {
  it('makes proofs that jose verifies with the embedded key, with every RFC 9449 claim', async () => {
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const signer = await generateKey({ alg });
      const prover = createDpopProver(signer, { clock: () => 1_700_000_000.7 });
      const proof = prover.proof({
        method: 'POST',
        url: 'https://api.example.com/v1/payouts?dry=1#frag',
        accessToken: 'token-value',
        nonce: 'server-nonce',
      }) as string;
      const { payload, protectedHeader } = await verifyProof(proof);
      expect(protectedHeader).toEqual({ alg, typ: 'dpop+jwt', jwk: { ...signer.publicJwk } });
      expect(payload).toEqual({
        jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        htm: 'POST',
        htu: 'https://api.example.com/v1/payouts',
        iat: 1_700_000_000,
        ath: createHash('sha256').update('token-value').digest('base64url'),
        nonce: 'server-nonce',
      });
      expect(prover.thumbprint).toBe(await calculateJwkThumbprint(protectedHeader.jwk!, 'sha256'));
      expect(prover.alg).toBe(alg);
    }
  });

  it('leaves out ath and nonce when there is no token and no nonce', async () => {
    const prover = createDpopProver(await generateKey());
    const { payload } = await verifyProof(prover.proof({ method: 'POST', url: 'https://as.example.com/token' }) as string);
    expect(Object.keys(payload).sort()).toEqual(['htm', 'htu', 'iat', 'jti']);
  });

  it('puts only the public members of the key in the header, even if a custom signer offers more', async () => {
    const real = await generateKey();
    const leaky: Signer = {
      alg: real.alg,
      kid: 'arn:aws:kms:key/1234',
      publicJwk: { ...real.publicJwk, d: 'PRIVATE', kid: 'x', use: 'sig' } as PublicJwk,
      sign: real.sign,
    };
    const prover = createDpopProver(leaky);
    const header = decodeProtectedHeader(prover.proof({ method: 'GET', url: 'https://api.example.com/' }) as string);
    expect(header.jwk).toEqual({ ...real.publicJwk });
    expect(prover.publicJwk).toEqual({ ...real.publicJwk });
    expect(prover.thumbprint).toBe(real.kid); // the RFC 7638 thumbprint, not the custom kid
  });

  it('gives every proof a new jti, across many proofs', async () => {
    const prover = createDpopProver(await generateKey({ alg: 'EdDSA' }));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 100 }), async (count) => {
        const proofs = Array.from({ length: count }, () => prover.proof({ method: 'GET', url: 'https://api.example.com/a' }) as string);
        expect(new Set(proofs.map((proof) => claimsOf(proof).jti)).size).toBe(count);
      }),
      { numRuns: 15 },
    );
    const node = createDpopProver(await generateKey());
    const jtis = new Set<unknown>();
    for (let index = 0; index < 3_000; index++) jtis.add(claimsOf(node.proof({ method: 'GET', url: 'https://api.example.com/a' }) as string).jti);
    expect(jtis.size).toBe(3_000);
    // The pure-JS signer gets the same fresh jti per proof.
    const noble = createDpopProver(createNobleSigner('EdDSA'));
    const nobleJtis = new Set(Array.from({ length: 50 }, () => claimsOf(noble.proof({ method: 'GET', url: 'https://api.example.com/a' }) as string).jti));
    expect(nobleJtis.size).toBe(50);
  });

  it('hashes each access token into its own ath, also when many tokens alternate', async () => {
    const prover = createDpopProver(await generateKey());
    const tokens = Array.from({ length: 20 }, (_, index) => `token-${index}-${'x'.repeat(index)}`);
    for (let round = 0; round < 3; round++) {
      for (const token of tokens) {
        const { ath } = claimsOf(prover.proof({ method: 'GET', url: 'https://api.example.com/', accessToken: token }) as string);
        expect(ath).toBe(createHash('sha256').update(token, 'ascii').digest('base64url'));
      }
    }
    expect(() => prover.proof({ method: 'GET', url: 'https://api.example.com/', accessToken: '' })).toThrow(DpopProofError);
  });

  it('writes htm as the method goes on the wire', async () => {
    const prover = createDpopProver(await generateKey());
    const htm = (method: string) => claimsOf(prover.proof({ method, url: 'https://api.example.com/' }) as string).htm;
    expect(htm('get')).toBe('GET'); // fetch upper-cases the six standard methods
    expect(htm('Post')).toBe('POST');
    expect(htm('PATCH')).toBe('PATCH');
    expect(htm('patch')).toBe('PATCH'); // sent upper-cased too: Node's HTTP parser refuses a lower-case patch
    expect(htm('propfind')).toBe('propfind'); // other methods as given: HTTP methods are case-sensitive
    expect(() => htm('GE T')).toThrow(DpopProofError);
    expect(() => htm('')).toThrow(DpopProofError);
    expect(() => htm(undefined as unknown as string)).toThrow(DpopProofError);
  });

  it('takes iat from the clock, an explicit now, and a clock offset', async () => {
    const prover = createDpopProver(await generateKey(), { clock: () => 1_000.999 });
    const iat = (input: { now?: number; clockOffset?: number }) =>
      claimsOf(prover.proof({ method: 'GET', url: 'https://api.example.com/', ...input }) as string).iat;
    expect(iat({})).toBe(1_000);
    expect(iat({ now: 2_000.5 })).toBe(2_000);
    expect(iat({ clockOffset: 30 })).toBe(1_030);
    expect(iat({ now: 2_000, clockOffset: -5.5 })).toBe(1_994);
    const wall = createDpopProver(await generateKey());
    const now = Math.floor(Date.now() / 1000);
    expect(Math.abs((claimsOf(wall.proof({ method: 'GET', url: 'https://a.example/' }) as string).iat as number) - now)).toBeLessThanOrEqual(1);
  });

  it('carries any nonce string exactly, escaping it when it is outside the RFC 9449 nonce syntax', async () => {
    const prover = createDpopProver(await generateKey());
    const nonceOf = (nonce: string) => claimsOf(prover.proof({ method: 'GET', url: 'https://api.example.com/', nonce }) as string).nonce;
    expect(nonceOf('plain-nonce_123')).toBe('plain-nonce_123');
    expect(nonceOf('with "quotes" and \\ backslash')).toBe('with "quotes" and \\ backslash');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), (nonce) => {
        expect(nonceOf(nonce)).toBe(nonce);
      }),
      { numRuns: 300 },
    );
    await expect(verifyProof(prover.proof({ method: 'GET', url: 'https://api.example.com/', nonce: '"}{' }) as string)).resolves.toBeDefined();
  });

  it('refuses a time that is not a finite number', async () => {
    const prover = createDpopProver(await generateKey(), { clock: () => Number.NaN });
    expect(() => prover.proof({ method: 'GET', url: 'https://api.example.com/' })).toThrow(DpopProofError);
  });

  it('returns a promise for an asynchronous signer, and the proof still verifies', async () => {
    const local = await generateKey();
    const prover = createDpopProver({ ...local, sign: async (data) => local.sign(data) });
    const proof = prover.proof({ method: 'GET', url: 'https://api.example.com/' });
    expect(proof).toBeInstanceOf(Promise);
    await expect(verifyProof(await proof)).resolves.toBeDefined();
  });

  it('checks out against the RFC 9449 example proof: same header shape, verifiable the same way', async () => {
    const { protectedHeader, payload } = await jwtVerify(rfc9449.proof.jws, EmbeddedJWK, {
      typ: 'dpop+jwt',
      currentDate: new Date(rfc9449.proof.claims.iat * 1000),
    });
    expect(payload).toEqual(rfc9449.proof.claims);
    const ours = decodeProtectedHeader(createDpopProver(await generateKey()).proof({ method: 'POST', url: 'https://server.example.com/token' }) as string);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(protectedHeader).sort());
  });
});

describe('targetUri (htu)', { timeout: 20_000 }, () => {
  it('drops query and fragment and normalizes as URL parsing does', () => {
    expect(targetUri('https://API.Example.com:443/v1/accounts?page=2#top')).toBe('https://api.example.com/v1/accounts');
    expect(targetUri('http://127.0.0.1:4001/payouts?x')).toBe('http://127.0.0.1:4001/payouts');
    expect(targetUri('https://user:pass@api.example.com/a')).toBe('https://api.example.com/a');
    expect(targetUri(new URL('https://api.example.com'))).toBe('https://api.example.com/');
    expect(() => targetUri('file:///etc/passwd')).toThrow(DpopProofError);
    expect(() => targetUri('not a url')).toThrow(DpopProofError);
  });

  it('holds for any web URL: a prefix of the URL, no query or fragment, stable under both', () => {
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: true, withFragments: true }),
        fc.webQueryParameters(),
        fc.webFragments(),
        (url, query, fragment) => {
          const htu = targetUri(url);
          expect(htu).not.toMatch(/[?#]/);
          expect(new URL(url).href.startsWith(htu)).toBe(true);
          expect(targetUri(htu)).toBe(htu);
          const base = url.split('#')[0]!.split('?')[0]!;
          expect(targetUri(`${base}?${query}#${fragment}`)).toBe(htu);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is what the prover puts in htu, cached or not', async () => {
    const prover = createDpopProver(await generateKey());
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        for (let repeat = 0; repeat < 2; repeat++) {
          expect(claimsOf(prover.proof({ method: 'GET', url }) as string).htu).toBe(targetUri(url));
        }
        expect(claimsOf(prover.proof({ method: 'GET', url: new URL(url) }) as string).htu).toBe(targetUri(url));
      }),
      { numRuns: 300 },
    );
  });
});

describe('accessTokenHash (ath)', () => {
  it('is base64url(SHA-256(ASCII token))', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\x21-\x7e]{1,200}$/), (token) => {
        expect(accessTokenHash(token)).toBe(createHash('sha256').update(token, 'ascii').digest('base64url'));
      }),
    );
  });
});
