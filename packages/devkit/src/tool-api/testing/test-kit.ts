/**
 * Test kit for the tool API tests: a local token issuer, DPoP keys, hand-built proofs (so tests can
 * break each part on purpose) and a small client that speaks to a running API. Test-only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { startToolApi, type ToolApi, type ToolApiOptions } from '../start-tool-api.js';

/** A token issuer that signs JWT access tokens with a local ES256 key. */
export interface TestIssuer {
  issuer: string;
  jwks: { keys: JWK[] };
  /** Signs an access token; `claims` override the defaults, `header` the protected header. */
  token(claims: JWTPayload & Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
}

/** Creates a {@link TestIssuer} with a fresh key; its `jwks` is what the API under test trusts. */
export async function createTestIssuer(issuer = 'https://as.test.example'): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'test-issuer-key', alg: 'ES256', use: 'sig' };
  return {
    issuer,
    jwks: { keys: [publicJwk] },
    token: (claims, header = {}) => signAccessToken(privateKey, { iss: issuer, ...claims }, { kid: 'test-issuer-key', ...header }),
  };
}

/** Signs an RFC 9068 access token with any key (tests use a foreign key to forge one). */
export async function signAccessToken(key: CryptoKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomBytes(12).toString('base64url'), iat: now, exp: now + 120, client_id: 'payout-agent', sub: 'payout-agent', ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', ...header })
    .sign(key);
}

/** A DPoP key pair as a test holds it. */
export interface DpopTestKey {
  alg: 'ES256' | 'EdDSA';
  privateKey: CryptoKey;
  publicJwk: JWK;
  jkt: string;
}

/** Creates a DPoP key pair (extractable, so a test can leak its private part on purpose). */
export async function createDpopTestKey(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<DpopTestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk) };
}

/** Parts of a proof a test may set or break; `undefined` members are left out. */
export interface ProofParts {
  htm: string;
  htu: string;
  accessToken?: string;
  nonce?: string;
  iat?: number;
  jti?: string;
  /** Replaces the whole protected header (except `alg` when `alg` is not given). */
  header?: Record<string, unknown>;
  /** Extra or replaced claims. */
  claims?: Record<string, unknown>;
}

/** Signs a DPoP proof from `parts`, valid unless a part says otherwise. */
export async function buildProof(key: DpopTestKey, parts: ProofParts): Promise<string> {
  const payload: Record<string, unknown> = {
    jti: parts.jti ?? randomBytes(16).toString('base64url'),
    htm: parts.htm,
    htu: parts.htu,
    iat: parts.iat ?? Math.floor(Date.now() / 1000),
  };
  if (parts.accessToken !== undefined) payload.ath = createHash('sha256').update(parts.accessToken).digest('base64url');
  if (parts.nonce !== undefined) payload.nonce = parts.nonce;
  Object.assign(payload, parts.claims);
  const header = parts.header ?? { alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk };
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, ...header } as { alg: string }).sign(key.privateKey);
}

/** A running API with its issuer. */
export interface TestApi {
  api: ToolApi;
  issuer: TestIssuer;
  /** A fresh nonce from the API (what a client learns from any response). */
  nonce(): Promise<string>;
}

/** Starts the tool API on a random port, trusting a fresh {@link TestIssuer}. */
export async function startTestApi(overrides: Partial<ToolApiOptions> = {}): Promise<TestApi> {
  const issuer = await createTestIssuer();
  const api = await startToolApi({ port: 0, issuer: issuer.issuer, jwks: issuer.jwks, ...overrides });
  return {
    api,
    issuer,
    async nonce() {
      const response = await fetch(`${api.url}/accounts`);
      await response.arrayBuffer();
      return response.headers.get('dpop-nonce')!;
    },
  };
}

/** Options of {@link send}. */
export interface SendOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: unknown;
}

/** An API answer, parsed. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
  challenge: Record<string, string> | undefined;
  scheme: string | undefined;
  nonce: string | null;
}

/** Sends a request with node:http, so repeated header lines stay separate, and parses the answer. */
export async function send(url: string, options: SendOptions = {}): Promise<Answer> {
  const headers: Record<string, string | string[]> = { ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const { status, text, responseHeaders } = await new Promise<{ status: number; text: string; responseHeaders: IncomingHttpHeaders }>(
    (resolve, reject) => {
      const request = httpRequest(url, { method: options.method ?? 'GET', headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, text: Buffer.concat(chunks).toString('utf8'), responseHeaders: response.headers }));
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(body);
    },
  );
  const challengeHeader = responseHeaders['www-authenticate'];
  return {
    status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    ...parseChallenge(typeof challengeHeader === 'string' ? challengeHeader : null),
    nonce: (responseHeaders['dpop-nonce'] as string | undefined) ?? null,
  };
}

