/**
 * Every error path the SDK has against servers that echo back every secret they received: the client
 * assertion, the DPoP proof, the access token (a JWT or an opaque one), the token being revoked. No
 * thrown error may carry any of them (or a 16-character piece of one) in its message, its members or
 * its causes.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AgentRevokedError,
  createAgent,
  createNodeSigner,
  OAuthError,
  ResourceChallengeError,
  type Agent,
  type AgentOptions,
  type AuditEvent,
} from '@countersign/core';
import { InsufficientScopeError, ResponseError } from '@countersign/core/errors';
import { rememberKey } from './helpers/dev-agent.js';
import { textsOf } from './helpers/error-collector.js';
import { json, metadataFor, startMisbehavingServer, type MisbehavingServer, type Route } from './helpers/misbehaving-server.js';

const jwtAccessToken = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJlY2hvLWFnZW50In0.ZWNob2VkLXNpZ25hdHVyZS12YWx1ZS0xMjM0NTY3ODkw';
const opaqueAccessToken = 'opaque0Token1With2Digits3And4Letters5abcdefXYZ';

/** Secrets seen by the servers, by value. */
const received = new Set<string>();

function secretsOf(request: IncomingMessage, body: string): string[] {
  const found: string[] = [];
  const form = new URLSearchParams(body);
  for (const name of ['client_assertion', 'token', 'auth_req_id']) {
    const value = form.get(name);
    if (value) found.push(value);
  }
  if (typeof request.headers.dpop === 'string') found.push(request.headers.dpop);
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') found.push(authorization.replace(/^DPoP /, ''));
  for (const secret of found) received.add(secret);
  return found;
}

/** An echo of everything the request carried, in the places a server puts text. */
function echoing(status: number, error: string, extra: Record<string, unknown> = {}): Route {
  return (request, response, body) => {
    const secrets = secretsOf(request, body).join(' ');
    json(response, status, { error, error_description: `you sent ${secrets}`, echoed: secrets, nested: { again: secrets }, ...extra });
  };
}

/** A resource answering with a challenge that echoes the token and proof. */
function challenging(status: number, error: string): Route {
  return (request, response, body) => {
    const secrets = secretsOf(request, body).join(' ');
    response.writeHead(status, {
      'www-authenticate': `DPoP error="${error}", error_description="you sent ${secrets}", scope="${secrets}", algs="ES256"`,
      'dpop-nonce': `nonce-${Math.random().toString(36).slice(2)}`,
    });
    response.end();
  };
}

let server: MisbehavingServer | undefined;
let agent: Agent | undefined;
afterEach(async () => {
  await agent?.close().catch(() => undefined);
  agent = undefined;
  await server?.close();
  server = undefined;
});

