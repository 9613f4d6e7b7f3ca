import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet } from 'jose';
import type Provider from 'oidc-provider';
import { errors, type KoaContext } from 'oidc-provider';
// oidc-provider registers its built-in grants with these helpers; a registered grant gets none of
// them, so the JWT bearer grant borrows the client_credentials handler (pinned 9.13.3) for
// everything after the assertion: DPoP binding, resource indicators, scopes, the token response.
import { handler as clientCredentialsHandler } from 'oidc-provider/lib/actions/grants/client_credentials.js';
import * as grantHelpers from 'oidc-provider/lib/helpers/grants.js';

/**
 * The JWT bearer authorization grant type.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** A platform whose workload-identity JWTs the authorization server trusts. */
export interface TrustedWorkloadIssuer {
  /** `iss` of its JWTs. */
  issuer: string;
  /** Its public keys. */
  publicJwks: JSONWebKeySet;
}

/** Options of {@link registerJwtBearerGrant}. */
export interface JwtBearerGrantOptions {
  /** Issuers whose JWTs are accepted. */
  trustedIssuers: readonly TrustedWorkloadIssuer[];
  /** The workload (`iss` and `sub`) registered for a client, or undefined. */
  workloadOf(clientId: string): { issuer: string; subject: string } | undefined;
}

/** Leeway for `exp`, `nbf` and `iat`, seconds. */
const clockToleranceSeconds = 30;

/**
 * Adds the JWT bearer grant to the devkit's authorization server: a client registered for a
 * workload (see `registerWorkloadAgent`) presents that workload's JWT as `assertion` and gets a
 * DPoP-bound access token, as with client credentials. The JWT must be signed (ES256) by a trusted
 * issuer, name this server (its issuer or token endpoint) in `aud`, carry `exp` and not be expired,
 * and its `iss` and `sub` must be the ones registered for the client; otherwise `invalid_grant`,
 * saying which check failed (never echoing the JWT).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1 (the grant)
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3 (JWT format and processing)
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3.1 (error responses)
 */
export function registerJwtBearerGrant(provider: Provider, options: JwtBearerGrantOptions): void {
  const helpers = Object.fromEntries(
    Object.entries(grantHelpers).map(([name, helper]) => [name, (helper as (...args: unknown[]) => unknown).bind(undefined, provider)]),
  );
  const keySets = new Map(options.trustedIssuers.map((trusted) => [trusted.issuer, createLocalJWKSet(trusted.publicJwks)]));

  async function checkAssertion(ctx: KoaContext): Promise<void> {
    const assertion = ctx.oidc.params.assertion;
    if (typeof assertion !== 'string' || assertion.length === 0) throw new errors.InvalidRequest('missing required parameter: assertion');
    const clientId = ctx.oidc.client!.clientId;
    const workload = options.workloadOf(clientId);
    if (workload === undefined) throw new errors.UnauthorizedClient('this client is not registered for a workload identity');
    const keySet = keySets.get(workload.issuer);
    if (keySet === undefined) throw invalidGrant('the workload token issuer registered for this client is not trusted');
    let claims: { sub?: string };
    try {
      ({ payload: claims } = await jwtVerify(assertion, keySet, {
        issuer: workload.issuer,
        audience: [provider.issuer, ctx.oidc.urlFor('token')],
        algorithms: ['ES256'],
        requiredClaims: ['exp', 'sub'],
        clockTolerance: clockToleranceSeconds,
      }));
    } catch (error) {
      throw invalidGrant(reason(error));
    }
    if (claims.sub !== workload.subject) throw invalidGrant('the workload token subject is not the one registered for this client');
  }

  provider.registerGrantType(
    JWT_BEARER_GRANT_TYPE,
    async (ctx: KoaContext) => {
      // The proof first, as for every grant: a nonce challenge comes before any verdict on the JWT.
      await helpers.validateDpop!(ctx);
      await checkAssertion(ctx);
      await clientCredentialsHandler(provider, helpers, ctx);
    },
    ['assertion', 'scope', 'resource'],
    ['resource'],
  );

  // oidc-provider answers a grant type the client may not use with invalid_request; RFC 6749
  // §5.2 (and RFC 7523 §3.1) name it unauthorized_client, which agents treat as final.
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { error?: unknown; error_description?: unknown } | undefined;
    if (
      ctx.status === 400 &&
      body?.error === 'invalid_request' &&
      body.error_description === 'requested grant type is not allowed for this client' &&
      ctx.oidc?.route === 'token' &&
      ctx.oidc.params?.grant_type === JWT_BEARER_GRANT_TYPE
    ) {
      ctx.body = { ...body, error: 'unauthorized_client' };
    }
  });
}

function invalidGrant(description: string): Error {
  return new errors.CustomOIDCProviderError('invalid_grant', description);
}

/** Why jose refused the JWT, in words that name the check and never the content. */
function reason(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the workload token is expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'the workload token audience is not this authorization server';
    if (error.claim === 'iss') return 'the workload token issuer is not the one registered for this client';
    if (error.claim === 'nbf' || error.claim === 'iat') return 'the workload token is not valid yet';
    return `the workload token lacks or has an invalid ${error.claim} claim`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) {
    return 'the workload token is not signed by the trusted workload issuer';
  }
  return 'the workload token is not a valid signed JWT';
}
