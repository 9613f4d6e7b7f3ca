import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDpopProver } from '../../../core/src/dpop/proof.js';
import { createNodeSigner } from '../../../core/src/keys/node-signer.js';
import { buildProof, createDpopTestKey, samplePayout, send, startScenario, type Answer, type Scenario } from './testing/test-kit.js';

let scenario: Scenario;
beforeAll(async () => {
  scenario = await startScenario();
});
afterAll(() => scenario.api.close());

function expectChallenge(answer: Answer, status: number, error: string): void {
  expect(answer.status).toBe(status);
  expect(answer.scheme).toBe('DPoP');
  expect(answer.challenge?.error).toBe(error);
  expect(answer.challenge?.algs).toBe('ES256 EdDSA');
  expect(answer.body.error).toBe(error);
  expect(typeof answer.body.error_description).toBe('string');
}

/** Sends a payout with a broken proof: refused, nothing paid, and the same token then works with a good proof. */
async function expectProofRefused(proofFor: (token: string) => Promise<string>, error = 'invalid_dpop_proof', description?: RegExp): Promise<void> {
  const token = await scenario.actionToken();
  const before = scenario.snapshot();
  const answer = await scenario.postPayout(token, { proof: await proofFor(token) });
  expectChallenge(answer, 401, error);
  if (description) expect(answer.challenge?.error_description).toMatch(description);
  expect(scenario.snapshot()).toBe(before);
  const accepted = await scenario.postPayout(token);
  expect(accepted.status).toBe(201);
}

