import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { protectFetch } from './adapters/fetch.js';
import { readJsonRequest } from './adapters/request-body.js';
import { createResourceServer } from './resource-server.js';
import type { Refused } from './types.js';
import { buildProof, createDpopTestKey, createTestIssuer, testArgumentsHash } from './testing/hostile-kit.js';

const resource = 'https://api.example';
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

/** A real loopback HTTP endpoint answering with `answer(request, body)`; counts its requests. */
async function endpoint(answer: (request: IncomingMessage, body: string) => { status: number; json: unknown }) {
  const seen: Array<{ authorization: string | undefined; body: string }> = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ authorization: request.headers.authorization, body });
      const { status, json } = answer(request, body);
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function proofRequest(token: string, key: Awaited<ReturnType<typeof createDpopTestKey>>, init: { method?: string; path?: string; body?: unknown } = {}) {
  const method = init.method ?? 'GET';
  const url = `${resource}${init.path ?? '/accounts'}`;
  const headers: Record<string, string> = { authorization: `DPoP ${token}`, dpop: await buildProof(key, { htm: method, htu: url, accessToken: token }) };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return new Request(url, { method, headers, body: init.body === undefined ? null : JSON.stringify(init.body) });
}

describe('RFC 7662 introspection', () => {
  it('authenticates as the resource server, accepts an active bound token, reuses the answer, and refuses an inactive one', async () => {
    const key = await createDpopTestKey();
    const now = Math.floor(Date.now() / 1000);
    const active = new Set(['opaque-token-1']);
    const introspection = await endpoint((_request, body) => {
      const token = new URLSearchParams(body).get('token')!;
      if (!active.has(token)) return { status: 200, json: { active: false } };
      return {
        status: 200,
        json: { active: true, iss: 'https://as.example', aud: resource, exp: now + 60, client_id: 'agent-a', scope: 'accounts:read', cnf: { jkt: key.jkt }, token_type: 'DPoP' },
      };
    });
    const rs = await createResourceServer({
      issuer: 'https://as.example',
      resource,
      tokens: { kind: 'introspection', endpoint: `${introspection.url}/introspect`, clientId: 'api example', clientSecret: 's3cret:x', cacheTtl: 30 },
    });
    const first = await rs.verify(await proofRequest('opaque-token-1', key), { scope: 'accounts:read' });
    expect(first.ok && first.agent).toEqual({ clientId: 'agent-a', jkt: key.jkt });
    // RFC 6749 §2.3.1: form-encoded id and secret, then Basic.
    expect(introspection.seen[0]!.authorization).toBe(`Basic ${Buffer.from('api+example:s3cret%3Ax').toString('base64')}`);
    expect(new URLSearchParams(introspection.seen[0]!.body).get('token_type_hint')).toBe('access_token');
    expect((await rs.verify(await proofRequest('opaque-token-1', key))).ok).toBe(true);
    expect(introspection.seen).toHaveLength(1); // reused within cacheTtl

    const inactive = (await rs.verify(await proofRequest('revoked-token', key))) as Refused;
    expect({ status: inactive.status, error: inactive.error, reason: inactive.reason }).toEqual({ status: 401, error: 'invalid_token', reason: 'token_inactive' });
  });

  it('fails closed with 503 when the introspection endpoint is down', async () => {
    const key = await createDpopTestKey();
    const introspection = await endpoint(() => ({ status: 500, json: {} }));
    const rs = await createResourceServer({ issuer: 'https://as.example', resource, tokens: { kind: 'introspection', endpoint: introspection.url, clientId: 'api', clientSecret: 'x' } });
    const refused = (await rs.verify(await proofRequest('opaque', key))) as Refused;
    expect({ status: refused.status, reason: refused.reason }).toEqual({ status: 503, reason: 'introspection_unavailable' });
  });
});

