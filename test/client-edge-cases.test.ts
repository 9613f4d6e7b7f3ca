/**
 * Four client edge cases from issue 13, each against a scripted server on a real socket: a lower-case
 * `patch`, a token response without `expires_in`, a scope given as an array, and an `invalid_client`
 * that says what is known.
 */
import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt } from 'jose';
import { request as undiciRequest } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRevokedError, ConfigurationError, createAgent, createNodeSigner, type Agent } from '@countersign/core';
import { json, metadataFor, startMisbehavingServer, type MisbehavingServer, type Route } from './helpers/misbehaving-server.js';

let server: MisbehavingServer | undefined;
let agent: Agent | undefined;
afterEach(async () => {
  await agent?.close().catch(() => undefined);
  agent = undefined;
  await server?.close();
  server = undefined;
});

const tokenRoute =
  (body: Record<string, unknown>, seen?: URLSearchParams[]): Route =>
  (_, response, text) => {
    seen?.push(new URLSearchParams(text));
    json(response, 200, { token_type: 'DPoP', ...body });
  };

async function agentAgainst(routes: Record<string, Route>): Promise<{ agent: Agent; url: string }> {
  server = await startMisbehavingServer((url) => ({
    '/.well-known/oauth-authorization-server': (_, response) => json(response, 200, metadataFor(url)),
    ...routes,
  }));
  const key = createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  agent = await createAgent({ issuer: server.url, clientId: 'edge-agent', key, retries: 0, timeoutMs: 2_000 });
  return { agent, url: server.url };
}

describe('client edge cases against a scripted server', () => {
  it("sends init.method 'patch' as PATCH, in the request line and in the proof's htm (fetch and dispatcher)", async () => {
    const seen: { method: string | undefined; htm: unknown }[] = [];
    const { agent, url } = await agentAgainst({
      '/token': tokenRoute({ access_token: 'at-patch-1', expires_in: 300 }),
      '/accounts/1': (request, response) => {
        seen.push({ method: request.method, htm: decodeJwt(String(request.headers.dpop)).htm });
        json(response, 200, { ok: true });
      },
    });
    const response = await agent.fetch(`${url}/accounts/1`, { method: 'patch', body: '{"name":"x"}', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    const viaDispatcher = await undiciRequest(`${url}/accounts/1`, { method: 'patch' as 'PATCH', body: '{}', dispatcher: agent.dispatcher({ resource: url }) });
    expect(viaDispatcher.statusCode).toBe(200);
    await viaDispatcher.body.dump();
    expect(seen).toEqual([
      { method: 'PATCH', htm: 'PATCH' },
      { method: 'PATCH', htm: 'PATCH' },
    ]);
  });

  it('accepts a token response without expires_in for the documented default lifetime, and replaces it on invalid_token', async () => {
    let issued = 0;
    const tokensSeen: string[] = [];
    const { agent, url } = await agentAgainst({
      '/token': (_, response) => json(response, 200, { access_token: `at-no-expiry-${++issued}`, token_type: 'DPoP' }),
      '/accounts': (request, response) => {
        const token = String(request.headers.authorization).replace(/^DPoP /, '');
        tokensSeen.push(token);
        if (token === 'at-no-expiry-1' && tokensSeen.length > 1) {
          response.writeHead(401, { 'www-authenticate': 'DPoP error="invalid_token", error_description="revoked"' });
          response.end();
          return;
        }
        json(response, 200, { accounts: [] });
      },
    });
    const before = Date.now();
    const token = await agent.getToken({ resource: url });
    expect(token.expiresAt).toBeGreaterThanOrEqual(before + 300_000 - 5_000);
    expect(token.expiresAt).toBeLessThanOrEqual(Date.now() + 300_000);
    expect((await agent.fetch(`${url}/accounts`)).status).toBe(200);
    // The server now calls that token invalid: the agent gets a new one and retries once.
    expect((await agent.fetch(`${url}/accounts`)).status).toBe(200);
    expect(tokensSeen).toEqual(['at-no-expiry-1', 'at-no-expiry-1', 'at-no-expiry-2']);
    expect(issued).toBe(2);
  });

  it("accepts scope: ['a', 'b'] (sent as one space-separated scope, cached as the same set) and refuses other shapes with a typed error", async () => {
    const forms: URLSearchParams[] = [];
    const { agent } = await agentAgainst({ '/token': tokenRoute({ access_token: 'at-scope-1', expires_in: 300 }, forms) });
    const first = await agent.getToken({ scope: ['b', 'a'] });
    const second = await agent.getToken({ scope: 'a b' });
    expect(second).toBe(first);
    expect(forms).toHaveLength(1);
    expect(forms[0]!.get('scope')).toBe('a b');
    for (const scope of [[1, 2], 42, { a: 1 }]) {
      const error = await agent.getToken({ scope: scope as never }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(/scope must be a space-separated string or an array of strings/);
    }
  });

  it('words invalid_client as what is known, with the likely causes, and exposes the error code', async () => {
    const { agent } = await agentAgainst({
      '/token': (_, response) => json(response, 401, { error: 'invalid_client', error_description: 'client authentication failed' }),
    });
    const error = (await agent.getToken().catch((caught: unknown) => caught)) as AgentRevokedError;
    expect(error).toBeInstanceOf(AgentRevokedError);
    expect(error.code).toBe('ERR_AGENT_REVOKED');
    expect(error.error).toBe('invalid_client');
    expect(error.errorDescription).toBe('client authentication failed');
    expect(error.message).toMatch(/^the authorization server refused this client: invalid_client \(client_id edge-agent; it said: client authentication failed\)/);
    expect(error.message).toMatch(/not registered, was disabled or deleted, or the key signing its assertions is not one of its registered keys/);
    expect(error.message).not.toMatch(/no longer accepts/);
  });
});