/** Parses `DPoP a="b", c="d"` into its scheme and parameters. */
export function parseChallenge(header: string | null): { scheme: string | undefined; challenge: Record<string, string> | undefined } {
  if (header === null) return { scheme: undefined, challenge: undefined };
  const [scheme] = header.split(' ', 1);
  const challenge: Record<string, string> = {};
  for (const match of header.matchAll(/([a-z_]+)="([^"]*)"/g)) challenge[match[1]!] = match[2]!;
  return { scheme, challenge };
}

/** A sample `create_payout` body below the dual-control threshold. */
export const samplePayout = Object.freeze({ accountId: 'acc_operating', recipient: 'ACME Supplies Ltd', amount: 250, currency: 'EUR', memo: 'Invoice 2026-118' });

/** The common moves of the tool API tests, against one running API and one DPoP key. */
export interface Scenario extends TestApi {
  key: DpopTestKey;
  /** A routine token bound to `key` (scope `accounts:read` unless overridden). */
  routineToken(claims?: Record<string, unknown>): Promise<string>;
  /** An approved action token for `tool` and `args`, bound to `key`. */
  actionToken(args?: unknown, claims?: Record<string, unknown>, tool?: string): Promise<string>;
  /** A valid proof for `method path` with a fresh server nonce, unless `parts` say otherwise. */
  proof(token: string, method: string, path: string, parts?: Partial<ProofParts>, proofKey?: DpopTestKey): Promise<string>;
  /** `POST /payouts` with the given token and proof (a valid proof when none is given). */
  postPayout(token: string, options?: { proof?: string; args?: unknown; headers?: Record<string, string | string[]> }): Promise<Answer>;
  /** Balances and executed operations, to compare before and after a refused call. */
  snapshot(): string;
}

/** Starts a {@link Scenario}: an API, its issuer, and one DPoP key the tokens are bound to. */
export async function startScenario(overrides: Partial<ToolApiOptions> = {}, alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<Scenario> {
  const test = await startTestApi(overrides);
  const key = await createDpopTestKey(alg);
  const now = () => Math.floor(Date.now() / 1000);
  const scenario: Scenario = {
    ...test,
    key,
    routineToken: (claims = {}) => test.issuer.token({ aud: test.api.url, scope: 'accounts:read', cnf: { jkt: key.jkt }, ...claims }),
    actionToken: (args = samplePayout, claims = {}, tool = 'create_payout') =>
      test.issuer.token({
        aud: test.api.url,
        scope: tool === 'create_payout' ? 'openid payouts:write' : 'openid admin:keys',
        cnf: { jkt: key.jkt },
        authorization_details: [{ type: 'agent_action', tool, args_sha256: testArgumentsHash(args) }],
        approvers: [{ sub: 'alice', approved_at: now() - 5 }],
        ...claims,
      }),
    async proof(token, method, path, parts = {}, proofKey = key) {
      return buildProof(proofKey, { htm: method, htu: `${test.api.url}${path}`, accessToken: token, nonce: await test.nonce(), ...parts });
    },
    async postPayout(token, options = {}) {
      const proof = options.proof ?? (await scenario.proof(token, 'POST', '/payouts'));
      return send(`${test.api.url}/payouts`, {
        method: 'POST',
        headers: { authorization: `DPoP ${token}`, dpop: proof, ...options.headers },
        body: options.args ?? samplePayout,
      });
    },
    snapshot: () => JSON.stringify({ accounts: test.api.ledger.accounts(), payouts: test.api.ledger.payouts(), rotations: test.api.ledger.rotations() }),
  };
  return scenario;
}

/**
 * RFC 8785 hash written out a third way for the tests (sorted keys, JSON.stringify of primitives),
 * valid for the plain objects the tests send.
 */
export function testArgumentsHash(args: unknown): string {
  const canonical = (value: unknown): string =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? `{${Object.keys(value)
          .sort()
          .filter((name) => (value as Record<string, unknown>)[name] !== undefined)
          .map((name) => `${JSON.stringify(name)}:${canonical((value as Record<string, unknown>)[name])}`)
          .join(',')}}`
      : Array.isArray(value)
        ? `[${value.map(canonical).join(',')}]`
        : JSON.stringify(value);
  return createHash('sha256').update(canonical(args)).digest('base64url');
}
