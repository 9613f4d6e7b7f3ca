import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevkitError } from '../errors.js';
import { startToolApi } from './start-tool-api.js';
import {
  buildProof,
  createDpopTestKey,
  createTestIssuer,
  samplePayout,
  send,
  signAccessToken,
  startScenario,
  type Answer,
  type Scenario,
} from './testing/test-kit.js';

const revoked = new Set<string>();
let scenario: Scenario;
beforeAll(async () => {
  scenario = await startScenario({ isRevoked: (jti) => revoked.has(jti) });
});
afterAll(() => scenario.api.close());

function expectChallenge(answer: Answer, status: number, error: string, description?: RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.scheme).toBe('DPoP');
  expect(answer.challenge?.error).toBe(error);
  expect(answer.challenge?.algs).toBe('ES256 EdDSA');
  expect(answer.body.error).toBe(error);
  if (description) expect(answer.challenge?.error_description).toMatch(description);
}

/** Posts a payout with `token` and a valid proof for it; expects a refusal that changed nothing. */
async function expectTokenRefused(token: string, status: number, error: string, description: RegExp): Promise<Answer> {
  const before = scenario.snapshot();
  const answer = await scenario.postPayout(token);
  expectChallenge(answer, status, error, description);
  expect(scenario.snapshot()).toBe(before);
  return answer;
}

