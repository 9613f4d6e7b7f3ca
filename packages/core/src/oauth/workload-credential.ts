import { createHash } from 'node:crypto';
import { OAuthError } from '../errors.js';
import {
  JWT_BEARER_GRANT_TYPE,
  JwtBearerGrantError,
  jwtBearerParameters,
  terminalJwtBearerErrors,
  workloadTokenReader,
  type WorkloadTokenSource,
} from './jwt-bearer-grant.js';
import type { AuthorizationServerClient, RequestOptions, TokenResponse } from './types.js';

/** What a token is asked for: the RFC 8707 resource and the scope. */
export interface WorkloadTokenTarget {
  resource?: string | undefined;
  scope?: string | undefined;
}

/**
 * An agent's workload-identity credential: where its JWT comes from, and what the authorization
 * server already refused.
 */
export interface WorkloadCredential {
  /**
   * Reads the current workload JWT (a rotated file or callback yields the new one) and exchanges it
   * for a DPoP-bound access token with the JWT bearer grant.
   *
   * @throws {WorkloadTokenError} the JWT cannot be read
   * @throws {JwtBearerGrantError} the server refused it, now or earlier for the same JWT
   */
  requestToken(client: Pick<AuthorizationServerClient, 'tokenRequest'>, target: WorkloadTokenTarget, options?: RequestOptions): Promise<TokenResponse>;
  /**
   * `iss` and `sub` of the workload JWT last read, as it states them (not verified here: the
   * authorization server verifies it). For audit records and `agent.keyId`; never the JWT itself.
   */
  identity(): { issuer: string | undefined; subject: string | undefined } | undefined;
  /** Reads the JWT once, so a missing or malformed file fails at start rather than at first use. */
  check(): Promise<void>;
}

/** Refusals remembered, at most: an agent asks for few distinct targets. */
const maxRemembered = 64;

/**
 * Creates an agent's workload credential (RFC 7523 §2.1 JWT bearer grant). The JWT is read afresh
 * before every token request, so a token the platform rotated (a Kubernetes projected
 * service-account token, a SPIFFE JWT-SVID) is used by the next request.
 *
 * A refusal (`invalid_grant`, `invalid_scope`, `unauthorized_client`, `unsupported_grant_type`) is
 * final for the JWT that earned it: asking again with the same JWT (for the same scope and resource
 * when it was `invalid_scope`) throws the same {@link JwtBearerGrantError} without a request, so an
 * agent loop calling again and again causes no storm; only a new JWT is sent. No other grant is
 * ever tried instead.
 *
 * @example
 * ```ts
 * const credential = createWorkloadCredential({ file: '/var/run/secrets/tokens/countersign' });
 * const response = await credential.requestToken(client, { resource: 'https://api.example', scope: 'accounts:read' });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1 (JWT bearer grant)
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3.1 (error responses)
 */
export function createWorkloadCredential(source: WorkloadTokenSource): WorkloadCredential {
  const reader = workloadTokenReader(source);
  const refusals = new Map<string, OAuthError>();
  let lastIdentity: { issuer: string | undefined; subject: string | undefined } | undefined;

  async function read(): Promise<string> {
    const token = await reader.read();
    lastIdentity = statedIdentity(token);
    return token;
  }

  function remember(key: string, refusal: OAuthError): void {
    if (refusals.size >= maxRemembered) refusals.delete(refusals.keys().next().value!);
    refusals.set(key, refusal);
  }

  return {
    async requestToken(client, target, options) {
      const assertion = await read();
      // Keyed by a digest: the map never holds the JWT itself.
      const tokenKey = createHash('sha256').update(assertion).digest('base64url');
      const scopedKey = `${tokenKey} ${target.scope ?? ''} ${target.resource ?? ''}`;
      const earlier = refusals.get(tokenKey) ?? refusals.get(scopedKey);
      if (earlier) throw new JwtBearerGrantError(earlier);
      const { grant_type: _grantType, ...parameters } = jwtBearerParameters(assertion, target);
      try {
        return await client.tokenRequest(JWT_BEARER_GRANT_TYPE, parameters, options);
      } catch (error) {
        if (!(error instanceof OAuthError) || !terminalJwtBearerErrors.has(error.error)) throw error;
        remember(error.error === 'invalid_scope' ? scopedKey : tokenKey, error);
        throw new JwtBearerGrantError(error);
      }
    },
    identity: () => lastIdentity,
    async check() {
      await read();
    },
  };
}

/** The `iss` and `sub` a compact JWT states about itself (unverified), when they are short visible strings. */
function statedIdentity(token: string): { issuer: string | undefined; subject: string | undefined } {
  let claims: Record<string, unknown> = {};
  try {
    const decoded = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    if (typeof decoded === 'object' && decoded !== null) claims = decoded as Record<string, unknown>;
  } catch {
    // Not JSON: the authorization server will say so; nothing to record.
  }
  // Visible ASCII only: these land in audit records and `agent.keyId`.
  const text = (value: unknown) => (typeof value === 'string' && /^[\x21-\x7E]{1,512}$/.test(value) ? value : undefined);
  return { issuer: text(claims.iss), subject: text(claims.sub) };
}
