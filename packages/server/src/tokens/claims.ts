import { refuse } from '../refusal.js';
import type { TokenClaims } from '../types.js';

/** What every token must satisfy, however it was validated. */
export interface ClaimRules {
  issuer: string;
  resource: string;
  clockTolerance: number;
}

/**
 * Checks the claims of an access token, from a JWT (RFC 9068 §4) or an introspection answer
 * (RFC 7662 §2.2): `iss` equal to the issuer, `aud` naming this resource, `exp` in the future and
 * `nbf` not (with the tolerance), a `client_id`, a DPoP binding `cnf.jkt` (RFC 9449 §6), and well
 * formed `scope`, `authorization_details` and `approvers` when present.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-6
 */
export function checkClaims(claims: Record<string, unknown>, rules: ClaimRules, nowSeconds: number): TokenClaims {
  if (claims.iss !== rules.issuer) refuse('token_issuer', 'access token was not issued by the expected issuer');
  const aud = claims.aud;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.includes(rules.resource)) refuse('token_audience', 'access token is not meant for this resource (aud)');
  const { exp, nbf } = claims;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) refuse('token_claims', 'access token has no exp');
  if (exp <= nowSeconds - rules.clockTolerance) refuse('token_expired', 'access token expired');
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds + rules.clockTolerance)) refuse('token_not_yet_valid', 'access token is not valid yet (nbf)');
  if (typeof claims.client_id !== 'string' || claims.client_id.length === 0) refuse('token_claims', 'access token names no client_id');
  if (claims.scope !== undefined && typeof claims.scope !== 'string') refuse('token_claims', 'access token scope is malformed');
  if (claims.jti !== undefined && typeof claims.jti !== 'string') refuse('token_claims', 'access token jti is malformed');
  const cnf = claims.cnf;
  const jkt = cnf !== null && typeof cnf === 'object' ? (cnf as Record<string, unknown>).jkt : undefined;
  if (typeof jkt !== 'string' || jkt.length === 0) refuse('token_not_bound', 'access token is not DPoP-bound (no cnf.jkt)');
  const details = claims.authorization_details;
  if (details !== undefined && !(Array.isArray(details) && details.every(isObject))) refuse('token_claims', 'access token authorization_details is malformed');
  const approvers = claims.approvers;
  if (approvers !== undefined && !(Array.isArray(approvers) && approvers.every((entry) => isObject(entry) && typeof entry.sub === 'string'))) {
    refuse('token_claims', 'access token approvers claim is malformed');
  }
  return claims as TokenClaims;
}

/** The scopes of a token, split on spaces. */
export function scopesOf(claims: TokenClaims): string[] {
  return typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