describe('JWKS discovery and refresh', () => {
  it('discovers jwks_uri, refreshes on a new kid, and fetches at most once per cooldown for a flood of unknown kids', async () => {
    const issuer = await createTestIssuer(resource, 'https://as.example');
    let keys = { keys: [] as unknown[] };
    const as = await endpoint((request) => {
      if (request.url === '/.well-known/oauth-authorization-server') return { status: 200, json: { issuer: as.url, jwks_uri: `${as.url}/jwks`, token_endpoint: `${as.url}/token` } };
      return { status: 200, json: keys };
    });
    const rotated = await createTestIssuer(resource, as.url, 'rotated-key');
    let now = Date.now();
    const rs = await createResourceServer({ issuer: as.url, resource, tokens: { kind: 'jwt', refreshCooldown: 30 }, now: () => now });
    expect(as.seen).toHaveLength(1); // discovery only: keys are fetched on first use
    const key = await createDpopTestKey();
    keys = { keys: issuer.jwks.keys };
    const token = await rotated.token({ iss: as.url, cnf: { jkt: key.jkt } });
    // Unknown kid: fetched once (first use), still unknown, then a flood costs no further fetch.
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const refused = (await rs.verify(await proofRequest(token, key))) as Refused;
      expect(refused.reason).toBe('token_unknown_key');
    }
    expect(as.seen).toHaveLength(2);
    // The issuer rotates to the new key; after the cooldown the next unknown kid refreshes and succeeds.
    keys = { keys: rotated.jwks.keys };
    now += 31_000;
    const accepted = await rs.verify(await proofRequest(await rotated.token({ iss: as.url, cnf: { jkt: key.jkt } }), key));
    expect(accepted.ok).toBe(true);
    expect(as.seen).toHaveLength(3);
  });

  it('while the JWKS has never loaded, shares one fetch and then waits out the cooldown: a flood of forged requests costs one fetch', async () => {
    let jwksUp = false;
    const issuer = await createTestIssuer(resource, 'https://as.example');
    const as = await endpoint((request) => {
      if (request.url === '/.well-known/oauth-authorization-server') return { status: 200, json: { issuer: as.url, jwks_uri: `${as.url}/jwks`, token_endpoint: `${as.url}/token` } };
      return jwksUp ? { status: 200, json: issuer.jwks } : { status: 503, json: { error: 'down' } };
    });
    const jwksFetches = () => as.seen.length - 1; // minus discovery
    let now = Date.now();
    const rs = await createResourceServer({ issuer: as.url, resource, tokens: { kind: 'jwt', refreshCooldown: 30 }, now: () => now });
    const key = await createDpopTestKey();
    // Forged: any kid, signed by the attacker's own key, with a valid self-signed proof.
    const forger = await createTestIssuer(resource, as.url, 'made-up-kid');
    const forged = async () => proofRequest(await forger.token({ iss: as.url, cnf: { jkt: key.jkt } }), key);
    const expectUnavailable = (verdict: Awaited<ReturnType<typeof rs.verify>>) => {
      const refused = verdict as Refused;
      expect({ ok: refused.ok, status: refused.status, error: refused.error, reason: refused.reason }).toEqual({
        ok: false,
        status: 503,
        error: 'temporarily_unavailable',
        reason: 'keys_unavailable',
      });
    };
    const concurrent = await Promise.all(Array.from({ length: 25 }, async () => rs.verify(await forged())));
    concurrent.forEach(expectUnavailable);
    for (let attempt = 0; attempt < 25; attempt += 1) expectUnavailable(await rs.verify(await forged()));
    expect(jwksFetches()).toBe(1);

    // The AS recovers; still within the cooldown nothing is fetched, after it one fetch loads the keys.
    jwksUp = true;
    now += 29_000;
    expectUnavailable(await rs.verify(await forged()));
    expect(jwksFetches()).toBe(1);
    now += 2_000;
    const accepted = await rs.verify(await proofRequest(await issuer.token({ iss: as.url, cnf: { jkt: key.jkt } }), key));
    expect(accepted.ok).toBe(true);
    expect(jwksFetches()).toBe(2);
  });

  it('refuses to start when the metadata names another issuer', async () => {
    const as = await endpoint(() => ({ status: 200, json: { issuer: 'https://evil.example', jwks_uri: 'https://evil.example/jwks' } }));
    await expect(createResourceServer({ issuer: as.url, resource })).rejects.toMatchObject({ code: 'ERR_RESOURCE_SERVER_CONFIGURATION' });
  });
});

describe('protectFetch', () => {
  it('runs the handler only for a verified request, adds DPoP-Nonce, and answers bad bodies and refusals itself', async () => {
    const issuer = await createTestIssuer(resource);
    const key = await createDpopTestKey();
    const rs = await createResourceServer({ issuer: issuer.issuer, resource, tokens: { kind: 'jwt', jwks: issuer.jwks }, nonce: { secret: 'x'.repeat(32) } });
    let calls = 0;
    const handler = protectFetch(
      rs,
      async (request) => ({ scope: 'notes:delete', action: { tool: 'delete_note', args: await readJsonRequest(request) } }),
      async (request, verdict) => {
        calls += 1;
        return Response.json({ deleted: ((await request.json()) as { id: string }).id, approvers: verdict.approvers.map((approver) => approver.sub) });
      },
    );
    const args = { id: 'n-1' };
    const token = await issuer.token({
      cnf: { jkt: key.jkt },
      scope: 'notes:delete',
      authorization_details: [{ type: 'agent_action', tool: 'delete_note', args, args_sha256: testArgumentsHash(args) }],
      approvers: [{ sub: 'alice', approved_at: 1 }],
    });
    const send = async (body: unknown, nonce = rs.nonce()) => {
      const url = `${resource}/notes/delete`;
      const dpop = await buildProof(key, { htm: 'POST', htu: url, accessToken: token, nonce });
      return handler(new Request(url, { method: 'POST', headers: { authorization: `DPoP ${token}`, dpop, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }));
    };
    const notJson = await send('{"id":');
    expect(notJson.status).toBe(400);
    const refused = await send(args, 'stale-nonce-value-0000');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^DPoP error="use_dpop_nonce"/);
    expect(refused.headers.get('dpop-nonce')).toBe(rs.nonce());
    expect(calls).toBe(0);
    const accepted = await send(args);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ deleted: 'n-1', approvers: ['alice'] });
    expect(accepted.headers.get('dpop-nonce')).toBe(rs.nonce());
    expect(calls).toBe(1);
    expect((await send(args)).status).toBe(401); // spent
    expect(calls).toBe(1);
  });
});
