import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as jose from 'jose';
import { ConfigurationError, generateKey } from '@countersign/core';
import { JwtBearerGrantError } from '@countersign/core/oauth';
import { TokenTypeDowngradeError } from '@countersign/core/errors';
import { createMcpAgentFetch } from './mcp-agent-fetch.js';
import { McpAuthorizationError, UntrustedAuthorizationServerError } from './errors.js';

/**
 * One loopback server playing an MCP server's HTTP face and its authorization server, checking
 * DPoP proofs for real (signature, htm, htu, ath, cnf.jkt) with jose.
 */
interface Fixture {
  base: string;
  tokenRequests: Array<Record<string, string>>;
  mcpRequests: number;
  /** What the token endpoint answers. */
  tokenAnswer: (form: Record<string, string>, jkt: string) => { status: number; body: Record<string, unknown> };
  /** Scopes /mcp requires. */
  requiredScope: string;
  prmResource?: string;
  /** authorization_servers of the metadata (default: this server). */
  prmAuthorizationServers?: string[];
  rsNonce?: string;
  jtis: Set<string>;
}

let server: Server;
let fixture: Fixture;
let directory: string;

async function verifyProof(proof: string | undefined, method: string, url: string, accessToken?: string): Promise<{ jkt: string; nonce?: unknown }> {
  if (!proof) throw new Error('no proof');
  const header = jose.decodeProtectedHeader(proof);
  const { payload } = await jose.jwtVerify(proof, await jose.importJWK(header.jwk as jose.JWK, header.alg), { typ: 'dpop+jwt' });
  if (payload.htm !== method || payload.htu !== url) throw new Error('htm/htu');
  if (fixture.jtis.has(payload.jti!)) throw new Error('replayed jti');
  fixture.jtis.add(payload.jti!);
  if (accessToken !== undefined && payload.ath !== createHash('sha256').update(accessToken).digest('base64url')) throw new Error('ath');
  return { jkt: await jose.calculateJwkThumbprint(header.jwk as jose.JWK), nonce: payload.nonce };
}

async function readForm(request: IncomingMessage): Promise<Record<string, string>> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return Object.fromEntries(new URLSearchParams(text));
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { base } = fixture;
  const path = new URL(request.url!, base).pathname;
  if (path === '/.well-known/oauth-protected-resource/mcp') {
    return json(response, 200, { resource: fixture.prmResource ?? `${base}/mcp`, authorization_servers: fixture.prmAuthorizationServers ?? [base], scopes_supported: ['tools:read'] });
  }
  if (path === '/.well-known/oauth-authorization-server') {
    return json(response, 200, { issuer: base, token_endpoint: `${base}/token`, dpop_signing_alg_values_supported: ['ES256', 'EdDSA'] });
  }
  if (path === '/token') {
    const form = await readForm(request);
    fixture.tokenRequests.push(form);
    const { jkt } = await verifyProof(request.headers.dpop as string, 'POST', `${base}/token`);
    const answer = fixture.tokenAnswer(form, jkt);
    return json(response, answer.status, answer.body);
  }
  if (path === '/mcp') {
    fixture.mcpRequests++;
    const authorization = request.headers.authorization ?? '';
    const challenge = `DPoP resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`;
    if (!authorization.startsWith('DPoP ')) return json(response, 401, { error: 'unauthorized' }, { 'www-authenticate': challenge });
    const token = authorization.slice(5);
    const { jkt, nonce } = await verifyProof(request.headers.dpop as string, 'POST', `${base}/mcp`, token);
    const claims = JSON.parse(Buffer.from(token, 'base64url').toString()) as { jkt: string; scope: string };
    if (claims.jkt !== jkt) return json(response, 401, { error: 'invalid_token' }, { 'www-authenticate': `DPoP error="invalid_token"` });
    if (fixture.rsNonce && nonce !== fixture.rsNonce) {
      return json(response, 401, { error: 'use_dpop_nonce' }, { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': fixture.rsNonce });
    }
    const held = new Set(claims.scope.split(' '));
    if (!fixture.requiredScope.split(' ').every((scope) => held.has(scope))) {
      return json(response, 403, { error: 'insufficient_scope' }, { 'www-authenticate': `DPoP error="insufficient_scope", scope="${fixture.requiredScope}"` });
    }
    return json(response, 200, { jsonrpc: '2.0', id: 1, result: { ok: true } });
  }
  response.writeHead(404).end();
}

/** A token that is its own claims (base64url JSON): enough for the fixture to check cnf and scope. */
function issue(form: Record<string, string>, jkt: string) {
  const accessToken = Buffer.from(JSON.stringify({ jkt, scope: form.scope ?? '', n: Math.random() })).toString('base64url');
  return { status: 200, body: { access_token: accessToken, token_type: 'DPoP', expires_in: 300, scope: form.scope } };
}

const workloadJwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ3b3JrbG9hZCJ9.c2ln';

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'countersign-mcp-'));
  server = createServer((request, response) => void handle(request, response).catch((error: Error) => json(response, 400, { error: 'invalid_dpop_proof', error_description: error.message })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  fixture = { base: `http://127.0.0.1:${port}`, tokenRequests: [], mcpRequests: 0, tokenAnswer: issue, requiredScope: 'tools:read', jtis: new Set() };
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(directory, { recursive: true, force: true });
});

