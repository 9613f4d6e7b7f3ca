import { generateKeyPairSync, randomBytes, createHash, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';

/** An HTTP answer, body parsed as JSON when it is JSON. */
export interface TestResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** Options of one request made by a {@link TestAgent}. */
export interface TestRequestOptions {
  /** Send a DPoP proof (default true). */
  dpop?: boolean;
  /** Retry once with the server's nonce on `use_dpop_nonce` (default true). */
  followNonce?: boolean;
  /** Send no client assertion (default false). */
  unauthenticated?: boolean;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/**
 * A minimal OAuth client for tests, written on jose and node:crypto so the devkit's tests do not
 * depend on the SDK under test: private_key_jwt assertions and DPoP proofs, each with a fresh jti.
 */
export interface TestAgent {
  clientId: string;
  /** `{ keys: [identity public JWK] }`. */
  jwks: { keys: JWK[] };
  /** Thumbprint of the DPoP key (the token's `cnf.jkt`). */
  dpopThumbprint: string;
  /** A fresh client assertion for `audience`. */
  assertion(audience: string): Promise<string>;
  /** A fresh DPoP proof. */
  proof(method: string, url: string, extra?: { nonce?: string; accessToken?: string }): Promise<string>;
  /** POSTs a form to an AS endpoint, client-authenticated, DPoP-proofed, following one nonce challenge. */
  post(url: string, form: Record<string, string>, options?: TestRequestOptions): Promise<TestResponse>;
  /** Calls a resource server with a DPoP-bound token, following one nonce challenge. */
  call(method: string, url: string, accessToken: string, body?: unknown): Promise<TestResponse>;
  /** Replaces the identity key (key rotation); returns the new JWKS. */
  rotateIdentityKey(): Promise<{ keys: JWK[] }>;
}

/** Options of {@link createTestAgent}. */
export interface TestAgentOptions {
  /** Identity key algorithm (default ES256). */
  alg?: 'ES256' | 'EdDSA';
  /** Issuer, the audience of assertions (default: the origin of the URL posted to). */
  issuer?: string | undefined;
}

function newKeyPair(alg: 'ES256' | 'EdDSA'): { privateKey: KeyObject; publicKey: KeyObject } {
  return alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
}

/** Creates a {@link TestAgent}. */
export async function createTestAgent(clientId: string, options: TestAgentOptions = {}): Promise<TestAgent> {
  const alg = options.alg ?? 'ES256';
  let identity = newKeyPair(alg);
  let identityJwk = { ...(await exportJWK(identity.publicKey)), kid: '', alg };
  identityJwk.kid = await calculateJwkThumbprint(identityJwk);
  const dpop = newKeyPair('ES256');
  const dpopJwk = await exportJWK(dpop.publicKey);
  const dpopThumbprint = await calculateJwkThumbprint(dpopJwk);
  const nonces = new Map<string, string>();

  const jti = () => randomBytes(16).toString('base64url');
  const now = () => Math.floor(Date.now() / 1000);

  const agent: TestAgent = {
    clientId,
    get jwks() {
      return { keys: [identityJwk] };
    },
    dpopThumbprint,
    assertion(audience) {
      return new SignJWT({})
        .setProtectedHeader({ alg, kid: identityJwk.kid })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(audience)
        .setJti(jti())
        .setIssuedAt(now())
        .setExpirationTime(now() + 60)
        .sign(identity.privateKey);
    },
    proof(method, url, extra = {}) {
      const target = new URL(url);
      const payload: Record<string, unknown> = { htm: method, htu: `${target.origin}${target.pathname}` };
      if (extra.nonce !== undefined) payload.nonce = extra.nonce;
      if (extra.accessToken !== undefined) payload.ath = createHash('sha256').update(extra.accessToken).digest('base64url');
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: dpopJwk })
        .setJti(jti())
        .setIssuedAt(now())
        .sign(dpop.privateKey);
    },
    async post(url, form, requestOptions = {}) {
      const origin = new URL(url).origin;
      const send = async () => {
        const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...requestOptions.headers };
        if (requestOptions.dpop !== false) headers.dpop = await agent.proof('POST', url, { nonce: nonces.get(origin) });
        const body = new URLSearchParams(form);
        if (!requestOptions.unauthenticated) {
          body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
          body.set('client_assertion', await agent.assertion(options.issuer ?? origin));
        }
        return read(await fetch(url, { method: 'POST', headers, body }));
      };
      let response = await send();
      const nonce = response.headers.get('dpop-nonce');
      if (nonce !== null) nonces.set(origin, nonce);
      if (response.body?.error === 'use_dpop_nonce' && requestOptions.followNonce !== false) response = await send();
      return response;
    },
    async call(method, url, accessToken, body) {
      const origin = new URL(url).origin;
      const send = async () => {
        const headers: Record<string, string> = {
          authorization: `DPoP ${accessToken}`,
          dpop: await agent.proof(method, url, { nonce: nonces.get(origin), accessToken }),
          accept: 'application/json',
        };
        if (body !== undefined) headers['content-type'] = 'application/json';
        return read(await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }));
      };
      let response = await send();
      const nonce = response.headers.get('dpop-nonce');
      if (nonce !== null && nonce !== nonces.get(origin)) {
        nonces.set(origin, nonce);
        if (response.status === 401 && /use_dpop_nonce/.test(response.headers.get('www-authenticate') ?? '')) response = await send();
      }
      return response;
    },
    async rotateIdentityKey() {
      identity = newKeyPair(alg);
      identityJwk = { ...(await exportJWK(identity.publicKey)), kid: '', alg };
      identityJwk.kid = await calculateJwkThumbprint(identityJwk);
      return { keys: [identityJwk] };
    },
  };
  return agent;
}

async function read(response: Response): Promise<TestResponse> {
  const text = await response.text();
  let body: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') body = JSON.parse(text);
  return { status: response.status, headers: response.headers, body };
}

/** Decodes a JWT's payload without verifying it (tests verify separately where it matters). */
export function decodePayload(jwt: string): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
}
