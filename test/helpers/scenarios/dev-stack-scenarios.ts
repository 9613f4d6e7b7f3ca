/**
 * Scenarios against the devkit's real authorization server (oidc-provider, nonces required) and
 * its real tool API (which verifies every DPoP proof and token).
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '@countersign/devkit';
import { AgentClosedError, AgentRevokedError } from '@countersign/core';
import { claimsOf, metadataOf, postAsClient } from '../as-requests.js';
import { createDevAgent } from '../dev-agent.js';
import { caught, rememberSecret } from '../error-collector.js';

export function devStackScenarios(): void {
  describe('against the devkit stack', () => {
    let stack: DevStack;
    const cleanups: (() => Promise<void>)[] = [];
    beforeAll(async () => {
      stack = await startDevStack({ port: 0, toolApiPort: 0 });
    });
    afterAll(async () => {
      for (const cleanup of cleanups) await cleanup();
      await stack.close();
    });
    const newAgent = async (...args: Parameters<typeof createDevAgent> extends [unknown, ...infer Rest] ? Rest : never) => {
      const created = await createDevAgent(stack, ...args);
      cleanups.push(created.close);
      return created;
    };

    it('reads accounts with a routine DPoP-bound token, answering nonces at the AS and at the resource server', async () => {
      const { agent, counter, events } = await newAgent(['accounts:read']);
      const response = await agent.fetch(`${stack.toolApiUrl}/accounts`, { scope: 'accounts:read' });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { accounts: { id: string }[] };
      expect(body.accounts.map((account) => account.id)).toContain('acc_operating');

      // The AS required a nonce: one use_dpop_nonce answer, then the token.
      expect(counter.count(stack.issuer, '/token')).toBe(2);
      expect(counter.count(stack.issuer, '/token', 400)).toBe(1);
      expect(counter.count(stack.issuer, '/token', 200)).toBe(1);
      // The resource server required its own nonce too.
      expect(counter.count(stack.toolApiUrl, '/accounts', 401)).toBe(1);
      expect(counter.count(stack.toolApiUrl, '/accounts', 200)).toBe(1);

      // Warm: the cached token and both nonces are reused.
      expect((await agent.fetch(`${stack.toolApiUrl}/accounts`, { scope: 'accounts:read' })).status).toBe(200);
      expect(counter.count(stack.issuer, '/token')).toBe(2);
      expect(counter.count(stack.toolApiUrl, '/accounts')).toBe(3);

      const token = await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
      rememberSecret(token.accessToken);
      expect(token).toMatchObject({ tokenType: 'DPoP', scope: 'accounts:read', resource: stack.toolApiUrl });
      expect(token.expiresAt).toBeGreaterThan(Date.now());
      const claims = claimsOf(token.accessToken);
      expect(claims).toMatchObject({ aud: stack.toolApiUrl, client_id: agent.clientId, cnf: { jkt: agent.dpopThumbprint } });

      expect(events.map((event) => event.event)).toEqual(['token.requested', 'token.issued']);
      expect(events[1]).toMatchObject({ agent: agent.clientId, kid: agent.keyId, jkt: agent.dpopThumbprint, scope: 'accounts:read', outcome: 'ok' });
      expect(JSON.stringify(events)).not.toContain(token.accessToken);
    });

    it('works the same through agent.dispatcher() with undici.request and fetch', async () => {
      const { agent } = await newAgent(['accounts:read']);
      const dispatcher = agent.dispatcher({ scope: 'accounts:read' });
      const response = await request(`${stack.toolApiUrl}/accounts`, { dispatcher, headers: [['accept', 'application/json']] });
      expect(response.statusCode).toBe(200);
      expect(((await response.body.json()) as { accounts: unknown[] }).accounts.length).toBeGreaterThan(0);
      const { fetch } = await import('undici');
      const fetched = await fetch(`${stack.toolApiUrl}/accounts`, { dispatcher });
      expect(fetched.status).toBe(200);
    });

    it('makes exactly one token request for 200 parallel calls on a cold cache', async () => {
      const { agent, counter, events } = await newAgent(['accounts:read']);
      const responses = await Promise.all(
        Array.from({ length: 200 }, () => agent.fetch(`${stack.toolApiUrl}/accounts`, { scope: 'accounts:read' })),
      );
      expect(responses.every((response) => response.status === 200)).toBe(true);
      await Promise.all(responses.map((response) => response.arrayBuffer()));
      // One token issued; the only other /token request is the server's nonce challenge.
      expect(counter.count(stack.issuer, '/token', 200)).toBe(1);
      expect(counter.count(stack.issuer, '/token')).toBe(2);
      expect(events.filter((event) => event.event === 'token.requested')).toHaveLength(1);
    });

    it('recovers once from a token revoked at the AS', async () => {
      const { agent, counter, identity, clientId, events } = await newAgent(['accounts:read']);
      expect((await agent.fetch(`${stack.toolApiUrl}/accounts`, { scope: 'accounts:read' })).status).toBe(200);
      const revoked = await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
      const { revocation_endpoint: revocation } = await metadataOf(stack.issuer);
      const answer = await postAsClient(stack.issuer, revocation!, identity, clientId, { token: revoked.accessToken, token_type_hint: 'access_token' });
      expect(answer.status).toBe(200);

      const before = counter.count(stack.issuer, '/token', 200);
      const response = await agent.fetch(`${stack.toolApiUrl}/accounts`, { scope: 'accounts:read' });
      expect(response.status).toBe(200);
      expect(counter.count(stack.issuer, '/token', 200)).toBe(before + 1);
      expect(counter.count(stack.toolApiUrl, '/accounts', 401)).toBeGreaterThanOrEqual(2); // first nonce, then the revoked token
      const replacement = await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
      expect(replacement.accessToken).not.toBe(revoked.accessToken);
      expect(events.filter((event) => event.event === 'token.issued')).toHaveLength(2);
    });

    it('surfaces a scope the agent lacks as a typed OAuth error', async () => {
      const { agent } = await newAgent(['accounts:read']);
      const error = await caught(agent.fetch(`${stack.toolApiUrl}/accounts`, { scope: 'admin:keys' }));
      expect(error).toMatchObject({ code: 'ERR_OAUTH', error: 'invalid_scope' });
    });

    it('corrects a clock ten minutes slow once, from the server’s Date header', async () => {
      const { agent, counter, events } = await newAgent(['accounts:read'], { clock: () => Date.now() - 600_000 });
      const response = await agent.fetch(`${stack.toolApiUrl}/accounts`, { scope: 'accounts:read' });
      expect(response.status).toBe(200);
      // nonce challenge, the expired assertion refused, then the corrected request
      expect(counter.count(stack.issuer, '/token', 200)).toBe(1);
      expect(counter.count(stack.issuer, '/token', 401)).toBe(1);
      expect(events.some((event) => event.event === 'agent.revoked')).toBe(false);
    });

    it('stops at once when its identity is disabled (invalid_client), sending nothing more', async () => {
      const { agent, counter, clientId, events } = await newAgent(['accounts:read']);
      stack.disableAgent(clientId);
      const error = await caught(agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' }));
      expect(error).toBeInstanceOf(AgentRevokedError);
      const sent = counter.seen.length;
      expect(await caught(agent.fetch(`${stack.toolApiUrl}/accounts`))).toBeInstanceOf(AgentRevokedError);
      expect(await caught(agent.requestApproval({ loginHint: 'alice', bindingMessage: 'x', authorizationDetails: [{ type: 'agent_action' }] }))).toBeInstanceOf(
        AgentRevokedError,
      );
      expect(counter.seen.length).toBe(sent);
      expect(events.filter((event) => event.event === 'agent.revoked')).toHaveLength(1);
    });

    it('close() revokes the tokens it holds (RFC 7009) and refuses further work', async () => {
      const { agent, counter, identity, clientId, events } = await newAgent(['accounts:read']);
      await agent.fetch(`${stack.toolApiUrl}/accounts`, { scope: 'accounts:read' });
      const held = await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
      await agent.close();
      expect(counter.count(stack.issuer, '/token/revocation', 200)).toBe(1);
      const { introspection_endpoint: introspection } = await metadataOf(stack.issuer);
      const answer = await postAsClient(stack.issuer, introspection!, identity, clientId, { token: held.accessToken });
      expect(answer.body).toEqual({ active: false });
      expect(await caught(agent.fetch(`${stack.toolApiUrl}/accounts`))).toBeInstanceOf(AgentClosedError);
      expect(await caught(agent.getToken())).toBeInstanceOf(AgentClosedError);
      expect(() => agent.resumeApproval('{}')).toThrow(AgentClosedError);
      expect(events.slice(-2).map((event) => [event.event, event.outcome])).toEqual([
        ['token.revoked', 'ok'],
        ['agent.closed', 'ok'],
      ]);
      await agent.close(); // idempotent
    });
  });

  describe('refresh ahead of expiry (devkit, short-lived tokens, injected clock)', () => {
    let stack: DevStack;
    beforeAll(async () => {
      stack = await startDevStack({ port: 0, toolApiPort: 0, accessTokenTtl: 60 });
    });
    afterAll(() => stack.close());

    it('gets a new token once the refresh window opens, and keeps calling the API', async () => {
      let shift = 0;
      const { agent, counter, close } = await createDevAgent(stack, ['accounts:read'], { clock: () => Date.now() + shift });
      try {
        await agent.fetch(`${stack.toolApiUrl}/accounts`, { scope: 'accounts:read' });
        const first = await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
        rememberSecret(first.accessToken);
        expect(first.expiresAt - (Date.now() + shift)).toBeLessThanOrEqual(60_000);

        shift = 25_000; // 35 s left: still fresh (refresh at 30 s before expiry)
        await agent.fetch(`${stack.toolApiUrl}/accounts`, { scope: 'accounts:read' });
        expect(counter.count(stack.issuer, '/token', 200)).toBe(1);

        shift = 31_000; // 29 s left: refreshed ahead of expiry, by one request for all callers
        const responses = await Promise.all(Array.from({ length: 20 }, () => agent.fetch(`${stack.toolApiUrl}/accounts`, { scope: 'accounts:read' })));
        expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
        expect(counter.count(stack.issuer, '/token', 200)).toBe(2);
        const second = await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
        expect(second.accessToken).not.toBe(first.accessToken);
      } finally {
        await close();
      }
    });
  });
}