async function agentAgainst(
  routes: Record<string, Route>,
  accessToken = jwtAccessToken,
  options: Partial<AgentOptions> = {},
): Promise<{ agent: Agent; url: string }> {
  server = await startMisbehavingServer((url) => ({
    '/.well-known/oauth-authorization-server': (_, response) =>
      json(response, 200, metadataFor(url, { backchannel_authentication_endpoint: `${url}/ciba`, backchannel_token_delivery_modes_supported: ['poll'] })),
    '/token': (_, response) => json(response, 200, { access_token: accessToken, token_type: 'DPoP', expires_in: 300 }),
    ...routes,
  }));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  rememberKey(privateKey);
  agent = await createAgent({ issuer: server.url, clientId: 'echo-agent', key: createNodeSigner(privateKey), retries: 0, timeoutMs: 2_000, ...options });
  return { agent, url: server.url };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** No received secret, nor any 16-character piece of one, in any text of the error. */
function expectNoSecret(error: Error): void {
  const texts = textsOf(error).join('\n');
  expect(received.size).toBeGreaterThan(0);
  for (const secret of received) {
    expect(texts).not.toContain(secret);
    for (let start = 0; start + 16 <= secret.length; start += 16) expect(texts).not.toContain(secret.slice(start, start + 16));
  }
}

describe('a server that echoes the secrets it received', () => {
  it.each([
    ['invalid_grant', 400],
    ['invalid_scope', 400],
    ['invalid_dpop_proof', 400],
    ['server_error', 400],
  ])('token endpoint %s: an OAuthError without them', async (error, status) => {
    received.clear();
    const { agent } = await agentAgainst({ '/token': echoing(status, error) });
    const thrown = await failure(agent.getToken({ scope: 'accounts:read' }));
    expect(thrown).toBeInstanceOf(OAuthError);
    expect((thrown as OAuthError).errorDescription).toMatch(/^you sent \[redacted\]/);
    expectNoSecret(thrown);
  });

  it('token endpoint: an error code that is itself a secret', async () => {
    received.clear();
    const { agent } = await agentAgainst({
      '/token': (request, response, body) => json(response, 400, { error: secretsOf(request, body)[0] }),
    });
    const thrown = await failure(agent.getToken());
    expect(thrown).toBeInstanceOf(OAuthError);
    expectNoSecret(thrown);
  });

  it('token endpoint invalid_client: an AgentRevokedError (and its cause) without them', async () => {
    received.clear();
    const { agent } = await agentAgainst({ '/token': echoing(401, 'invalid_client') });
    const thrown = await failure(agent.getToken());
    expect(thrown).toBeInstanceOf(AgentRevokedError);
    expect((thrown as AgentRevokedError).error).toBe('invalid_client');
    expectNoSecret(thrown);
    // Later calls throw the stored refusal: still clean.
    expectNoSecret(await failure(agent.fetch(`${server!.url}/accounts`)));
  });

  it('token endpoint use_dpop_nonce twice: the second refusal without them', async () => {
    received.clear();
    const { agent } = await agentAgainst({
      '/token': (request, response, body) => {
        const secrets = secretsOf(request, body).join(' ');
        json(response, 400, { error: 'use_dpop_nonce', error_description: secrets }, { 'dpop-nonce': `n-${Math.random()}` });
      },
    });
    const thrown = await failure(agent.getToken());
    expect(thrown).toMatchObject({ error: 'use_dpop_nonce' });
    expectNoSecret(thrown);
  });

  it('backchannel authentication endpoint: an OAuthError without them', async () => {
    received.clear();
    const { agent } = await agentAgainst({ '/ciba': echoing(400, 'invalid_request') });
    const thrown = await failure(
      agent.requestApproval({ loginHint: 'alice', bindingMessage: 'pay 10', authorizationDetails: [{ type: 'agent_action', tool: 'pay' }] }),
    );
    expect(thrown).toBeInstanceOf(OAuthError);
    expectNoSecret(thrown);
  });

  it('CIBA poll: a refused grant without them (the auth_req_id included)', async () => {
    received.clear();
    const { agent } = await agentAgainst({
      '/ciba': (_, response) => json(response, 200, { auth_req_id: 'auth-req-0123456789abcdefghijklmnop', expires_in: 60, interval: 1 }),
      '/token': echoing(400, 'invalid_grant'),
    });
    const pending = await agent.requestApproval({ loginHint: 'alice', bindingMessage: 'pay 10', authorizationDetails: [{ type: 'agent_action', tool: 'pay' }] });
    const thrown = await failure(pending.wait());
    expectNoSecret(thrown);
    expect(JSON.stringify(pending.toJSON())).not.toContain('you sent eyJ');
  });

  it('revocation endpoint: the failure close() records in the audit trail carries no secret', async () => {
    received.clear();
    const events: AuditEvent[] = [];
    const { agent: current } = await agentAgainst({ '/token/revocation': echoing(400, 'unsupported_token_type') }, jwtAccessToken, {
      audit: { write: (event) => void events.push(event) },
    });
    await current.getToken();
    await current.close().catch(() => undefined);
    agent = undefined;
    const failed = events.find((event) => event.event === 'token.revoked' && event.outcome === 'error');
    expect(failed?.error?.message).toMatch(/unsupported_token_type/);
    expect(received.has(jwtAccessToken)).toBe(true);
    expectNoSecret(new Error(JSON.stringify(events)));
  });

  it.each([
    ['a JWT access token', jwtAccessToken],
    ['an opaque access token', opaqueAccessToken],
  ])('resource challenges echoing %s: typed errors without them, through agent.fetch', async (_, accessToken) => {
    for (const [status, error, type] of [
      [403, 'insufficient_scope', InsufficientScopeError],
      [401, 'invalid_token', ResourceChallengeError],
      [401, 'use_dpop_nonce', ResourceChallengeError],
      [401, 'invalid_dpop_proof', ResourceChallengeError],
    ] as const) {
      received.clear();
      const { agent, url } = await agentAgainst({ '/accounts': challenging(status, error) }, accessToken);
      const thrown = await failure(agent.fetch(`${url}/accounts`, { resource: url }));
      expect(thrown).toBeInstanceOf(type);
      expect(received.has(accessToken)).toBe(true);
      expectNoSecret(thrown);
      await agent.close().catch(() => undefined);
      await server!.close();
      server = undefined;
    }
  });

  it('resource challenges through agent.dispatcher(): typed errors without them', async () => {
    received.clear();
    const { agent, url } = await agentAgainst({ '/accounts': challenging(403, 'insufficient_scope') }, opaqueAccessToken);
    const thrown = await failure(request(`${url}/accounts`, { dispatcher: agent.dispatcher({ resource: url }) }));
    expect(thrown).toBeInstanceOf(InsufficientScopeError);
    expectNoSecret(thrown);
  });

  it('a non-OAuth error body echoing the secrets gives a ResponseError without them', async () => {
    received.clear();
    const { agent } = await agentAgainst({
      '/token': (request, response, body) => json(response, 500, `<pre>${secretsOf(request, body).join(' ')}</pre>`),
    });
    const thrown = await failure(agent.getToken());
    expect(thrown).toBeInstanceOf(ResponseError);
    expectNoSecret(thrown);
  });
});