describe('tool API: access tokens (RFC 9068, RFC 9449 §7)', { timeout: 30_000 }, () => {
  it('answers a request without credentials with a bare DPoP challenge', async () => {
    const answer = await send(`${scenario.api.url}/accounts`);
    expect(answer.status).toBe(401);
    expect(answer.scheme).toBe('DPoP');
    // RFC 6750 §3.1: no error code without credentials; the scope needed and where the RFC 9728 metadata is.
    expect(answer.challenge).toEqual({ scope: 'accounts:read', algs: 'ES256 EdDSA', resource_metadata: `${scenario.api.url}/.well-known/oauth-protected-resource` });
    expect(answer.nonce).toBeTruthy();
  });

  it('refuses the Bearer scheme with a DPoP challenge', async () => {
    const token = await scenario.actionToken();
    const before = scenario.snapshot();
    const answer = await send(`${scenario.api.url}/payouts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, dpop: await scenario.proof(token, 'POST', '/payouts') },
      body: samplePayout,
    });
    expectChallenge(answer, 401, 'invalid_token', /DPoP authorization scheme/);
    expect(scenario.snapshot()).toBe(before);
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectTokenRefused(await scenario.actionToken(samplePayout, { iat: now - 300, exp: now - 60 }), 401, 'invalid_token', /expired/);
  });

  it('refuses a token for another audience or from another issuer', async () => {
    await expectTokenRefused(await scenario.actionToken(samplePayout, { aud: 'http://127.0.0.1:1/' }), 401, 'invalid_token', /aud/);
    await expectTokenRefused(await scenario.actionToken(samplePayout, { aud: `${scenario.api.url}/` }), 401, 'invalid_token', /aud/);
    await expectTokenRefused(await scenario.actionToken(samplePayout, { iss: 'https://evil.example' }), 401, 'invalid_token', /iss/);
  });

  it('refuses a token that is not typed at+jwt, or signed by a key the issuer does not publish', async () => {
    const now = Math.floor(Date.now() / 1000);
    const untyped = await scenario.issuer.token({ aud: scenario.api.url, scope: 'payouts:write', cnf: { jkt: scenario.key.jkt }, exp: now + 60 }, { typ: 'JWT' });
    await expectTokenRefused(untyped, 401, 'invalid_token', /typ/);
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await signAccessToken(privateKey, { iss: scenario.issuer.issuer, aud: scenario.api.url, cnf: { jkt: scenario.key.jkt } }, { kid: 'test-issuer-key' });
    await expectTokenRefused(forged, 401, 'invalid_token', /signature/);
  });

  it('does not spend a proof jti on a request whose token is refused, so forged requests cannot fill the replay cache', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await signAccessToken(privateKey, { iss: scenario.issuer.issuer, aud: scenario.api.url, cnf: { jkt: scenario.key.jkt } }, { kid: 'test-issuer-key' });
    const proof = await scenario.proof(forged, 'POST', '/payouts');
    // The same request twice: refused for its token both times, never as a replay (nothing was recorded).
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expectChallenge(await scenario.postPayout(forged, { proof }), 401, 'invalid_token', /signature/);
    }
  });

  it('refuses a token that is not DPoP-bound', async () => {
    await expectTokenRefused(await scenario.actionToken(samplePayout, { cnf: undefined }), 401, 'invalid_token', /cnf\.jkt/);
  });

  it('refuses a revoked token', async () => {
    const token = await scenario.actionToken(samplePayout, { jti: 'revoked-action-token' });
    revoked.add('revoked-action-token');
    await expectTokenRefused(token, 401, 'invalid_token', /revoked/);
  });

  it('answers a token without the needed scope with insufficient_scope and the scope', async () => {
    const token = await scenario.routineToken({ scope: 'payouts:write' });
    const answer = await send(`${scenario.api.url}/accounts`, {
      headers: { authorization: `DPoP ${token}`, dpop: await scenario.proof(token, 'GET', '/accounts') },
    });
    expectChallenge(answer, 403, 'insufficient_scope');
    expect(answer.challenge?.scope).toBe('accounts:read');

    const routine = await scenario.routineToken();
    const refused = await expectTokenRefused(routine, 403, 'insufficient_scope', /payouts:write/);
    expect(refused.challenge?.scope).toBe('payouts:write');
  });

  it('refuses two Authorization headers and a malformed one', async () => {
    const token = await scenario.routineToken();
    const url = `${scenario.api.url}/accounts`;
    const twice = await send(url, { headers: { authorization: [`DPoP ${token}`, `DPoP ${token}`], dpop: await scenario.proof(token, 'GET', '/accounts') } });
    expect(twice.status).toBe(400);
    expect(twice.challenge?.error).toBe('invalid_request');
    const malformed = await send(url, { headers: { authorization: `DPoP ${token} extra`, dpop: await scenario.proof(token, 'GET', '/accounts') } });
    expectChallenge(malformed, 401, 'invalid_token', /malformed/);
  });

  it('answers unknown paths 404 and wrong methods 405 with Allow', async () => {
    expect((await send(`${scenario.api.url}/nope`)).status).toBe(404);
    const wrongMethod = await send(`${scenario.api.url}/payouts`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.error).toBe('method_not_allowed');
  });
});

describe('tool API: nonce rotation', { timeout: 30_000 }, () => {
  it('accepts the current and the previous nonce, and no older one', async () => {
    // Nonces belong to fixed windows of the lifetime (stateless, shared by instances): start at a window's start.
    let now = Math.floor(Date.now() / 1000 / 300) * 300 + 1;
    const rotating = await startScenario({ clock: () => now, nonceLifetime: 300 });
    try {
      const token = await rotating.routineToken({ exp: now + 3600 });
      const call = async (nonce: string) =>
        send(`${rotating.api.url}/accounts`, {
          headers: {
            authorization: `DPoP ${token}`,
            dpop: await buildProof(rotating.key, { htm: 'GET', htu: `${rotating.api.url}/accounts`, accessToken: token, nonce, iat: now }),
          },
        });
      const first = await rotating.nonce();
      expect((await call(first)).status).toBe(200);
      now += 301;
      const second = await rotating.nonce();
      expect(second).not.toBe(first);
      expect((await call(first)).status).toBe(200);
      now += 301;
      expect((await call(second)).status).toBe(200);
      const stale = await call(first);
      expect(stale.status).toBe(401);
      expect(stale.challenge?.error).toBe('use_dpop_nonce');
      expect(stale.nonce).not.toBe(first);
    } finally {
      await rotating.api.close();
    }
  });
});

describe('tool API: remote issuer keys', { timeout: 30_000 }, () => {
  let jwksServer: Server;
  let available = true;
  afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

  it('fetches the JWKS from a loopback jwks_uri, and fails closed with 503 when it is down', async () => {
    const issuer = await createTestIssuer();
    jwksServer = createServer((_request, response) => {
      if (!available) return response.writeHead(500).end();
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUri = new URL(`http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`);
    const api = await startToolApi({ port: 0, issuer: issuer.issuer, jwks: jwksUri });
    try {
      const key = await createDpopTestKey();
      const call = async () => {
        const token = await issuer.token({ aud: api.url, scope: 'accounts:read', cnf: { jkt: key.jkt } }, { kid: 'rotated-away' });
        const nonce = (await send(`${api.url}/accounts`)).nonce!;
        const proof = await buildProof(key, { htm: 'GET', htu: `${api.url}/accounts`, accessToken: token, nonce });
        return send(`${api.url}/accounts`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
      };
      // The kid is unknown: the keys were just fetched, so no refetch inside the cooldown, and the token is refused.
      const unknownKid = await call();
      expect(unknownKid.status).toBe(401);
      const token = await issuer.token({ aud: api.url, scope: 'accounts:read', cnf: { jkt: key.jkt } });
      const nonce = (await send(`${api.url}/accounts`)).nonce!;
      const ok = await send(`${api.url}/accounts`, {
        headers: { authorization: `DPoP ${token}`, dpop: await buildProof(key, { htm: 'GET', htu: `${api.url}/accounts`, accessToken: token, nonce }) },
      });
      expect(ok.status).toBe(200);
    } finally {
      await api.close();
    }

    available = false;
    const down = await startToolApi({ port: 0, issuer: issuer.issuer, jwks: jwksUri });
    try {
      const key = await createDpopTestKey();
      const token = await issuer.token({ aud: down.url, scope: 'accounts:read', cnf: { jkt: key.jkt } });
      const nonce = (await send(`${down.url}/accounts`)).nonce!;
      const answer = await send(`${down.url}/accounts`, {
        headers: { authorization: `DPoP ${token}`, dpop: await buildProof(key, { htm: 'GET', htu: `${down.url}/accounts`, accessToken: token, nonce }) },
      });
      expect(answer.status).toBe(503);
      expect(answer.body.error).toBe('temporarily_unavailable');
    } finally {
      await down.close();
    }
  });

  it('refuses a plain-http jwks_uri that is not loopback', async () => {
    await expect(startToolApi({ port: 0, issuer: 'https://as.example', jwks: new URL('http://as.example/jwks') })).rejects.toThrow(/https/);
  });

  it('refuses a missing issuer with a DevkitError (invalid_request), not a TypeError', async () => {
    await expect(startToolApi({ port: 0, issuer: '', jwks: new URL('http://127.0.0.1:1/jwks') })).rejects.toSatisfy(
      (error) => DevkitError.is(error) && error.code === 'invalid_request' && error.message === 'startToolApi: issuer is required',
    );
  });
});
