import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { KoaContext, Middleware } from 'oidc-provider';
import type { AccessTokenLedger } from './access-token-ledger.js';
import { ROUTES } from './provider-configuration.js';

/** Options of {@link jwtAccessTokenRevocation}. */
export interface JwtAccessTokenRevocationOptions {
  issuer: string;
  /** The authorization server's public signing keys. */
  publicJwks: JSONWebKeySet;
  ledger: AccessTokenLedger;
}

/**
 * Koa middleware that makes revocation and introspection meaningful for JWT access tokens.
 * oidc-provider answers `unsupported_token_type` for them (they are never stored); that answer
 * comes after it authenticated the client, so this middleware then checks the token is one this
 * server issued (signature, `iss`, `typ`, ledger), and:
 *
 * - revocation: records its `jti` as revoked when it belongs to the requesting client (the demo
 *   tool API consults the ledger), `invalid_request` when it belongs to another client, and `200`
 *   for anything else, as RFC 7009 requires;
 * - introspection: reports `active` with the token's claims for the client's own live token, and
 *   `{ active: false }` otherwise.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 */
export function jwtAccessTokenRevocation(options: JwtAccessTokenRevocationOptions): Middleware {
  const keys = createLocalJWKSet(options.publicJwks);

  async function verifyIssued(token: unknown): Promise<JWTPayload | undefined> {
    if (typeof token !== 'string') return undefined;
    try {
      const { payload } = await jwtVerify(token, keys, { issuer: options.issuer, typ: 'at+jwt', algorithms: ['ES256'] });
      return typeof payload.jti === 'string' && options.ledger.find(payload.jti) !== undefined ? payload : undefined;
    } catch {
      return undefined;
    }
  }

  async function revoke(ctx: KoaContext, clientId: string): Promise<void> {
    const payload = await verifyIssued(ctx.oidc.params.token);
    if (payload !== undefined && payload.client_id !== clientId) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: 'client is not authorized to revoke the presented token' };
      return;
    }
    if (payload !== undefined) options.ledger.revoke(payload.jti!);
    ctx.status = 200;
    ctx.body = '';
  }

  async function introspect(ctx: KoaContext, clientId: string): Promise<void> {
    const payload = await verifyIssued(ctx.oidc.params.token);
    ctx.status = 200;
    if (payload === undefined || payload.client_id !== clientId || options.ledger.isRevoked(payload.jti!)) {
      ctx.body = { active: false };
      return;
    }
    const cnf = payload.cnf as { jkt?: string } | undefined;
    ctx.body = { ...payload, active: true, token_type: cnf?.jkt === undefined ? 'Bearer' : 'DPoP' };
  }

  return async function jwtRevocation(ctx, next) {
    await next();
    if (ctx.method !== 'POST' || ctx.status !== 400 || ctx.body?.error !== 'unsupported_token_type') return;
    const clientId = ctx.oidc?.client?.clientId;
    if (typeof clientId !== 'string') return;
    if (ctx.path === ROUTES.revocation) await revoke(ctx, clientId);
    else if (ctx.path === ROUTES.introspection) await introspect(ctx, clientId);
  };
}