const post = (agentFetch: (input: string, init?: RequestInit) => Promise<Response>) =>
  agentFetch(`${fixture.base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });

describe('createMcpAgentFetch', () => {
  it('discovers from the 401, asks with the jwt-bearer grant and the resource, and presents a DPoP-bound token', async () => {
    const file = join(directory, 'token');
    await writeFile(file, workloadJwt);
    const agentFetch = createMcpAgentFetch({ identity: { workloadToken: { file } }, trustedIssuers: [fixture.base] });
    const response = await post(agentFetch);
    expect(response.status).toBe(200);
    expect(fixture.tokenRequests).toHaveLength(1);
    expect(fixture.tokenRequests[0]).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: workloadJwt,
      resource: `${fixture.base}/mcp`,
      scope: 'tools:read',
    });
    expect(fixture.tokenRequests[0]!.client_assertion).toBeUndefined();
    // The token is reused: one more call, no new token request.
    expect((await post(agentFetch)).status).toBe(200);
    expect(fixture.tokenRequests).toHaveLength(1);
  });

  it('authenticates with private_key_jwt and answers a resource server nonce once', async () => {
    fixture.rsNonce = 'rs-nonce-1';
    const key = await generateKey();
    const agentFetch = createMcpAgentFetch({ identity: { clientId: 'payout-agent', key }, issuer: fixture.base });
    expect((await post(agentFetch)).status).toBe(200);
    const form = fixture.tokenRequests[0]!;
    expect(form.grant_type).toBe('client_credentials');
    expect(form.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(jose.decodeJwt(form.client_assertion!)).toMatchObject({ iss: 'payout-agent', sub: 'payout-agent', aud: fixture.base });
  });

  it('steps up once on insufficient_scope, and stops when the server still refuses', async () => {
    fixture.requiredScope = 'tools:read payouts:write';
    const agentFetch = createMcpAgentFetch({ identity: { workloadToken: workloadJwt }, issuer: fixture.base });
    expect((await post(agentFetch)).status).toBe(200);
    expect(fixture.tokenRequests.map((form) => form.scope)).toEqual(['tools:read', 'tools:read payouts:write']);

    // An authorization server that never grants the scope: one step-up, then the 403 is returned.
    fixture.requiredScope = 'tools:read payouts:write admin';
    fixture.tokenAnswer = (form, jkt) => issue({ ...form, scope: 'tools:read' }, jkt);
    fixture.tokenRequests = [];
    fixture.mcpRequests = 0;
    const response = await post(agentFetch);
    expect(response.status).toBe(403);
    expect(fixture.tokenRequests).toHaveLength(1);
    expect(fixture.mcpRequests).toBe(2);
  });

  it('surfaces invalid_grant as JwtBearerGrantError after exactly one token request', async () => {
    fixture.tokenAnswer = () => ({ status: 400, body: { error: 'invalid_grant', error_description: 'JWT assertion is expired' } });
    const agentFetch = createMcpAgentFetch({ identity: { workloadToken: workloadJwt }, issuer: fixture.base });
    const error = await post(agentFetch).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JwtBearerGrantError);
    expect((error as JwtBearerGrantError).error).toBe('invalid_grant');
    expect(String((error as Error).message)).not.toContain(workloadJwt);
    expect(fixture.tokenRequests).toHaveLength(1);
    expect(fixture.tokenRequests[0]!.grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
  });

  it('refuses metadata describing another resource, and Bearer tokens unless allowed', async () => {
    fixture.prmResource = 'https://elsewhere.example/mcp';
    await expect(post(createMcpAgentFetch({ identity: { workloadToken: workloadJwt }, issuer: fixture.base }))).rejects.toBeInstanceOf(McpAuthorizationError);
    expect(fixture.tokenRequests).toHaveLength(0);

    fixture.prmResource = undefined;
    fixture.tokenAnswer = () => ({ status: 200, body: { access_token: 'plain', token_type: 'Bearer', expires_in: 60 } });
    await expect(post(createMcpAgentFetch({ identity: { workloadToken: workloadJwt }, issuer: fixture.base }))).rejects.toBeInstanceOf(TokenTypeDowngradeError);
  });
});

describe('createMcpAgentFetch trusts only configured authorization servers', () => {
  let evil: Server;
  let evilBase: string;
  let evilRequests: Array<{ path: string; body: string }>;

  beforeEach(async () => {
    evilRequests = [];
    // The attacker's authorization server: it would answer discovery and record every token request.
    evil = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk));
      request.on('end', () => {
        const path = new URL(request.url!, evilBase).pathname;
        evilRequests.push({ path, body });
        if (path === '/.well-known/oauth-authorization-server') return json(response, 200, { issuer: evilBase, token_endpoint: `${evilBase}/token` });
        return json(response, 200, { access_token: 'evil', token_type: 'DPoP', expires_in: 300 });
      });
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilBase = `http://127.0.0.1:${(evil.address() as { port: number }).port}`;
  });

  afterEach(async () => {
    await new Promise((resolve) => evil.close(resolve));
  });

  it('requires a trusted issuer or allow-list for every identity', async () => {
    const key = await generateKey();
    expect(() => createMcpAgentFetch({ identity: { workloadToken: workloadJwt } })).toThrow(ConfigurationError);
    expect(() => createMcpAgentFetch({ identity: { clientId: 'payout-agent', key } })).toThrow(ConfigurationError);
    expect(() => createMcpAgentFetch({ identity: { workloadToken: workloadJwt }, trustedIssuers: ['http://as.example'] })).toThrow();
  });

  it('never sends the workload JWT to an authorization server a malicious MCP server names', async () => {
    fixture.prmAuthorizationServers = [evilBase];
    const error = await post(createMcpAgentFetch({ identity: { workloadToken: workloadJwt }, issuer: fixture.base })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UntrustedAuthorizationServerError);
    expect((error as UntrustedAuthorizationServerError).code).toBe('ERR_MCP_UNTRUSTED_AUTHORIZATION_SERVER');
    expect((error as Error).message).toContain(evilBase);
    expect((error as Error).message).not.toContain(workloadJwt);
    expect((error as UntrustedAuthorizationServerError).issuers).toEqual([evilBase]);
    expect(evilRequests).toEqual([]);
    expect(fixture.tokenRequests).toHaveLength(0);

    // The same with an allow-list rather than a single issuer.
    const listed = await post(createMcpAgentFetch({ identity: { workloadToken: workloadJwt }, trustedIssuers: [fixture.base] })).catch((caught: unknown) => caught);
    expect(listed).toBeInstanceOf(UntrustedAuthorizationServerError);
    expect(evilRequests.some((request) => request.body.includes(workloadJwt))).toBe(false);
    expect(evilRequests).toEqual([]);
  });

  it('never sends a client assertion to an untrusted authorization server, with an allow-list function', async () => {
    const key = await generateKey();
    fixture.prmAuthorizationServers = [evilBase];
    const trustedIssuers = (issuer: string) => issuer === fixture.base;
    await expect(post(createMcpAgentFetch({ identity: { clientId: 'payout-agent', key }, trustedIssuers }))).rejects.toBeInstanceOf(UntrustedAuthorizationServerError);
    expect(evilRequests).toEqual([]);
  });

  it('skips an untrusted authorization server listed first and uses the trusted one', async () => {
    fixture.prmAuthorizationServers = [evilBase, fixture.base];
    const response = await post(createMcpAgentFetch({ identity: { workloadToken: workloadJwt }, trustedIssuers: [fixture.base] }));
    expect(response.status).toBe(200);
    expect(evilRequests).toEqual([]);
    expect(fixture.tokenRequests).toHaveLength(1);
  });

  it('discovers the authorization server through the configured fetch', async () => {
    const seen: string[] = [];
    const countingFetch = (input: string | URL, init?: RequestInit) => {
      seen.push(new URL(String(input)).pathname);
      return fetch(input, init);
    };
    const response = await post(createMcpAgentFetch({ identity: { workloadToken: workloadJwt }, issuer: fixture.base, fetch: countingFetch }));
    expect(response.status).toBe(200);
    expect(seen).toContain('/.well-known/oauth-protected-resource/mcp');
    expect(seen).toContain('/.well-known/oauth-authorization-server');
    expect(seen).toContain('/token');
  });
});
