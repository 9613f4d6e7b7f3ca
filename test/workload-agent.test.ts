/**
 * An agent without a key file (issue 16, item 1): `createAgent({ workloadToken })` gets DPoP-bound
 * tokens with the RFC 7523 JWT bearer grant from the devkit's real authorization server, which
 * trusts the stack's workload issuer (a stand-in for Kubernetes or SPIFFE). The token file is read
 * again before every token request, so a rotated file is used at once; refusals (`invalid_grant`,
 * `invalid_scope`, `unauthorized_client`) end in JwtBearerGrantError without retries, without a
 * second request for the same JWT, and without falling back to another grant.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '@countersign/devkit';
import { createAgent } from '../packages/core/src/agent.js';
import type { AuditEvent } from '../packages/core/src/audit/types.js';
import { AgentRevokedError, ConfigurationError } from '../packages/core/src/errors.js';
import { generateKey } from '../packages/core/src/keys/generate-key.js';
import { JWT_BEARER_GRANT_TYPE, JwtBearerGrantError, WorkloadTokenError } from '../packages/core/src/oauth/jwt-bearer-grant.js';
import type { Agent } from '../packages/core/src/types.js';
import { createCountingDispatcher, type CountingDispatcher } from './helpers/counting-dispatcher.js';

const subject = 'system:serviceaccount:payments:payout-agent';
let stack: DevStack;
let directory: string;
const open: Array<{ agent?: Agent; counting: CountingDispatcher }> = [];

beforeAll(async () => {
  stack = await startDevStack({ port: 0, toolApiPort: 0 });
  directory = await mkdtemp(join(tmpdir(), 'countersign-workload-'));
});
afterEach(async () => {
  for (const { agent, counting } of open.splice(0)) {
    await agent?.close();
    await counting.close();
  }
});
afterAll(async () => {
  await stack?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

/** Writes the token the way a kubelet does: a new file renamed over the old one. */
async function writeToken(file: string, token: string): Promise<void> {
  await writeFile(`${file}.next`, token, { mode: 0o600 });
  await rename(`${file}.next`, file);
}

async function startWorkloadAgent(clientId: string, workloadToken: Parameters<typeof createAgent>[0]['workloadToken'], events: AuditEvent[] = []) {
  const counting = createCountingDispatcher();
  const entry: { agent?: Agent; counting: CountingDispatcher } = { counting };
  open.push(entry);
  // The grant_type of every token request that carried a server nonce in its DPoP proof: a real
  // attempt, not the first request's nonce challenge (nothing else of the body is kept).
  const grants: string[] = [];
  const dispatcher = counting.dispatcher.compose((dispatch) => (options, handler) => {
    const headers = options.headers as Record<string, string> | undefined;
    if (typeof options.body === 'string' && options.path.startsWith('/token') && headers?.dpop && decodeJwt(headers.dpop).nonce !== undefined) {
      grants.push(String(new URLSearchParams(options.body).get('grant_type')));
    }
    return dispatch(options, handler);
  });
  entry.agent = await createAgent({
    issuer: stack.issuer,
    clientId,
    workloadToken: workloadToken!,
    dispatcher,
    audit: { write: (event) => void events.push(event) },
  });
  return { agent: entry.agent, counting, grants, tokenRequests: () => grants.length };
}

