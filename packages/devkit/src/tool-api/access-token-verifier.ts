import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { invalidToken, ToolApiError } from './tool-api-error.js';

/** One approval named in an action token's `approvers` claim. */
export interface TokenApprover {
  sub: string;
  /** Seconds since the epoch. */
  approved_at: number;
}

/** What the tool API uses of a verified JWT access token. */
export interface AccessTokenClaims {
  jti: string;
  /** The agent: `client_id`, or `sub` when absent. */
  clientId: string;
  /** `scope`, split on spaces. */
  scopes: ReadonlySet<string>;
  /** `cnf.jkt`: the thumbprint of the DPoP key the token is bound to. */
  jkt: string;
  /** Seconds since the epoch. */
  exp: number;
  /** RFC 9396 `authorization_details`, or an empty list. */
  authorizationDetails: ReadonlyArray<Record<string, unknown>>;
  /** Who approved, from the devkit's `approvers` claim, or an empty list. */
  approvers: readonly TokenApprover[];
}

/** Options of {@link createAccessTokenVerifier}. */
export interface AccessTokenVerifierOptions {
  /** Exact `iss`. */
  issuer: string;
  /** Accepted `aud` values: this resource server's identifiers. */
  audience: string | readonly string[];
  /** The issuer's signing keys: a jose key getter (e.g. `createRemoteJWKSet`) or a public JWKS. */
  jwks: JWTVerifyGetKey | JSONWebKeySet;
  /** Accepted token signature algorithms (default ES256, EdDSA, PS256, RS256: asymmetric only). */
  algorithms?: readonly string[];
  /** Whether a token `jti` was revoked at the issuer. */
  isRevoked?: ((jti: string) => boolean | Promise<boolean>) | undefined;
  /** Clock tolerance for `exp`, `nbf` and `iat`, seconds (default 5). */
  clockTolerance?: number;
  /** Clock in seconds since the epoch (default `Date.now() / 1000`). */
  clock?: () => number;
}

/** Verifies JWT access tokens. */
export interface AccessTokenVerifier {
  /** Verifies a token; throws a 401 `invalid_token` {@link ToolApiError}, or 503 when the keys cannot be fetched. */
  verify(token: string): Promise<AccessTokenClaims>;
}

const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Creates a verifier of RFC 9068 JWT access tokens: signature with the issuer's keys, `typ`
 * `at+jwt`, `iss`, `aud`, `exp`, a `jti`, a DPoP binding (`cnf.jkt`), and not revoked.
 *
 * @example
 * ```ts
 * const tokens = createAccessTokenVerifier({ issuer, audience: 'http://127.0.0.1:4001', jwks });
 * const claims = await tokens.verify(accessToken);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-6.1
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const keys: JWTVerifyGetKey = typeof options.jwks === 'function' ? options.jwks : createLocalJWKSet(options.jwks);
  const algorithms = [...(options.algorithms ?? ['ES256', 'EdDSA', 'PS256', 'RS256'])];
  const audience = typeof options.audience === 'string' ? options.audience : [...options.audience];
  const clock = options.clock ?? (() => Date.now() / 1000);

  return {
    async verify(token) {
      if (token.length > 16_384 || !compactJws.test(token)) throw invalidToken('access token is not a JWT');
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience,
          typ: 'at+jwt',
          algorithms,
          requiredClaims: ['exp', 'jti'],
          clockTolerance: options.clockTolerance ?? 5,
          currentDate: new Date(clock() * 1000),
        }));
      } catch (error) {
        throw describeFailure(error);
      }
      const claims = claimsOf(payload);
      if (options.isRevoked !== undefined && (await options.isRevoked(claims.jti))) throw invalidToken('access token was revoked');
      return claims;
    },
  };
}

function claimsOf(payload: Record<string, unknown>): AccessTokenClaims {
  const { jti, exp, cnf, scope } = payload;
  if (typeof jti !== 'string' || jti.length === 0) throw invalidToken('access token jti is invalid');
  const jkt = cnf !== null && typeof cnf === 'object' ? (cnf as Record<string, unknown>).jkt : undefined;
  if (typeof jkt !== 'string') throw invalidToken('access token is not DPoP-bound (no cnf.jkt)');
  const clientId = typeof payload.client_id === 'string' ? payload.client_id : payload.sub;
  if (typeof clientId !== 'string') throw invalidToken('access token names no client');
  const details = payload.authorization_details;
  if (details !== undefined && !(Array.isArray(details) && details.every(isObject))) {
    throw invalidToken('access token authorization_details is malformed');
  }
  const approvers = payload.approvers;
  if (approvers !== undefined && !(Array.isArray(approvers) && approvers.every(isApprover))) {
    throw invalidToken('access token approvers claim is malformed');
  }
  return {
    jti,
    clientId,
    scopes: new Set(typeof scope === 'string' ? scope.split(' ').filter(Boolean) : []),
    jkt,
    exp: exp as number,
    authorizationDetails: (details as Array<Record<string, unknown>> | undefined) ?? [],
    approvers: (approvers as TokenApprover[] | undefined) ?? [],
  };
}

function describeFailure(error: unknown): ToolApiError {
  if (error instanceof errors.JWTExpired) return invalidToken('access token expired', error);
  if (error instanceof errors.JWTClaimValidationFailed) {
    return invalidToken(`access token ${error.claim} is not acceptable (${error.reason})`, error);
  }
  const keysUnavailable =
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    !(error instanceof errors.JOSEError) ||
    // jose reports a non-200 or unparsable JWKS response with the generic class.
    error.code === 'ERR_JOSE_GENERIC';
  if (keysUnavailable) {
    // The issuer's keys could not be fetched: refuse, but say it is not the token's fault.
    return new ToolApiError(503, 'temporarily_unavailable', 'the issuer keys are unavailable', {
      cause: error,
      headers: { 'Retry-After': '5' },
    });
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return invalidToken('access token alg is not allowed', error);
  if (error instanceof errors.JWKSNoMatchingKey) return invalidToken('access token is signed by an unknown key', error);
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalidToken('access token signature is invalid', error);
  return invalidToken('access token is malformed', error);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isApprover(value: unknown): value is TokenApprover {
  return isObject(value) && typeof value.sub === 'string' && typeof value.approved_at === 'number';
}
