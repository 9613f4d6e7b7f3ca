import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { createAccessTokenVerifier } from './access-token-verifier.js';
import { authenticateRequest, type RequestAuthenticator } from './authenticate.js';
import { dpopChallenge } from './challenge.js';
import { createDpopNonceIssuer } from './dpop-nonces.js';
import { createDpopProofVerifier, type DpopAlgorithm } from './dpop-proof-verifier.js';
import { createExpiringSet } from './expiring-set.js';
import { sendJson } from '../lib/send-json.js';
import { ToolApiError } from './tool-api-error.js';
import { createTreasuryLedger, type TreasuryAccount, type TreasuryLedgerView } from './treasury-ledger.js';
import { createTreasuryRoutes } from './treasury-routes.js';

/** Options of {@link startToolApi}. */
export interface ToolApiOptions {
  /** Port on `host`; 0 picks a free one. Default 4001. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** The authorization server's exact issuer identifier (`iss` of the access tokens). */
  issuer: string;
  /**
   * The issuer's token signing keys: a jose key getter (e.g. `createRemoteJWKSet(new URL(jwks_uri))`),
   * a public JWKS, or the `jwks_uri` itself (https, or http on loopback only).
   */
  jwks: JWTVerifyGetKey | JSONWebKeySet | URL;
  /**
   * The `aud` values this API accepts: its resource indicator(s). Default: its own base URL without a
   * trailing slash, e.g. `http://127.0.0.1:4001` (known only once it listens when `port` is 0).
   */
  audience?: string | readonly string[];
  /** Whether an access token `jti` was revoked (e.g. by asking the AS's registry). */
  isRevoked?: (jti: string) => boolean | Promise<boolean>;
  /** Payouts above this amount need two distinct approvers (default 1000). Key rotations always do. */
  dualControlThreshold?: number;
  /** Clock in seconds since the epoch (default `Date.now() / 1000`). */
  clock?: () => number;
  /** Accounts the ledger starts with (default: three demo accounts, see `defaultTreasuryAccounts`). */
  accounts?: readonly TreasuryAccount[];
  /** Seconds a DPoP nonce stays current (default 300); the previous one is accepted one lifetime more. */
  nonceLifetime?: number;
  /** Oldest acceptable DPoP proof `iat`, seconds before now (default 60). */
  proofMaxAge?: number;
  /** Clock skew tolerated for proof `iat` in the future and for token `exp`, seconds (default 5). */
  clockTolerance?: number;
  /** DPoP proof algorithms accepted (default ES256 and EdDSA). */
  dpopAlgorithms?: readonly DpopAlgorithm[];
  /** Access token signature algorithms accepted (default ES256, EdDSA, PS256, RS256). */
  accessTokenAlgorithms?: readonly string[];
}

/** A running demo tool API. */
export interface ToolApi {
  /** Base URL, e.g. `http://127.0.0.1:4001` (no trailing slash). */
  url: string;
  /** The `aud` values it accepts. */
  audience: readonly string[];
  /** The treasury's state: balances, executed payouts, key rotations. */
  ledger: TreasuryLedgerView;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Starts the demo treasury API: a real DPoP enforcement point. Every request needs
 * `Authorization: DPoP <JWT access token>` and one DPoP proof with this server's nonce; the token
 * must be issued by `issuer` for this API and bound to the proof's key. `POST /payouts` and
 * `POST /admin/keys/rotate` further need an approved, unspent action token for that exact body.
 *
 * @example
 * ```ts
 * const api = await startToolApi({ port: 0, issuer, jwks: new URL(`${issuer}/jwks`) });
 * console.log(api.url); // http://127.0.0.1:54321
 * await api.close();
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 */
export async function startToolApi(options: ToolApiOptions): Promise<ToolApi> {
  if (typeof options.issuer !== 'string' || options.issuer.length === 0) throw new TypeError('issuer is required');
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? (() => Date.now() / 1000);
  const clockTolerance = options.clockTolerance ?? 5;
  const jwks = options.jwks instanceof URL ? remoteKeys(options.jwks) : options.jwks;
  const ledger = createTreasuryLedger(options.accounts, clock);
  const nonces = createDpopNonceIssuer({ lifetime: options.nonceLifetime ?? 300, clock });

  // Verifiers and routes need the URL, which port 0 only reveals once listening.
  let handle: (request: IncomingMessage, response: ServerResponse) => Promise<void> = async (_request, response) => {
    sendJson(response, 503, { error: 'temporarily_unavailable', error_description: 'starting' });
  };
  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) sendJson(response, 500, { error: 'server_error', error_description: 'unexpected error' });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4001, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const audience = options.audience === undefined ? [url] : typeof options.audience === 'string' ? [options.audience] : [...options.audience];
  const verifiers: RequestAuthenticator = {
    proofs: createDpopProofVerifier({
      nonces,
      seenProofs: createExpiringSet({ clock }),
      clock,
      futureSkew: clockTolerance,
      ...(options.proofMaxAge === undefined ? {} : { maxAge: options.proofMaxAge }),
      ...(options.dpopAlgorithms === undefined ? {} : { algorithms: options.dpopAlgorithms }),
    }),
    tokens: createAccessTokenVerifier({
      issuer: options.issuer,
      audience,
      jwks,
      isRevoked: options.isRevoked,
      clockTolerance,
      clock,
      ...(options.accessTokenAlgorithms === undefined ? {} : { algorithms: options.accessTokenAlgorithms }),
    }),
  };
  const routes = createTreasuryRoutes({
    ledger,
    audience,
    dualControlThreshold: options.dualControlThreshold ?? 1000,
    spentActionTokens: createExpiringSet({ clock, maxEntries: 10_000 }),
    clockTolerance,
  });
  const base = new URL(url);

  handle = async (request, response) => {
    const nonceHeader = { 'DPoP-Nonce': nonces.current() };
    try {
      // Origin-form only: an absolute-form target could name another host and skew the htu check.
      if (request.url === undefined || !request.url.startsWith('/')) throw new ToolApiError(400, 'invalid_request', 'malformed request target');
      const target = new URL(request.url, base);
      const route = routes.get(target.pathname);
      if (route === undefined) throw new ToolApiError(404, 'not_found', 'no such resource');
      const handler = route[request.method ?? ''];
      if (handler === undefined) {
        throw new ToolApiError(405, 'method_not_allowed', 'method not allowed', { headers: { Allow: Object.keys(route).join(', ') } });
      }
      const auth = await authenticateRequest(request, target, verifiers);
      const result = await handler(request, auth);
      sendJson(response, result.status, result.body, nonceHeader);
    } catch (error) {
      if (!(error instanceof ToolApiError)) throw error;
      const headers: Record<string, string> = { ...error.headers, ...nonceHeader };
      if (error.challenge) {
        headers['WWW-Authenticate'] = dpopChallenge({
          algorithms: verifiers.proofs.algorithms,
          ...(error.bare ? {} : { error: error.code, description: error.message, scope: error.scope }),
        });
      }
      sendJson(response, error.status, { error: error.code, error_description: error.message }, headers);
    }
  };

  return {
    url,
    audience,
    ledger,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function remoteKeys(jwksUri: URL): JWTVerifyGetKey {
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(jwksUri.hostname);
  if (jwksUri.protocol !== 'https:' && !(jwksUri.protocol === 'http:' && loopback)) {
    throw new TypeError('jwks_uri must use https (http is allowed on loopback only)');
  }
  return createRemoteJWKSet(jwksUri);
}