describe('createAgent with a workload token (JWT bearer grant)', () => {
  it('gets DPoP-bound tokens with a token file and uses a rotated file on the next token request', async () => {
    stack.registerWorkloadAgent({ clientId: 'workload-reader', subject, scopes: ['accounts:read'] });
    const file = join(directory, 'token-rotation');
    const first = await stack.workloadIssuer.issueToken({ subject });
    await writeToken(file, first);
    const events: AuditEvent[] = [];
    const { agent, counting, grants } = await startWorkloadAgent('workload-reader', { file }, events);

    expect(agent.keyId).toBe(`workload:${subject}`);
    expect(await agent.publicJwks()).toEqual({ keys: [] });
    const response = await agent.fetch(`${stack.toolApiUrl}/accounts`, { resource: stack.toolApiUrl, scope: 'accounts:read' });
    expect(response.status).toBe(200);
    const token = await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
    expect(token.tokenType).toBe('DPoP');
    const claims = decodeJwt(token.accessToken);
    expect(claims.client_id).toBe('workload-reader');
    expect((claims.cnf as { jkt: string }).jkt).toBe(agent.dpopThumbprint);

    // The platform rotates the token: the next token request (another scope set) presents the new JWT.
    const second = await stack.workloadIssuer.issueToken({ subject });
    expect(second).not.toBe(first);
    await writeToken(file, second);
    stack.registerWorkloadAgent({ clientId: 'workload-reader', subject, scopes: ['accounts:read', 'payouts:write'] });
    const before = counting.count(stack.issuer, '/token', 200);
    const rotated = await agent.getToken({ resource: stack.toolApiUrl, scope: 'payouts:write' });
    expect(counting.count(stack.issuer, '/token', 200)).toBe(before + 1);
    expect(decodeJwt(rotated.accessToken).client_id).toBe('workload-reader');

    // Once the old JWT has expired on the platform side, a file holding only an expired token is refused:
    // the rotated one is what the server accepted, so the file was really read again.
    await writeToken(file, await stack.workloadIssuer.issueToken({ subject, expiresInSeconds: -120 }));
    await expect(agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read payouts:write' })).rejects.toMatchObject({
      code: 'ERR_JWT_BEARER_GRANT',
      error: 'invalid_grant',
    });
    expect(events.filter((event) => event.event === 'token.issued')).toHaveLength(2);
    expect(grants).toEqual([JWT_BEARER_GRANT_TYPE, JWT_BEARER_GRANT_TYPE, JWT_BEARER_GRANT_TYPE]);
    const audited = JSON.stringify(events);
    expect(audited).not.toContain(first);
    expect(audited).not.toContain(second);
    expect(events.every((event) => event.kid === `workload:${subject}`)).toBe(true);
  });

  it('reads a callback before every token request', async () => {
    stack.registerWorkloadAgent({ clientId: 'workload-callback', subject: 'spiffe://devkit.test/ns/payments/sa/reader', scopes: ['accounts:read'] });
    let calls = 0;
    const { agent } = await startWorkloadAgent('workload-callback', async () => {
      calls += 1;
      return stack.workloadIssuer.issueToken({ subject: 'spiffe://devkit.test/ns/payments/sa/reader' });
    });
    const afterStart = calls;
    await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
    await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' }); // cached: no token request
    await agent.getToken({ resource: stack.toolApiUrl });
    expect(calls - afterStart).toBe(2);
  });

  it('surfaces invalid_grant (wrong subject, wrong audience, untrusted signer) once, without retry or another grant', async () => {
    stack.registerWorkloadAgent({ clientId: 'workload-refused', subject, scopes: ['accounts:read'] });
    const file = join(directory, 'token-refused');
    await writeToken(file, await stack.workloadIssuer.issueToken({ subject: 'system:serviceaccount:payments:someone-else' }));
    const { agent, grants, tokenRequests } = await startWorkloadAgent('workload-refused', { file });

    const refusal = await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(JwtBearerGrantError);
    expect(refusal).toMatchObject({ error: 'invalid_grant', status: 400 });
    expect((refusal as JwtBearerGrantError).errorDescription).toMatch(/subject/);
    expect(tokenRequests()).toBe(1);

    // The agent loop asks again and again with the same JWT: nothing more is sent.
    for (let attempt = 0; attempt < 5; attempt++) {
      await expect(agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' })).rejects.toBeInstanceOf(JwtBearerGrantError);
      await expect(agent.fetch(`${stack.toolApiUrl}/accounts`, { resource: stack.toolApiUrl, scope: 'accounts:read' })).rejects.toBeInstanceOf(
        JwtBearerGrantError,
      );
    }
    expect(tokenRequests()).toBe(1);

    // Other JWTs the server must refuse: wrong audience, and one signed by a key it does not trust.
    await writeToken(file, await stack.workloadIssuer.issueToken({ subject, audience: 'https://elsewhere.example' }));
    await expect(agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' })).rejects.toMatchObject({
      error: 'invalid_grant',
      errorDescription: expect.stringMatching(/audience/),
    });
    const stranger = await startDevStack({ port: 0, toolApiPort: 0 });
    try {
      await writeToken(file, await stranger.workloadIssuer.issueToken({ subject, audience: stack.issuer }));
    } finally {
      await stranger.close();
    }
    await expect(agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' })).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(tokenRequests()).toBe(3);

    // Only ever the JWT bearer grant, never client_credentials or anything else.
    expect(grants).toEqual([JWT_BEARER_GRANT_TYPE, JWT_BEARER_GRANT_TYPE, JWT_BEARER_GRANT_TYPE]);

    // A good JWT in the file: the same agent recovers without a restart.
    await writeToken(file, await stack.workloadIssuer.issueToken({ subject }));
    const token = await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
    expect(decodeJwt(token.accessToken).client_id).toBe('workload-refused');
    expect(tokenRequests()).toBe(4);
  });

  it('surfaces invalid_scope for that scope only', async () => {
    stack.registerWorkloadAgent({ clientId: 'workload-scoped', subject, scopes: ['accounts:read'] });
    const file = join(directory, 'token-scoped');
    await writeToken(file, await stack.workloadIssuer.issueToken({ subject }));
    const { agent, tokenRequests } = await startWorkloadAgent('workload-scoped', { file });

    const refusal = await agent.getToken({ resource: stack.toolApiUrl, scope: 'payouts:write' }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(JwtBearerGrantError);
    expect(refusal).toMatchObject({ error: 'invalid_scope' });
    await expect(agent.getToken({ resource: stack.toolApiUrl, scope: 'payouts:write' })).rejects.toMatchObject({ error: 'invalid_scope' });
    expect(tokenRequests()).toBe(1);
    // The same JWT still gets the scopes the agent holds.
    await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
    expect(tokenRequests()).toBe(2);
  });

  it('surfaces unauthorized_client for a client not registered for a workload, and invalid_client for an unknown one', async () => {
    const file = join(directory, 'token-unauthorized');
    await writeToken(file, await stack.workloadIssuer.issueToken({ subject }));

    // A client that authenticates with private_key_jwt but is not allowed the JWT bearer grant.
    const counting = createCountingDispatcher();
    const entry: { agent?: Agent; counting: CountingDispatcher } = { counting };
    open.push(entry);
    entry.agent = await createAgent({ issuer: stack.issuer, clientId: 'keyed-agent', key: await generateKey(), workloadToken: { file }, dispatcher: counting.dispatcher });
    stack.registerAgent({ clientId: 'keyed-agent', jwks: await entry.agent.publicJwks(), scopes: ['accounts:read'] });
    await expect(entry.agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' })).rejects.toMatchObject({
      code: 'ERR_JWT_BEARER_GRANT',
      error: 'unauthorized_client',
    });
    const sent = counting.count(stack.issuer, '/token');
    await expect(entry.agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' })).rejects.toBeInstanceOf(JwtBearerGrantError);
    expect(counting.count(stack.issuer, '/token')).toBe(sent);

    const { agent } = await startWorkloadAgent('nobody-registered-this', { file });
    await expect(agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' })).rejects.toBeInstanceOf(AgentRevokedError);
  });

  it('accepts no client authentication only from workload agents, and only for the JWT bearer grant', async () => {
    const identity = await createAgent({ issuer: stack.issuer, clientId: 'keyed-only', key: await generateKey() });
    open.push({ agent: identity, counting: createCountingDispatcher() });
    stack.registerAgent({ clientId: 'keyed-only', jwks: await identity.publicJwks(), scopes: ['accounts:read'] });
    stack.registerWorkloadAgent({ clientId: 'workload-only', subject, scopes: ['accounts:read'] });
    const assertion = await stack.workloadIssuer.issueToken({ subject });
    const post = async (parameters: Record<string, string>) => {
      const response = await fetch(`${stack.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(parameters).toString(),
      });
      return { status: response.status, body: (await response.json()) as { error?: string; error_description?: string } };
    };
    // A private_key_jwt agent naming itself without an assertion is refused, whatever the grant.
    expect((await post({ grant_type: 'client_credentials', client_id: 'keyed-only' })).body.error).toBe('invalid_client');
    expect((await post({ grant_type: JWT_BEARER_GRANT_TYPE, client_id: 'keyed-only', assertion })).body.error).toBe('invalid_client');
    // A workload agent may not use client credentials or CIBA.
    expect((await post({ grant_type: 'client_credentials', client_id: 'workload-only' })).body.error).toBe('invalid_request');
    const ciba = await fetch(`${stack.issuer}/backchannel`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'workload-only', scope: 'openid', login_hint: 'alice', binding_message: 'x' }).toString(),
    });
    expect(ciba.status).toBeGreaterThanOrEqual(400);
    // And without a DPoP proof it gets nothing: tokens are sender-bound.
    const unbound = await post({ grant_type: JWT_BEARER_GRANT_TYPE, client_id: 'workload-only', assertion, resource: stack.toolApiUrl });
    expect(unbound.status).toBe(400);
    expect(unbound.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/DPoP/) });
    expect(unbound.body).not.toHaveProperty('access_token');
  });

  it('the kill switch stops a workload agent', async () => {
    stack.registerWorkloadAgent({ clientId: 'workload-killed', subject, scopes: ['accounts:read'] });
    const file = join(directory, 'token-killed');
    await writeToken(file, await stack.workloadIssuer.issueToken({ subject }));
    const { agent } = await startWorkloadAgent('workload-killed', { file });
    const token = await agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
    stack.disableAgent('workload-killed');
    await expect(agent.fetch(`${stack.toolApiUrl}/accounts`, { token })).rejects.toMatchObject({ status: 401, error: 'invalid_token' });
    await expect(agent.getToken({ resource: stack.toolApiUrl })).rejects.toBeInstanceOf(AgentRevokedError);
  });

  it('fails at start on a missing or malformed token file, and refuses approvals without a key', async () => {
    await expect(createAgent({ issuer: stack.issuer, clientId: 'x', workloadToken: { file: join(directory, 'absent') } })).rejects.toBeInstanceOf(
      WorkloadTokenError,
    );
    const garbage = join(directory, 'garbage');
    await writeFile(garbage, 'not a jwt at all', { mode: 0o600 });
    const failure = await createAgent({ issuer: stack.issuer, clientId: 'x', workloadToken: { file: garbage } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkloadTokenError);
    expect(String((failure as Error).message)).not.toContain('not a jwt at all');
    await expect(createAgent({ issuer: stack.issuer, clientId: 'x' } as never)).rejects.toBeInstanceOf(ConfigurationError);

    stack.registerWorkloadAgent({ clientId: 'workload-approvals', subject, scopes: ['accounts:read', 'payouts:write'] });
    const file = join(directory, 'token-approvals');
    await writeToken(file, await stack.workloadIssuer.issueToken({ subject }));
    const { agent } = await startWorkloadAgent('workload-approvals', { file });
    await expect(
      agent.requestApproval({ loginHint: 'alice', bindingMessage: 'pay', authorizationDetails: [{ type: 'agent_action', tool: 'x' }] } as never),
    ).rejects.toBeInstanceOf(ConfigurationError);
    expect(JWT_BEARER_GRANT_TYPE).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
  });
});
