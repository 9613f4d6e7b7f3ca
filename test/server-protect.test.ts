/**
 * @countersign/server protecting a real Express API, with tokens from the devkit's real
 * authorization server: the real agent (@countersign/core) gets through, with routine and approved
 * action tokens, and every hand-made hostile request is refused with the right status and
 * challenge while the protected handler is never called.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createNodeSigner, guardTool, type AccessToken } from '@countersign/core';
import { createDpopProver, parseWwwAuthenticate, type DpopProver } from '@countersign/core/dpop';
import { startDevStack, type DevStack } from '@countersign/devkit';
import { createResourceServer, nodeMiddleware, type ResourceServer, type VerifiedIncomingMessage } from '@countersign/server';
import { createDevAgent, type DevAgent } from './helpers/dev-agent.js';

let stack: DevStack;
let otherStack: DevStack;
let server: Server;
let api: string;
let rs: ResourceServer;
let dev: Omit<DevAgent, 'stack'>;
let prover: DpopProver;
let dpopKey: ReturnType<typeof createNodeSigner>;
/** Milliseconds added to the API's clock (to expire tokens and rotate nonces without waiting). */
let shift = 0;
const calls = { notes: 0, deletes: 0, archives: 0 };

beforeAll(async () => {
  const app = express();
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const resources = [{ url: api, scopes: ['notes:read', 'notes:delete'] }];
  stack = await startDevStack({ port: 0, toolApiPort: 0, accessTokenTtl: 60, resources });
  otherStack = await startDevStack({ port: 0, toolApiPort: 0, resources });
  rs = await createResourceServer({
    issuer: stack.issuer,
    resource: api,
    nonce: { secret: randomBytes(32), lifetime: 60 },
    proofMaxAge: 300,
    now: () => Date.now() + shift,
  });

  app.get('/.well-known/oauth-protected-resource', (_request, response) => void response.json(rs.metadata()));
  app.get('/notes', nodeMiddleware(rs, { scope: 'notes:read' }), (_request, response) => {
    calls.notes += 1;
    response.json({ notes: ['one', 'two'] });
  });
  const approvedCall = (tool: string) =>
    nodeMiddleware(rs, (request) => ({
      scope: 'notes:delete',
      action: { tool, args: (request as express.Request).body, approvers: (request as express.Request).body?.everything === true ? 2 : 1 },
    }));
  app.post('/notes/delete', express.json(), approvedCall('delete_note'), (request, response) => {
    calls.deletes += 1;
    response.status(200).json({ deleted: request.body.id, by: (request as unknown as VerifiedIncomingMessage).countersign.agent.clientId });
  });
  app.post('/notes/archive', express.json(), approvedCall('archive_note'), (_request, response) => {
    calls.archives += 1;
    response.json({ archived: true });
  });

  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  dpopKey = createNodeSigner(privateKey);
  prover = createDpopProver(dpopKey);
  dev = await createDevAgent(stack, ['notes:read', 'notes:delete'], { dpop: { key: dpopKey } });
});

