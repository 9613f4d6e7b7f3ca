/**
 * Test fixture: a scripted authorization server on undici's MockAgent (no sockets). Every request
 * is recorded; replies come from per-path queues, then from a default reply.
 */
import { MockAgent } from 'undici';
import { generateKeyPairSync } from 'node:crypto';
import { DpopNonceCache } from '../dpop/nonce-cache.js';
import { createDpopProver } from '../dpop/proof.js';
import { createNodeSigner } from '../keys/node-signer.js';
import { createSkewClock } from '../lib/clock-skew.js';
import { createAuthorizationServerClient, type AuthorizationServerClientOptions } from './authorization-server-client.js';

export const issuer = 'https://as.example';

export const metadata = {
  issuer,
  token_endpoint: `${issuer}/token`,
  backchannel_authentication_endpoint: `${issuer}/backchannel`,
  revocation_endpoint: `${issuer}/token/revocation`,
  jwks_uri: `${issuer}/jwks`,
};

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  form: URLSearchParams;
}

export interface ScriptedReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Reply = ScriptedReply | ((request: RecordedRequest) => ScriptedReply);

export function createMockAuthorizationServer(options: { prepare?: (pool: ReturnType<MockAgent['get']>) => void } = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const pool = agent.get(issuer);
  // Interceptors registered first win: special ones (errors, delays) go before the scripted one.
  options.prepare?.(pool);
  const requests: RecordedRequest[] = [];
  const queues = new Map<string, Reply[]>();
  const defaults = new Map<string, Reply>();

  pool
    .intercept({ path: () => true, method: () => true })
    .reply((options) => {
      const body = typeof options.body === 'string' ? options.body : '';
      const recorded: RecordedRequest = {
        method: options.method,
        path: options.path,
        headers: Object.fromEntries(Object.entries(options.headers as Record<string, string>).map(([name, value]) => [name.toLowerCase(), String(value)])),
        body,
        form: new URLSearchParams(body),
      };
      requests.push(recorded);
      const queued = queues.get(options.path)?.shift();
      const reply = queued ?? defaults.get(options.path) ?? { status: 404, body: { error: 'not_found' } };
      const scripted = typeof reply === 'function' ? reply(recorded) : reply;
      return {
        statusCode: scripted.status,
        data: typeof scripted.body === 'string' ? scripted.body : JSON.stringify(scripted.body ?? {}),
        responseOptions: { headers: { 'content-type': 'application/json', ...scripted.headers } },
      };
    })
    .persist();

  return {
    agent,
    pool,
    requests,
    /** Replies for the next requests to `path`, in order. */
    enqueue(path: string, ...replies: Reply[]) {
      queues.set(path, [...(queues.get(path) ?? []), ...replies]);
    },
    /** The reply once the queue of `path` is empty. */
    setDefault(path: string, reply: Reply) {
      defaults.set(path, reply);
    },
    requestsTo(path: string) {
      return requests.filter((request) => request.path === path);
    },
    close: () => agent.close(),
  };
}

export type MockAuthorizationServer = ReturnType<typeof createMockAuthorizationServer>;

/** An AS client wired to the mock, with fresh keys, fast backoff and pre-set metadata. */
export function createClientFor(server: MockAuthorizationServer, overrides: Partial<AuthorizationServerClientOptions> = {}) {
  const key = createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const dpopKey = createNodeSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const clock = overrides.clock ?? createSkewClock();
  const nonces = overrides.nonces ?? new DpopNonceCache();
  const dpop = overrides.dpop ?? createDpopProver(dpopKey, { clock: () => clock.now() / 1000 });
  const client = createAuthorizationServerClient({
    issuer,
    clientId: 'agent-1',
    key,
    dpop,
    nonces,
    clock,
    dispatcher: server.agent,
    metadata,
    retries: 2,
    timeoutMs: 2_000,
    backoff: { baseMs: 5, capMs: 20 },
    ...overrides,
  });
  return { client, clock, nonces, dpop, key };
}

/** The decoded payload of a compact JWS. */
export function payloadOf(jws: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The decoded header of a compact JWS. */
export function headerOf(jws: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export const tokenBody = { access_token: 'at-secret-123', token_type: 'DPoP', expires_in: 300, scope: 'accounts:read' };
