import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack } from '../stack.js';
import type { DevStack } from '../types.js';
import { createTestAgent, decodePayload, type TestAgent } from './testing/test-agent.js';

let stack: DevStack;
let counter = 0;

beforeAll(async () => {
  stack = await startDevStack({ port: 0, toolApiPort: 0 });
});
afterAll(async () => {
  await stack?.close();
});

async function registeredAgent(options: { alg?: 'ES256' | 'EdDSA'; scopes?: string[] } = {}): Promise<TestAgent> {
  const agent = await createTestAgent(`cc-agent-${++counter}`, { issuer: stack.issuer, alg: options.alg });
  stack.registerAgent({ clientId: agent.clientId, jwks: agent.jwks, scopes: options.scopes ?? ['accounts:read'] });
  return agent;
}

const tokenUrl = () => `${stack.issuer}/token`;
const routine = () => ({ grant_type: 'client_credentials', scope: 'accounts:read', resource: stack.toolApiUrl });

describe('client_credentials with private_key_jwt and DPoP', () => {
  it('first answers use_dpop_nonce with a DPoP-Nonce, then issues a DPoP-bound JWT access token', async () => {
    const agent = await registeredAgent();
    const challenge = await agent.post(tokenUrl(), routine(), { followNonce: false });
    expect(challenge.status).toBe(400);
    expect(challenge.body.error).toBe('use_dpop_nonce');
    expect(challenge.headers.get('dpop-nonce')).toMatch(/^[\w-]+$/);

    const response = await agent.post(tokenUrl(), routine());
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'DPoP', scope: 'accounts:read', expires_in: 300 });
    expect(response.headers.get('cache-control')).toBe('no-store');

    const jwks = await (await fetch(`${stack.issuer}/jwks`)).json();
    const { payload, protectedHeader } = await jwtVerify(response.body.access_token, createLocalJWKSet(jwks), {
      issuer: stack.issuer,
      audience: stack.toolApiUrl,
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({ client_id: agent.clientId, scope: 'accounts:read', cnf: { jkt: agent.dpopThumbprint } });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(300);
    expect(typeof payload.jti).toBe('string');
  });

  it('issues a token the demo tool API accepts with a proof from the same key', async () => {
    const agent = await registeredAgent();
    const { body } = await agent.post(tokenUrl(), routine());
    const accounts = await agent.call('GET', `${stack.toolApiUrl}/accounts`, body.access_token);
    expect(accounts.status).toBe(200);
    expect(Array.isArray(accounts.body.accounts)).toBe(true);
  });

  it('works for an EdDSA identity key', async () => {
    const agent = await registeredAgent({ alg: 'EdDSA' });
    const response = await agent.post(tokenUrl(), routine());
    expect(response.status).toBe(200);
    expect(decodeProtectedHeader(await agent.assertion(stack.issuer)).alg).toBe('EdDSA');
  });

  it('refuses a request without a DPoP proof: no Bearer tokens', async () => {
    const agent = await registeredAgent();
    const response = await agent.post(tokenUrl(), routine(), { dpop: false });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
    expect(response.body.error_description).toBe('DPoP proof JWT not provided');
  });

  it('refuses a replayed DPoP proof', async () => {
    const agent = await registeredAgent();
    const challenge = await agent.post(tokenUrl(), routine(), { followNonce: false });
    const proof = await agent.proof('POST', tokenUrl(), { nonce: challenge.headers.get('dpop-nonce')! });
    const send = async () =>
      fetch(tokenUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', dpop: proof },
        body: new URLSearchParams({
          ...routine(),
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: await agent.assertion(stack.issuer),
        }),
      });
    expect((await send()).status).toBe(200);
    const replay = await send();
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant', error_description: 'DPoP proof JWT Replay detected' });
  });

  it('refuses a replayed client assertion, even one first sent with a request that got use_dpop_nonce', async () => {
    const agent = await registeredAgent();
    const assertion = await agent.assertion(stack.issuer);
    const form = { ...routine(), client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
    const challenged = await agent.post(tokenUrl(), form, { unauthenticated: true, followNonce: false });
    expect(challenged.body.error).toBe('use_dpop_nonce');
    const replay = await agent.post(tokenUrl(), form, { unauthenticated: true });
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_client');
    expect((await agent.post(tokenUrl(), routine())).status).toBe(200);
  });

  it('refuses client secrets, in the body or in Basic', async () => {
    const agent = await registeredAgent();
    const inBody = await agent.post(tokenUrl(), { ...routine(), client_id: agent.clientId, client_secret: 'guessable' }, { unauthenticated: true });
    expect(inBody.status).toBe(401);
    expect(inBody.body.error).toBe('invalid_client');
    const basic = await agent.post(tokenUrl(), routine(), {
      unauthenticated: true,
      headers: { authorization: `Basic ${Buffer.from(`${agent.clientId}:guessable`).toString('base64')}` },
    });
    expect(basic.status).toBe(401);
    expect(basic.body.error).toBe('invalid_client');
  });

  it('answers invalid_client for an unknown client', async () => {
    const stranger = await createTestAgent('never-registered', { issuer: stack.issuer });
    const response = await stranger.post(tokenUrl(), routine());
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
  });

  it('answers invalid_client once an agent is disabled, and revokes its live tokens at the tool API', async () => {
    const agent = await registeredAgent();
    const { body } = await agent.post(tokenUrl(), routine());
    stack.disableAgent(agent.clientId);
    const response = await agent.post(tokenUrl(), routine());
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
    const call = await agent.call('GET', `${stack.toolApiUrl}/accounts`, body.access_token);
    expect(call.status).toBe(401);
    expect(() => stack.disableAgent(agent.clientId)).toThrow(expect.objectContaining({ code: 'unknown_client' }));

    stack.registerAgent({ clientId: agent.clientId, jwks: agent.jwks, scopes: ['accounts:read'] });
    expect((await agent.post(tokenUrl(), routine())).status).toBe(200);
  });

  it('accepts an updated JWKS at once and refuses the old key', async () => {
    const agent = await registeredAgent();
    expect((await agent.post(tokenUrl(), routine())).status).toBe(200);
    const oldAssertion = await agent.assertion(stack.issuer);
    const jwks = await agent.rotateIdentityKey();
    expect((await agent.post(tokenUrl(), routine())).body.error).toBe('invalid_client');
    stack.registerAgent({ clientId: agent.clientId, jwks, scopes: ['accounts:read'] });
    expect((await agent.post(tokenUrl(), routine())).status).toBe(200);
    const old = await agent.post(
      tokenUrl(),
      { ...routine(), client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: oldAssertion },
      { unauthenticated: true },
    );
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_client');
  });

  it('refuses a scope the agent was not registered for, and an unknown resource', async () => {
    const agent = await registeredAgent({ scopes: ['accounts:read'] });
    const scope = await agent.post(tokenUrl(), { ...routine(), scope: 'accounts:read payouts:write' });
    expect(scope.status).toBe(400);
    expect(scope.body.error).toBe('invalid_scope');
    const target = await agent.post(tokenUrl(), { ...routine(), resource: 'https://elsewhere.example/' });
    expect(target.status).toBe(400);
    expect(target.body.error).toBe('invalid_target');
  });

  it('uses the tool API as the default resource, so every token is a JWT for it', async () => {
    const agent = await registeredAgent();
    const response = await agent.post(tokenUrl(), { grant_type: 'client_credentials', scope: 'accounts:read' });
    expect(response.status).toBe(200);
    expect(decodePayload(response.body.access_token).aud).toBe(stack.toolApiUrl);
  });

  it('refuses authorization_details on client_credentials: actions need a human', async () => {
    const agent = await registeredAgent({ scopes: ['accounts:read', 'payouts:write'] });
    const detail = { type: 'agent_action', tool: 'create_payout', args_sha256: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg', amount: 1 };
    const response = await agent.post(tokenUrl(), { ...routine(), scope: 'payouts:write', authorization_details: JSON.stringify([detail]) });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_authorization_details');
  });

  it('refuses malformed registrations with a DevkitError', () => {
    expect(() => stack.registerAgent({ clientId: 'x', jwks: { keys: [] }, scopes: [] })).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(() =>
      stack.registerAgent({ clientId: 'x', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a'.repeat(43), y: 'b'.repeat(43), d: 'c'.repeat(43) }] }, scopes: [] }),
    ).toThrow(/private key material/);
    expect(() => stack.registerAgent({ clientId: 'x', jwks: { keys: [{ kty: 'RSA', n: 'abc', e: 'AQAB' }] }, scopes: [] })).toThrow(/P-256.*Ed25519/);
    expect(() =>
      stack.registerAgent({ clientId: 'x', jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'a'.repeat(43) }] }, scopes: ['payouts:admin'] }),
    ).toThrow(/unknown scope\(s\) payouts:admin/);
  });
});

