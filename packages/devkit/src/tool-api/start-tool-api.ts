import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createResourceServer, memoryReplayStore, sendRefusal, verifyNodeRequest, type ResourceServer } from '@countersign/server';
import { DevkitError } from '../errors.js';
import { sendJson } from '../lib/send-json.js';
import { ToolApiError } from './tool-api-error.js';
import { createTreasuryLedger, type TreasuryAccount, type TreasuryLedgerView } from './treasury-ledger.js';
import { createTreasuryRoutes, type Authorize } from './treasury-routes.js';

/** DPoP proof algorithms the tool API can accept (asymmetric only; never `none` or HMAC). */
export type DpopAlgorithm = 'ES256' | 'EdDSA';

/** A public JSON Web Key Set. */
export interface PublicJwkSet {
  keys: Array<Record<string, unknown>>;
}

/** Options of {@link startToolApi}. */
export interface ToolApiOptions {
  /** Port on `host`; 0 picks a free one. Default 4001. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** The authorization server's exact issuer identifier (`iss` of the access tokens). */
  issuer: string;
  /** The issuer's token signing keys: a public JWKS, or its `jwks_uri` (https, or http on loopback only). */
  jwks: PublicJwkSet | URL;
  /**
   * This API's resource identifier, the `aud` it accepts. Default: its own base URL without a
   * trailing slash, e.g. `http://127.0.0.1:4001` (known only once it listens when `port` is 0).
   */
  audience?: string;
  /** Whether an access token `jti` was revoked (e.g. by asking the AS's registry). Asked on every request. */
  isRevoked?: (jti: string) => boolean | Promise<boolean>;
  /** Payouts above this amount need two distinct approvers (default 1000). Key rotations always do. */
  dualControlThreshold?: number;
  /** Clock in seconds since the epoch (default `Date.now() / 1000`). */
  clock?: () => number;
  /** Accounts the ledger starts with (default: three demo accounts, see `defaultTreasuryAccounts`). */
  accounts?: readonly TreasuryAccount[];
  /** Seconds a DPoP nonce stays current (default 300); the previous one is accepted one window more. */
  nonceLifetime?: number;
  /** Oldest acceptable DPoP proof `iat`, seconds before now (default 60). */
  proofMaxAge?: number;
  /** Clock skew tolerated for proof `iat` in the future and for token `exp`, seconds (default 5). */
  clockTolerance?: number;
  /** DPoP proof algorithms accepted (default ES256 and EdDSA). */
  dpopAlgorithms?: readonly DpopAlgorithm[];
  /** Access token signature algorithms accepted (default ES256, ES384, EdDSA, PS256, RS256). */
  accessTokenAlgorithms?: readonly string[];
}

/** A running demo tool API. */
export interface ToolApi {
  /** Base URL, e.g. `http://127.0.0.1:4001` (no trailing slash). */
  url: string;
  /** The `aud` values it accepts (its resource identifier). */
  audience: readonly string[];
  /** The treasury's state: balances, executed payouts, key rotations. */
  ledger: TreasuryLedgerView;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Starts the demo treasury API, protected by `@countersign/server` (the same enforcement point any
 * API can install): every request needs `Authorization: DPoP <JWT access token>` and one DPoP proof
 * with this server's nonce; the token must be issued by `issuer` for this API and bound to the
 * proof's key. `POST /payouts` and `POST /admin/keys/rotate` further need an approved, unspent action
 * token for that exact body.
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
  if (typeof options.issuer !== 'string' || options.issuer.length === 0) throw new DevkitError('invalid_request', 'startToolApi: issuer is required');
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? (() => Date.now() / 1000);
  const now = () => clock() * 1000;
  const ledger = createTreasuryLedger(options.accounts, clock);
  const routes = createTreasuryRoutes({ ledger, dualControlThreshold: options.dualControlThreshold ?? 1000 });

  // The resource server needs the URL, which port 0 only reveals once listening.
  let rs: ResourceServer | undefined;
  const server = createServer((request, response) => {
    if (rs === undefined) return sendJson(response, 503, { error: 'temporarily_unavailable', error_description: 'starting' });
    handle(rs, request, response).catch(() => {
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
  const resource = options.audience ?? url;
  const isRevoked = options.isRevoked;
  try {
    rs = await createResourceServer({
      issuer: options.issuer,
      resource,
      tokens: { kind: 'jwt', jwks: options.jwks, ...(options.accessTokenAlgorithms === undefined ? {} : { algorithms: options.accessTokenAlgorithms }) },
      replay: memoryReplayStore({ now }),
      nonce: { secret: randomBytes(32), lifetime: options.nonceLifetime ?? 300 },
      ...(isRevoked === undefined ? {} : { isRevoked: (claims) => claims.jti === undefined || isRevoked(claims.jti) }),
      ...(options.dpopAlgorithms === undefined ? {} : { dpopAlgorithms: options.dpopAlgorithms }),
      ...(options.proofMaxAge === undefined ? {} : { proofMaxAge: options.proofMaxAge }),
      clockTolerance: options.clockTolerance ?? 5,
      scopes: ['accounts:read', 'payouts:write', 'admin:keys'],
      now,
    });
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }

  async function handle(resourceServer: ResourceServer, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const nonceHeader = { 'DPoP-Nonce': resourceServer.nonce()! };
    try {
      const path = request.url === undefined || !request.url.startsWith('/') ? undefined : new URL(request.url, url).pathname;
      if (path === '/.well-known/oauth-protected-resource' && request.method === 'GET') {
        return sendJson(response, 200, resourceServer.metadata());
      }
      const route = path === undefined ? undefined : routes.get(path);
      if (route === undefined) throw new ToolApiError(path === undefined ? 400 : 404, path === undefined ? 'invalid_request' : 'not_found', path === undefined ? 'malformed request target' : 'no such resource');
      const handler = route[request.method ?? ''];
      if (handler === undefined) {
        throw new ToolApiError(405, 'method_not_allowed', 'method not allowed', { headers: { Allow: Object.keys(route).join(', ') } });
      }
      let authorized = false;
      const authorize: Authorize = async (requirement) => {
        if (authorized) throw new Error('a request is authorized once');
        authorized = true;
        const verdict = await verifyNodeRequest(resourceServer, request, requirement);
        if (!verdict.ok) throw ToolApiError.fromRefusal(verdict);
        return verdict;
      };
      const result = await handler(request, authorize);
      if (!authorized) throw new Error('route answered without authorizing the request');
      sendJson(response, result.status, result.body, nonceHeader);
    } catch (error) {
      if (!(error instanceof ToolApiError)) throw error;
      if (error.refusal !== undefined) return sendRefusal(response, error.refusal);
      sendJson(response, error.status, { error: error.code, error_description: error.message }, { ...error.headers, ...nonceHeader });
    }
  }

  return {
    url,
    audience: [resource],
    ledger,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
