import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAgent } from '../authorization-server/testing/test-agent.js';
import { startDevStack } from '../stack.js';
import type { DevStack } from '../types.js';

let stack: DevStack;
beforeAll(async () => {
  stack = await startDevStack({ port: 0, toolApiPort: 0 });
}, 60_000);
afterAll(() => stack?.close(), 60_000);

const publicJwks = () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { keys: [{ ...(publicKey.export({ format: 'jwk' }) as Record<string, string>), alg: 'ES256', use: 'sig', kid: 'k1' }] };
};

const register = (body: unknown) =>
  fetch(`${stack.inboxUrl}/api/agents`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-countersign-inbox': '1' }, body: JSON.stringify(body) });

describe('POST /inbox/api/agents on the dev stack', { timeout: 60_000 }, () => {
  it("refuses to replace a registered agent's keys, scopes or owner without rotate: true; the same registration again is fine", async () => {
    const agent = await createTestAgent('http-registered-agent', { issuer: stack.issuer });
    const registration = { clientId: agent.clientId, jwks: agent.jwks, scopes: ['accounts:read'] };
    expect((await register(registration)).status).toBe(201);
    expect((await register(registration)).status).toBe(201);

    for (const change of [{ jwks: publicJwks() }, { scopes: ['accounts:read', 'payouts:write'] }, { owner: 'bob' }]) {
      const refused = await register({ ...registration, ...change });
      expect(refused.status).toBe(409);
      const body = (await refused.json()) as { error: string; error_description: string };
      expect(body.error).toBe('already_registered');
      expect(body.error_description).toContain('"rotate": true');
    }
    // Nothing changed: the agent still authenticates with its own key.
    const token = await agent.post(`${stack.issuer}/token`, { grant_type: 'client_credentials', scope: 'accounts:read', resource: stack.toolApiUrl });
    expect(token.status).toBe(200);

    const rotated = await createTestAgent(agent.clientId, { issuer: stack.issuer });
    expect((await register({ clientId: agent.clientId, jwks: rotated.jwks, scopes: ['accounts:read'], rotate: true })).status).toBe(201);
    expect((await rotated.post(`${stack.issuer}/token`, { grant_type: 'client_credentials', scope: 'accounts:read', resource: stack.toolApiUrl })).status).toBe(200);
    expect((await agent.post(`${stack.issuer}/token`, { grant_type: 'client_credentials', scope: 'accounts:read', resource: stack.toolApiUrl })).status).toBe(401);
  });

  it('refuses over HTTP, even with rotate: true, an agent the kill switch turned off; only the operator brings it back', async () => {
    const agent = await createTestAgent('killed-http-agent', { issuer: stack.issuer });
    const registration = { clientId: agent.clientId, jwks: agent.jwks, scopes: ['accounts:read'] };
    const tokenOf = (who: typeof agent) =>
      who.post(`${stack.issuer}/token`, { grant_type: 'client_credentials', scope: 'accounts:read', resource: stack.toolApiUrl });
    expect((await register(registration)).status).toBe(201);
    stack.disableAgent(agent.clientId);

    const fresh = await createTestAgent(agent.clientId, { issuer: stack.issuer });
    for (const attempt of [registration, { ...registration, rotate: true }, { clientId: agent.clientId, jwks: fresh.jwks, scopes: ['accounts:read'], rotate: true }]) {
      const refused = await register(attempt);
      expect(refused.status).toBe(403);
      const body = (await refused.json()) as { error: string; error_description: string };
      expect(body.error).toBe('agent_disabled');
      expect(body.error_description).toContain('kill switch');
    }
    expect((await tokenOf(agent)).status).toBe(401);
    expect((await tokenOf(fresh)).status).toBe(401);

    // The operator re-enables it; from then on HTTP registration behaves as for any registered agent.
    stack.registerAgent(registration);
    expect((await tokenOf(agent)).status).toBe(200);
    expect((await register(registration)).status).toBe(201);
  });

  it('in-process registration (stack.registerAgent) still replaces, as documented', async () => {
    const agent = await createTestAgent('in-process-agent', { issuer: stack.issuer });
    stack.registerAgent({ clientId: agent.clientId, jwks: agent.jwks, scopes: ['accounts:read'] });
    const next = await createTestAgent(agent.clientId, { issuer: stack.issuer });
    stack.registerAgent({ clientId: agent.clientId, jwks: next.jwks, scopes: ['accounts:read'] });
    expect((await next.post(`${stack.issuer}/token`, { grant_type: 'client_credentials', scope: 'accounts:read', resource: stack.toolApiUrl })).status).toBe(200);
  });
});