describe('revocation and introspection of JWT access tokens', () => {
  it('fills the revoked-jti list the tool API consults', async () => {
    const agent = await registeredAgent();
    const { body } = await agent.post(tokenUrl(), routine());
    expect((await agent.call('GET', `${stack.toolApiUrl}/accounts`, body.access_token)).status).toBe(200);

    const introspected = await agent.post(`${stack.issuer}/token/introspection`, { token: body.access_token }, { dpop: false });
    expect(introspected.body).toMatchObject({ active: true, client_id: agent.clientId, token_type: 'DPoP', cnf: { jkt: agent.dpopThumbprint } });

    const revoked = await agent.post(`${stack.issuer}/token/revocation`, { token: body.access_token, token_type_hint: 'access_token' }, { dpop: false });
    expect(revoked.status).toBe(200);

    const call = await agent.call('GET', `${stack.toolApiUrl}/accounts`, body.access_token);
    expect(call.status).toBe(401);
    expect(call.headers.get('www-authenticate')).toMatch(/invalid_token/);
    expect((await agent.post(`${stack.issuer}/token/introspection`, { token: body.access_token }, { dpop: false })).body).toEqual({ active: false });
  });

  it("refuses to revoke another client's token and keeps it valid", async () => {
    const owner = await registeredAgent();
    const other = await registeredAgent();
    const { body } = await owner.post(tokenUrl(), routine());
    const attempt = await other.post(`${stack.issuer}/token/revocation`, { token: body.access_token }, { dpop: false });
    expect(attempt.status).toBe(400);
    expect(attempt.body.error).toBe('invalid_request');
    expect((await other.post(`${stack.issuer}/token/introspection`, { token: body.access_token }, { dpop: false })).body).toEqual({ active: false });
    expect((await owner.call('GET', `${stack.toolApiUrl}/accounts`, body.access_token)).status).toBe(200);
  });

  it('answers 200 for a token it did not issue, and needs client authentication', async () => {
    const agent = await registeredAgent();
    const { body } = await agent.post(tokenUrl(), routine());
    const [header, payload] = body.access_token.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(86)}`;
    expect((await agent.post(`${stack.issuer}/token/revocation`, { token: forged }, { dpop: false })).status).toBe(200);
    expect((await agent.post(`${stack.issuer}/token/revocation`, { token: 'not-a-token' }, { dpop: false })).status).toBe(200);
    const anonymous = await agent.post(`${stack.issuer}/token/revocation`, { token: body.access_token, client_id: agent.clientId }, { dpop: false, unauthenticated: true });
    expect(anonymous.status).toBe(401);
    expect((await agent.call('GET', `${stack.toolApiUrl}/accounts`, body.access_token)).status).toBe(200);
  });
});
