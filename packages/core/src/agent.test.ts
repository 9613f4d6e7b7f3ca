import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgent } from './agent.js';
import type { AuditEvent } from './audit/types.js';
import { AgentClosedError, ConfigurationError, InsecureEndpointError } from './errors.js';
import { createNodeSigner } from './keys/node-signer.js';
import { memoryKeyStore } from './keys/memory-key-store.js';
import { jwkThumbprint } from './keys/thumbprint.js';
import {
  createMockAuthorizationServer,
  headerOf,
  issuer,
  metadata,
  payloadOf,
  tokenBody,
  type MockAuthorizationServer,
} from './oauth/mock-authorization-server.fixture.js';
import type { AgentOptions } from './types.js';

let server: MockAuthorizationServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const identity = () => createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);

async function start(options: Partial<AgentOptions> = {}, metadataOverrides: Record<string, unknown> = {}) {
  await server?.close();
  const mock = createMockAuthorizationServer();
  server = mock;
  mock.setDefault('/.well-known/oauth-authorization-server', { status: 200, body: { ...metadata, ...metadataOverrides } });
  mock.setDefault('/token', { status: 200, body: tokenBody });
  mock.setDefault('/token/revocation', { status: 200, body: '' });
  const events: AuditEvent[] = [];
  const key = identity();
  const agent = await createAgent({ issuer, clientId: 'agent-1', key, dispatcher: mock.agent, audit: { write: (event) => void events.push(event) }, ...options });
  return { agent, events, key };
}