describe('tool API: DPoP proofs (RFC 9449 §4.3)', { timeout: 30_000 }, () => {
  it('answers a proof without a nonce with use_dpop_nonce and a nonce, then accepts the SDK prover with it', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const prover = createDpopProver(createNodeSigner(privateKey));
    const token = await scenario.issuer.token({ aud: scenario.api.url, scope: 'accounts:read', cnf: { jkt: prover.thumbprint } });
    const url = `${scenario.api.url}/accounts`;
    const headers = async (nonce?: string) => ({
      authorization: `DPoP ${token}`,
      dpop: await prover.proof({ method: 'GET', url, accessToken: token, nonce }),
    });

    const challenged = await send(url, { headers: await headers() });
    expectChallenge(challenged, 401, 'use_dpop_nonce');
    expect(challenged.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const accepted = await send(url, { headers: await headers(challenged.nonce!) });
    expect(accepted.status).toBe(200);
    expect(accepted.nonce).toBe(challenged.nonce);
    expect(accepted.body.accounts).toEqual(scenario.api.ledger.accounts());
  });

  it('accepts EdDSA proofs from the SDK prover', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const prover = createDpopProver(createNodeSigner(privateKey));
    const token = await scenario.issuer.token({ aud: scenario.api.url, scope: 'accounts:read', cnf: { jkt: prover.thumbprint } });
    const url = `${scenario.api.url}/accounts`;
    const proof = await prover.proof({ method: 'GET', url, accessToken: token, nonce: await scenario.nonce() });
    expect((await send(url, { headers: { authorization: `DPoP ${token}`, dpop: proof } })).status).toBe(200);
  });

  it('refuses a stale nonce with use_dpop_nonce', async () => {
    await expectProofRefused((token) => scenario.proof(token, 'POST', '/payouts', { nonce: 'not-a-nonce-this-server-issued' }), 'use_dpop_nonce');
  });

  it('refuses a replayed proof', async () => {
    const token = await scenario.actionToken();
    const proof = await scenario.proof(token, 'GET', '/accounts');
    const headers = { authorization: `DPoP ${token}`, dpop: proof };
    // The action token has no accounts:read scope: the first use passes the proof checks and is refused on scope.
    expect((await send(`${scenario.api.url}/accounts`, { headers })).status).toBe(403);
    const replayed = await send(`${scenario.api.url}/accounts`, { headers });
    expectChallenge(replayed, 401, 'invalid_dpop_proof');
    expect(replayed.challenge?.error_description).toMatch(/jti/);

    const before = scenario.snapshot();
    const payoutProof = await scenario.proof(token, 'POST', '/payouts');
    expect((await scenario.postPayout(token, { proof: payoutProof })).status).toBe(201);
    const again = await scenario.postPayout(await scenario.actionToken(), { proof: payoutProof });
    expectChallenge(again, 401, 'invalid_dpop_proof');
    expect(scenario.api.ledger.payouts().length).toBe(JSON.parse(before).payouts.length + 1);
  });

  it('refuses a proof made for another method', async () => {
    await expectProofRefused((token) => scenario.proof(token, 'GET', '/payouts'), 'invalid_dpop_proof', /htm/);
  });

  it('refuses a proof made for another path, port, host or scheme', async () => {
    const url = new URL(scenario.api.url);
    await expectProofRefused((token) => scenario.proof(token, 'POST', '/admin/keys/rotate'), 'invalid_dpop_proof', /htu/);
    await expectProofRefused((token) => scenario.proof(token, 'POST', '', { htu: `http://127.0.0.1:${Number(url.port) + 1}/payouts` }), 'invalid_dpop_proof', /htu/);
    await expectProofRefused((token) => scenario.proof(token, 'POST', '', { htu: `http://localhost:${url.port}/payouts` }), 'invalid_dpop_proof', /htu/);
    await expectProofRefused((token) => scenario.proof(token, 'POST', '', { htu: `https://${url.host}/payouts` }), 'invalid_dpop_proof', /htu/);
  });

  it('refuses an htu with a query or fragment, and accepts a normalized equivalent', async () => {
    await expectProofRefused((token) => scenario.proof(token, 'POST', '/payouts?amount=1'), 'invalid_dpop_proof', /htu/);
    await expectProofRefused((token) => scenario.proof(token, 'POST', '/payouts#x'), 'invalid_dpop_proof', /htu/);
    const token = await scenario.actionToken();
    const proof = await scenario.proof(token, 'POST', '', { htu: `HTTP://127.0.0.1:${new URL(scenario.api.url).port}/payouts` });
    expect((await scenario.postPayout(token, { proof })).status).toBe(201);
  });

  it('refuses a wrong or missing ath', async () => {
    await expectProofRefused((token) => scenario.proof(token, 'POST', '/payouts', { accessToken: `${token}x` }), 'invalid_dpop_proof', /ath/);
    await expectProofRefused(async (token) => {
      const nonce = await scenario.nonce();
      return buildProof(scenario.key, { htm: 'POST', htu: `${scenario.api.url}/payouts`, nonce });
    }, 'invalid_dpop_proof', /ath/);
  });

  it('refuses a bad or absent typ', async () => {
    const { key } = scenario;
    await expectProofRefused((token) => scenario.proof(token, 'POST', '/payouts', { header: { typ: 'JWT', jwk: key.publicJwk } }), 'invalid_dpop_proof', /typ/);
    await expectProofRefused((token) => scenario.proof(token, 'POST', '/payouts', { header: { jwk: key.publicJwk } }), 'invalid_dpop_proof', /typ/);
  });

  it('refuses alg none and HMAC proofs', async () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    await expectProofRefused(async (token) => {
      const good = await scenario.proof(token, 'POST', '/payouts');
      const payload = good.split('.')[1];
      return `${encode({ alg: 'none', typ: 'dpop+jwt', jwk: scenario.key.publicJwk })}.${payload}.AAAA`;
    }, 'invalid_dpop_proof', /alg/);
    await expectProofRefused(async (token) => {
      const nonce = await scenario.nonce();
      return new SignJWT({ jti: 'hmac-1', htm: 'POST', htu: `${scenario.api.url}/payouts`, iat: Math.floor(Date.now() / 1000), nonce })
        .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: scenario.key.publicJwk })
        .sign(new TextEncoder().encode('a shared secret the attacker knows'));
    }, 'invalid_dpop_proof', /alg/);
  });

  it('refuses a jwk that carries private key material', async () => {
    const leaky = await createDpopTestKey();
    const privateJwk = await exportJWK(leaky.privateKey);
    expect(privateJwk.d).toBeTypeOf('string');
    await expectProofRefused(async (token) => {
      const boundToken = await scenario.actionToken(samplePayout, { cnf: { jkt: leaky.jkt } });
      void token;
      return scenario.proof(boundToken, 'POST', '/payouts', { header: { typ: 'dpop+jwt', jwk: privateJwk } }, leaky);
    }, 'invalid_dpop_proof', /private/);
  });

  it('refuses a jwk of a curve the alg does not name, and a bad signature', async () => {
    const other = await createDpopTestKey('EdDSA');
    await expectProofRefused((token) => scenario.proof(token, 'POST', '/payouts', { header: { typ: 'dpop+jwt', jwk: other.publicJwk } }), 'invalid_dpop_proof', /P-256/);
    const impostor = await createDpopTestKey();
    await expectProofRefused(
      (token) => scenario.proof(token, 'POST', '/payouts', { header: { typ: 'dpop+jwt', jwk: scenario.key.publicJwk } }, impostor),
      'invalid_dpop_proof',
      /signature/,
    );
  });

  it('refuses a proof whose iat is too old or in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectProofRefused((token) => scenario.proof(token, 'POST', '/payouts', { iat: now - 120 }), 'invalid_dpop_proof', /iat/);
    await expectProofRefused((token) => scenario.proof(token, 'POST', '/payouts', { iat: now + 60 }), 'invalid_dpop_proof', /iat/);
  });

  it('refuses a missing proof, two proof headers, and a proof that is not a JWS', async () => {
    const token = await scenario.actionToken();
    const before = scenario.snapshot();
    const auth = { authorization: `DPoP ${token}` };
    const missing = await send(`${scenario.api.url}/payouts`, { method: 'POST', headers: auth, body: samplePayout });
    expectChallenge(missing, 401, 'invalid_dpop_proof');
    const proofs = [await scenario.proof(token, 'POST', '/payouts'), await scenario.proof(token, 'POST', '/payouts')];
    const twice = await send(`${scenario.api.url}/payouts`, { method: 'POST', headers: { ...auth, dpop: proofs }, body: samplePayout });
    expectChallenge(twice, 401, 'invalid_dpop_proof');
    expect(twice.challenge?.error_description).toMatch(/exactly one/);
    const garbage = await scenario.postPayout(token, { proof: 'not.a-jws' });
    expectChallenge(garbage, 401, 'invalid_dpop_proof');
    expect(scenario.snapshot()).toBe(before);
  });

  it('refuses a stolen token presented with a proof from another key (cnf.jkt mismatch)', async () => {
    const thief = await createDpopTestKey();
    await expectProofRefused((token) => scenario.proof(token, 'POST', '/payouts', {}, thief), 'invalid_token', /cnf\.jkt/);
  });
});