afterAll(async () => {
  await dev?.close();
  await Promise.allSettled([stack?.close(), otherStack?.close()]);
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/** A hand-made request: raw node fetch, the proof and headers exactly as given. */
async function send(path: string, init: { method?: string; authorization?: string; proof?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.authorization !== undefined) headers.authorization = init.authorization;
  if (init.proof !== undefined) headers.dpop = init.proof;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${api}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const body = (await response.json()) as Record<string, unknown>;
  const [challenge] = parseWwwAuthenticate(response.headers.get('www-authenticate'));
  return { status: response.status, body, challenge, nonce: response.headers.get('dpop-nonce') };
}

async function currentNonce(): Promise<string> {
  const { nonce } = await send('/notes');
  return nonce!;
}

/** A valid proof by `signer` for `method path`, unless `change` says otherwise. */
async function proofFor(token: string, method: string, path: string, change: { url?: string; now?: number; nonce?: string | null; signer?: DpopProver } = {}) {
  const nonce = change.nonce === null ? undefined : (change.nonce ?? (await currentNonce()));
  return (change.signer ?? prover).proof({ method, url: change.url ?? `${api}${path}`, accessToken: token, nonce, now: change.now });
}

function expectRefusal(answer: Awaited<ReturnType<typeof send>>, status: number, error: string, description?: RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.body.error).toBe(error);
  expect(answer.challenge?.scheme).toBe('dpop'); // the parser lower-cases schemes
  expect(answer.challenge?.parameters.error).toBe(error);
  expect(answer.challenge?.parameters.algs).toBe('ES256 EdDSA');
  if (description !== undefined) expect(answer.challenge?.parameters.error_description).toMatch(description);
}

/** Runs `attack` and checks that no protected handler ran. */
async function unhandled<T>(attack: () => Promise<T>): Promise<T> {
  const before = { ...calls };
  const result = await attack();
  expect(calls).toEqual(before);
  return result;
}

const deleteTool = () => {
  const tokens: AccessToken[] = [];
  const tool = guardTool(dev.agent, {
    name: 'delete_note',
    description: 'Deletes a note for good',
    schema: z.object({ id: z.string(), everything: z.boolean().optional() }),
    risk: 'irreversible',
    resource: api,
    scope: 'notes:delete',
    approval: { approver: 'alice', describe: (args) => `Delete note ${args.id}` },
    async execute(args, context) {
      tokens.push(context.token);
      const response = await context.fetch(`${api}/notes/delete`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
  });
  return { tool, tokens };
};

/** Runs `delete_note(args)` through a real approval by alice; returns the outcome and the action token used. */
async function approvedDelete(args: { id: string; everything?: boolean }) {
  const { tool, tokens } = deleteTool();
  const pending = await tool.invoke(args);
  if (pending.status !== 'approval_pending') throw new Error(`expected approval_pending, got ${pending.status}`);
  const view = stack.approvals.list().find((candidate) => candidate.bindingMessage === pending.bindingMessage)!;
  await stack.approvals.approve(view.id, 'alice');
  const done = await tool.resume(pending.approvalId, args, { wait: true });
  return { done, token: tokens[0]! };
}

describe('@countersign/server protecting an Express API, tokens from the devkit AS', () => {
  it('serves RFC 9728 metadata naming the issuer and requiring DPoP-bound tokens', async () => {
    const metadata = (await (await fetch(`${api}/.well-known/oauth-protected-resource`)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ resource: api, authorization_servers: [stack.issuer], dpop_bound_access_tokens_required: true });
  });

  it('lets the real agent read with a routine token (nonce challenge answered by the agent)', async () => {
    const before = calls.notes;
    const response = await dev.agent.fetch(`${api}/notes`, { resource: api, scope: 'notes:read' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ notes: ['one', 'two'] });
    expect(response.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(calls.notes).toBe(before + 1);
  });

  it('runs an approved call exactly once; the action token is spent', async () => {
    const before = calls.deletes;
    const { done, token } = await approvedDelete({ id: 'n-1' });
    expect(done).toMatchObject({ status: 'done', result: { status: 200, body: { deleted: 'n-1', by: dev.clientId } } });
    expect(calls.deletes).toBe(before + 1);
    const again = await unhandled(async () =>
      send('/notes/delete', { method: 'POST', authorization: `DPoP ${token.accessToken}`, proof: await proofFor(token.accessToken, 'POST', '/notes/delete'), body: { id: 'n-1' } }),
    );
    expectRefusal(again, 401, 'invalid_token', /already used/);
  });

  it('refuses an action token for other arguments, for another tool, or with too few approvers', async () => {
    const { token } = await approvedDelete({ id: 'n-2', everything: true });
    // Approved by one person for { id: n-2, everything: true }, which the API wants two for: refused, not spent.
    const post = async (path: string, body: unknown) =>
      send(path, { method: 'POST', authorization: `DPoP ${token.accessToken}`, proof: await proofFor(token.accessToken, 'POST', path), body });
    const otherArgs = await unhandled(() => post('/notes/delete', { id: 'n-3', everything: true }));
    expectRefusal(otherArgs, 403, 'insufficient_scope', /args_sha256/);
    expect(otherArgs.challenge?.parameters.scope).toBe('notes:delete');
    // The refusal says what to ask the authorization server for.
    expect(otherArgs.body.authorization_details).toEqual([
      expect.objectContaining({ type: 'agent_action', tool: 'delete_note', args: { id: 'n-3', everything: true }, locations: [api] }),
    ]);
    expectRefusal(await unhandled(() => post('/notes/archive', { id: 'n-2', everything: true })), 403, 'insufficient_scope', /agent_action for archive_note/);
    expectRefusal(await unhandled(() => post('/notes/delete', { id: 'n-2', everything: true })), 403, 'insufficient_scope', /2 distinct approvers; the token names 1/);
  });

  it('refuses a replayed proof, and a proof for another method or URL', async () => {
    const { accessToken } = await dev.agent.getToken({ resource: api, scope: 'notes:read' });
    const authorization = `DPoP ${accessToken}`;
    const proof = await proofFor(accessToken, 'GET', '/notes');
    expect((await send('/notes', { authorization, proof })).status).toBe(200);
    expectRefusal(await unhandled(() => send('/notes', { authorization, proof })), 401, 'invalid_dpop_proof', /jti/);
    expectRefusal(await unhandled(async () => send('/notes', { authorization, proof: await proofFor(accessToken, 'POST', '/notes') })), 401, 'invalid_dpop_proof', /htm/);
    expectRefusal(
      await unhandled(async () => send('/notes', { authorization, proof: await proofFor(accessToken, 'GET', '/notes', { url: `${api}/notes/delete` }) })),
      401,
      'invalid_dpop_proof',
      /htu/,
    );
    expectRefusal(
      await unhandled(async () => send('/notes', { authorization, proof: await proofFor(accessToken, 'GET', '/notes', { url: `${stack.toolApiUrl}/notes` }) })),
      401,
      'invalid_dpop_proof',
      /htu/,
    );
  });

  it('refuses a stale proof, agent A’s token with agent B’s proof, and a Bearer downgrade', async () => {
    const { accessToken } = await dev.agent.getToken({ resource: api, scope: 'notes:read' });
    const authorization = `DPoP ${accessToken}`;
    const stale = await proofFor(accessToken, 'GET', '/notes', { now: Date.now() / 1000 - 600 });
    expectRefusal(await unhandled(() => send('/notes', { authorization, proof: stale })), 401, 'invalid_dpop_proof', /iat/);
    const agentB = createDpopProver(createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey));
    const stolen = await proofFor(accessToken, 'GET', '/notes', { signer: agentB });
    expectRefusal(await unhandled(() => send('/notes', { authorization, proof: stolen })), 401, 'invalid_token', /cnf\.jkt/);
    const bearer = await unhandled(async () => send('/notes', { authorization: `Bearer ${accessToken}`, proof: await proofFor(accessToken, 'GET', '/notes') }));
    expectRefusal(bearer, 401, 'invalid_token', /Bearer/);
    const none = await unhandled(() => send('/notes'));
    expect(none.status).toBe(401);
    expect(none.challenge?.parameters).toEqual({ scope: 'notes:read', algs: 'ES256 EdDSA', resource_metadata: `${api}/.well-known/oauth-protected-resource` });
  });

  it('refuses an expired token, a token for another API and one from another authorization server', async () => {
    const { accessToken } = await dev.agent.getToken({ resource: api, scope: 'notes:read' });
    shift = 70_000; // past the 60 s token's exp plus the 5 s tolerance
    try {
      const expired = await unhandled(async () => send('/notes', { authorization: `DPoP ${accessToken}`, proof: await proofFor(accessToken, 'GET', '/notes') }));
      expectRefusal(expired, 401, 'invalid_token', /expired/);
    } finally {
      shift = 0;
    }
    // Signed by the right issuer and bound to the same DPoP key, but for the treasury API: wrong audience.
    const treasuryDev = await createDevAgent(stack, ['accounts:read'], { dpop: { key: dpopKey } });
    try {
      const treasury = await treasuryDev.agent.getToken({ resource: stack.toolApiUrl, scope: 'accounts:read' });
      const wrongAudience = await unhandled(async () =>
        send('/notes', { authorization: `DPoP ${treasury.accessToken}`, proof: await proofFor(treasury.accessToken, 'GET', '/notes') }),
      );
      expectRefusal(wrongAudience, 401, 'invalid_token', /aud/);
    } finally {
      await treasuryDev.close();
    }
    // From another authorization server that also serves this API: not the configured issuer's key.
    const foreign = await createDevAgent(otherStack, ['notes:read'], { dpop: { key: dpopKey } });
    try {
      const { accessToken: foreignToken } = await foreign.agent.getToken({ resource: api, scope: 'notes:read' });
      const wrongIssuer = await unhandled(async () => send('/notes', { authorization: `DPoP ${foreignToken}`, proof: await proofFor(foreignToken, 'GET', '/notes') }));
      expectRefusal(wrongIssuer, 401, 'invalid_token', /key the issuer does not publish/);
    } finally {
      await foreign.close();
    }
  });

  it('requires the server nonce, rotates it, and the real agent follows the rotation', async () => {
    const { accessToken } = await dev.agent.getToken({ resource: api, scope: 'notes:read' });
    const authorization = `DPoP ${accessToken}`;
    const missing = await unhandled(async () => send('/notes', { authorization, proof: await proofFor(accessToken, 'GET', '/notes', { nonce: null }) }));
    expectRefusal(missing, 401, 'use_dpop_nonce');
    const old = missing.nonce!;
    expect(old).toMatch(/^[A-Za-z0-9_-]{22}$/);
    shift = 125_000; // two 60 s windows later: the old nonce is no longer accepted
    try {
      const rotated = await unhandled(async () => send('/notes', { authorization, proof: await proofFor(accessToken, 'GET', '/notes', { nonce: old, now: (Date.now() + shift) / 1000 }) }));
      expectRefusal(rotated, 401, 'use_dpop_nonce');
      expect(rotated.nonce).not.toBe(old);
    } finally {
      shift = 0;
    }
    const before = calls.notes;
    expect((await dev.agent.fetch(`${api}/notes`, { resource: api, scope: 'notes:read' })).status).toBe(200);
    expect(calls.notes).toBe(before + 1);
  });

  it('answers non-JSON bodies 400 and duplicate proof headers 401, without calling the handler', async () => {
    const { accessToken } = await dev.agent.getToken({ resource: api, scope: 'notes:read' });
    const proof = await proofFor(accessToken, 'GET', '/notes');
    const headers = new Headers({ authorization: `DPoP ${accessToken}` });
    headers.append('dpop', proof);
    headers.append('dpop', proof);
    const twice = await unhandled(() => fetch(`${api}/notes`, { headers }));
    expect(twice.status).toBe(401);
    expect((await twice.json()) as Record<string, unknown>).toMatchObject({ error: 'invalid_dpop_proof', error_description: 'exactly one DPoP proof header is allowed' });
    const garbage = await unhandled(() =>
      fetch(`${api}/notes/delete`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `DPoP ${accessToken}`, dpop: proof }, body: '{"id": ' }),
    );
    expect(garbage.status).toBe(400);
  });
});