describe('createAgent', () => {
  it('discovers at creation and exposes who it is', async () => {
    const { agent, key } = await start();
    expect(server!.requestsTo('/.well-known/oauth-authorization-server')).toHaveLength(1);
    expect(agent.clientId).toBe('agent-1');
    expect(agent.keyId).toBe(key.kid);
    expect(agent.dpopThumbprint).not.toBe(key.kid);
    expect(await agent.publicJwks()).toEqual({ keys: [{ ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' }] });
  });

  it('makes a fresh DPoP key per instance, EdDSA when asked', async () => {
    const first = await start();
    const second = await start({ dpop: { alg: 'EdDSA' } });
    expect(first.agent.dpopThumbprint).not.toBe(second.agent.dpopThumbprint);
    await second.agent.getToken();
    const proof = server!.requestsTo('/token')[0]!.headers.dpop!;
    const header = JSON.parse(Buffer.from(proof.split('.')[0]!, 'base64url').toString()) as { alg: string; jwk: { crv: string } };
    expect(header.alg).toBe('EdDSA');
    expect(header.jwk.crv).toBe('Ed25519');
    expect(jwkThumbprint(header.jwk as never)).toBe(second.agent.dpopThumbprint);
  });

  it('follows a key store: a rotated key signs the next assertion, both keys published meanwhile', async () => {
    const store = memoryKeyStore();
    const { agent } = await start({ key: store as never });
    const before = agent.keyId;
    await agent.getToken({ scope: 'a' });
    const next = await store.rotate({ activate: true });
    expect((await agent.publicJwks()).keys.map((key) => key.kid)).toEqual([next.kid, before]);
    await agent.getToken({ scope: 'b' });
    const kids = server!.requestsTo('/token').map((request) => headerOf(request.form.get('client_assertion')!).kid);
    expect(kids).toEqual([before, next.kid]);
    expect(agent.keyId).toBe(next.kid);
  });

  it('uses a given DPoP key', async () => {
    const dpopKey = identity();
    const { agent } = await start({ dpop: { key: dpopKey } });
    expect(agent.dpopThumbprint).toBe(dpopKey.kid);
  });

  it.each([
    ['no issuer', { issuer: '' }, ConfigurationError],
    ['an http issuer off loopback', { issuer: 'http://as.example' }, InsecureEndpointError],
    ['no clientId', { clientId: '' }, ConfigurationError],
    ['no key', { key: {} as never }, ConfigurationError],
    ['a negative timeout', { timeoutMs: -1 }, ConfigurationError],
    ['fractional retries', { retries: 1.5 }, ConfigurationError],
    ['an unknown assertion audience', { assertionAudience: 'resource' as never }, ConfigurationError],
  ])('refuses %s', async (_, options, type) => {
    await expect(createAgent({ issuer, clientId: 'agent-1', key: identity(), ...options })).rejects.toBeInstanceOf(type);
  });

  it('requests routine tokens with resource and scope, audited without token values', async () => {
    const { agent, events } = await start();
    const token = await agent.getToken({ resource: 'https://api.example', scope: 'b a' });
    expect(token).toMatchObject({ accessToken: tokenBody.access_token, tokenType: 'DPoP', scope: 'accounts:read', resource: 'https://api.example' });
    const form = server!.requestsTo('/token')[0]!.form;
    expect(form.get('scope')).toBe('a b');
    expect(form.get('resource')).toBe('https://api.example');
    await agent.audit.flush();
    expect(events.map((event) => event.event)).toEqual(['token.requested', 'token.issued']);
    expect(JSON.stringify(events)).not.toContain(tokenBody.access_token);
  });

  it('audits failed token requests', async () => {
    const { agent, events } = await start();
    server!.enqueue('/token', { status: 400, body: { error: 'invalid_scope' } });
    await expect(agent.getToken({ scope: 'x' })).rejects.toMatchObject({ error: 'invalid_scope' });
    await agent.audit.flush();
    expect(events.at(-1)).toMatchObject({ event: 'token.failed', outcome: 'error', error: { code: 'ERR_OAUTH' } });
  });

  it('close() revokes held tokens, then refuses work', async () => {
    const { agent, events } = await start();
    await agent.getToken({ scope: 'a' });
    await agent.getToken({ scope: 'b' });
    await agent.close();
    const revoked = server!.requestsTo('/token/revocation').map((request) => request.form.get('token'));
    expect(revoked).toEqual([tokenBody.access_token, tokenBody.access_token]);
    expect(events.map((event) => event.event).slice(-3)).toEqual(['token.revoked', 'token.revoked', 'agent.closed']);
    await expect(agent.getToken()).rejects.toBeInstanceOf(AgentClosedError);
    expect(() => agent.dispatcher()).toThrow(AgentClosedError);
    await expect(agent.requestApproval({ loginHint: 'a', bindingMessage: 'b', authorizationDetails: [{ type: 'x' }] })).rejects.toBeInstanceOf(
      AgentClosedError,
    );
  });

  it('close() during a token request is no token failure in the trail', async () => {
    await server?.close();
    server = createMockAuthorizationServer({
      prepare: (pool) => {
        pool.intercept({ path: '/token', method: 'POST' }).reply(200, tokenBody, { headers: { 'content-type': 'application/json' } }).delay(10_000);
      },
    });
    server.setDefault('/.well-known/oauth-authorization-server', { status: 200, body: metadata });
    const events: AuditEvent[] = [];
    const agent = await createAgent({ issuer, clientId: 'agent-1', key: identity(), dispatcher: server.agent, audit: { write: (event) => void events.push(event) } });
    const requesting = agent.getToken({ scope: 'a' });
    requesting.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await agent.close();
    await expect(requesting).rejects.toBeInstanceOf(AgentClosedError);
    expect(events.map((event) => event.event)).toEqual(['token.requested', 'agent.closed']);
  });

  it('close() skips revocation when the server offers none', async () => {
    const { agent } = await start({}, { revocation_endpoint: undefined });
    await agent.getToken();
    await agent.close();
    expect(server!.requestsTo('/token/revocation')).toHaveLength(0);
  });

  it('close() stops approval waits', async () => {
    const { agent } = await start();
    server!.setDefault('/backchannel', { status: 200, body: { auth_req_id: 'req-1', expires_in: 60, interval: 5 } });
    const pending = await agent.requestApproval({ loginHint: 'alice', bindingMessage: 'Pay 5 EUR', authorizationDetails: [{ type: 'agent_action' }] });
    const sent = server!.requestsTo('/backchannel')[0]!;
    expect(sent.form.get('login_hint')).toBe('alice');
    expect(sent.form.get('client_assertion')).toBeTruthy();
    const waiting = pending.wait();
    await agent.close();
    await expect(waiting).rejects.toBeInstanceOf(AgentClosedError);
  });

  it('delegates approvals: the CIBA poll is DPoP-bound and client-authenticated', async () => {
    const { agent } = await start();
    server!.setDefault('/backchannel', { status: 200, body: { auth_req_id: 'req-1', expires_in: 60, interval: 1 } });
    const details = [{ type: 'agent_action', tool: 'create_payout', args_sha256: 'abc' }];
    server!.enqueue('/token', { status: 200, body: { ...tokenBody, authorization_details: details } });
    const pending = await agent.requestApproval({ loginHint: 'alice', bindingMessage: 'Pay 5 EUR', authorizationDetails: details });
    const token = await pending.wait();
    expect(token.authorizationDetails).toEqual(details);
    const poll = server!.requestsTo('/token').at(-1)!;
    expect(poll.form.get('grant_type')).toBe('urn:openid:params:grant-type:ciba');
    expect(poll.form.get('auth_req_id')).toBe('req-1');
    expect(payloadOf(poll.headers.dpop!).htm).toBe('POST');
    const resumed = agent.resumeApproval(pending.toJSON());
    expect(resumed.id).toBe(pending.id);
  });
});
