import { createHash } from 'node:crypto';
import { checkAction, type ApprovedAction } from './action-binding.js';
import { discoverIssuer } from './discovery.js';
import { createProofVerifier, targetOf } from './dpop/proof-verifier.js';
import { createStatelessNonces, type DpopNonces } from './dpop/stateless-nonces.js';
import { ResourceServerConfigurationError } from './errors.js';
import { BoundedMap } from './lib/bounded-map.js';
import { isVerifiableAlgorithm, type VerifiableAlgorithm } from './lib/jws-signature.js';
import { isSecureUrl } from './lib/secure-url.js';
import { protectedResourceMetadata, resourceMetadataUrl } from './metadata.js';
import { RefusalSignal, refuse, refusedVerdict, type ChallengeContext } from './refusal.js';
import { memoryReplayStore, type ReplayStore } from './replay-store.js';
import { scopesOf } from './tokens/claims.js';
import { createIntrospectionValidator } from './tokens/introspection.js';
import { createIssuerKeys } from './tokens/jwks.js';
import { createJwtTokenValidator, type TokenValidator } from './tokens/jwt-access-tokens.js';
import type { ResourceServer, ResourceServerOptions, TokenClaims, Verdict, VerifyOptions } from './types.js';

const token68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const maxAuthorizationLength = 16_400;

/**
 * Creates the enforcement point of one API (RFC 8707 `resource`) for tokens of one authorization
 * server (`issuer`, discovered per RFC 8414 unless its keys or endpoint are given). `verify` runs, in
 * order: the DPoP proof (RFC 9449 §4.3), the access token (RFC 9068 JWT with the issuer's JWKS, or
 * RFC 7662 introspection) and its binding to the proof key (`cnf.jkt`, RFC 7638), revocation, scope,
 * and for an `action` the approval of that exact call (RFC 9396 `agent_action`, spent once). Every
 * refusal is a verdict with a typed reason, a status and ready-to-send headers.
 *
 * @example
 * ```ts
 * const rs = await createResourceServer({ issuer: 'https://as.example', resource: 'https://api.example' });
 * const verdict = await rs.verify(request, { scope: 'payouts:write', action: { tool: 'create_payout', args: body } });
 * if (!verdict.ok) return Response.json(verdict.body, { status: verdict.status, headers: verdict.headers });
 * ```
 * @throws {ResourceServerConfigurationError} bad options, or the issuer cannot be discovered
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 */
export async function createResourceServer(options: ResourceServerOptions): Promise<ResourceServer> {
  const { issuer, resource } = options;
  if (typeof issuer !== 'string' || !isSecureUrl(issuer)) throw new ResourceServerConfigurationError('issuer must be an https URL (http only on loopback)');
  if (typeof resource !== 'string' || !isSecureUrl(resource) || resource.includes('#')) {
    throw new ResourceServerConfigurationError('resource must be an https URL without fragment (http only on loopback)');
  }
  const now = options.now ?? Date.now;
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const clockTolerance = options.clockTolerance ?? 5;
  const proofMaxAge = options.proofMaxAge ?? 60;
  const algorithms = [...(options.dpopAlgorithms ?? ['ES256', 'EdDSA'])];
  if (algorithms.length === 0 || !algorithms.every(isVerifiableAlgorithm)) throw new ResourceServerConfigurationError('dpopAlgorithms must list ES256, ES384 or EdDSA');
  const replay: ReplayStore = options.replay ?? memoryReplayStore();
  const nonces: DpopNonces | undefined = options.nonce === undefined ? undefined : createStatelessNonces({ ...options.nonce, now });
  const maxCachedTokens = options.maxCachedTokens ?? 10_000;
  const tokens = options.tokens ?? { kind: 'jwt' as const };
  const rules = { issuer, resource, clockTolerance };

  let validator: TokenValidator;
  if (tokens.kind === 'jwt') {
    let source = tokens.jwks;
    if (source === undefined) {
      const metadata = await discoverIssuer(issuer, fetchImplementation);
      if (typeof metadata.jwks_uri !== 'string' || !isSecureUrl(metadata.jwks_uri)) {
        throw new ResourceServerConfigurationError('the issuer metadata has no usable jwks_uri');
      }
      source = new URL(metadata.jwks_uri);
    } else if (source instanceof URL && !isSecureUrl(source.href)) {
      throw new ResourceServerConfigurationError('jwks URL must use https (http only on loopback)');
    }
    const keys = createIssuerKeys({ source, refreshCooldown: tokens.refreshCooldown ?? 30, fetch: fetchImplementation, now });
    validator = createJwtTokenValidator({ ...rules, keys, algorithms: tokens.algorithms ?? ['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'], now });
  } else {
    let endpoint = tokens.endpoint;
    if (endpoint === undefined) {
      const metadata = await discoverIssuer(issuer, fetchImplementation);
      if (typeof metadata.introspection_endpoint !== 'string') throw new ResourceServerConfigurationError('the issuer metadata has no introspection_endpoint');
      endpoint = metadata.introspection_endpoint;
    }
    if (!isSecureUrl(String(endpoint))) throw new ResourceServerConfigurationError('introspection endpoint must use https (http only on loopback)');
    validator = createIntrospectionValidator({
      ...rules,
      endpoint: new URL(String(endpoint)),
      clientId: tokens.clientId,
      clientSecret: tokens.clientSecret,
      cacheTtl: tokens.cacheTtl ?? 30,
      maxEntries: maxCachedTokens,
      fetch: fetchImplementation,
      now,
    });
  }

  const proofs = createProofVerifier({ algorithms: algorithms as VerifiableAlgorithm[], maxAge: proofMaxAge, clockTolerance, nonces, now });
  // JWTs verified once per life: keyed by the token's SHA-256 (its `ath`), dropped at `exp`.
  const verified = tokens.kind === 'jwt' ? new BoundedMap<string, TokenClaims>(maxCachedTokens) : undefined;
  // Request URL -> `scheme://host/path` for the htu check; an API has few distinct URLs, bounded anyway.
  const targets = new BoundedMap<string, string>(1024);
  const metadataUrl = resourceMetadataUrl(resource);
  const metadata = protectedResourceMetadata({ resource, issuer, algorithms, scopes: options.scopes, extra: options.metadata });

  async function claimsOf(token: string, ath: string): Promise<TokenClaims> {
    if (verified === undefined) return validator.validate(token, ath);
    const cached = verified.get(ath);
    if (cached !== undefined) {
      if (cached.exp > now() / 1000 - clockTolerance) return cached;
      verified.delete(ath);
    }
    const claims = await validator.validate(token, ath);
    verified.set(ath, claims);
    return claims;
  }

  async function consume(key: string, ttlMs: number): Promise<boolean> {
    try {
      return await replay.consume(key, ttlMs);
    } catch {
      refuse('replay_store_unavailable', 'the replay store is unavailable; the request was not run');
    }
  }

  async function check(request: Request, verifyOptions: VerifyOptions, context: ChallengeContext): Promise<Verdict> {
    const requiredScopes = typeof verifyOptions.scope === 'string' ? verifyOptions.scope.split(' ').filter(Boolean) : [...(verifyOptions.scope ?? [])];
    const scope = requiredScopes.length === 0 ? undefined : requiredScopes.join(' ');

    // The credentials: exactly one `Authorization: DPoP <token>` (RFC 9449 §7.1).
    const authorization = request.headers.get('authorization');
    if (authorization === null) refuse('missing_credentials', 'a DPoP-bound access token is required', scope === undefined ? {} : { scope });
    if (authorization.length > maxAuthorizationLength) refuse('malformed_authorization', 'the Authorization header is too large');
    // Headers combine repeated lines with ", "; neither a scheme nor a token68 contains a comma.
    if (authorization.includes(',')) refuse('duplicate_authorization', 'more than one Authorization header');
    const space = authorization.indexOf(' ');
    const scheme = (space === -1 ? authorization : authorization.slice(0, space)).toLowerCase();
    if (scheme === 'bearer') refuse('bearer_downgrade', 'this resource requires the DPoP authorization scheme; Bearer tokens are refused');
    if (scheme !== 'dpop') refuse('unsupported_scheme', 'unsupported authorization scheme; use DPoP');
    const token = authorization.slice(space + 1).trim();
    if (!token68.test(token)) refuse('malformed_authorization', 'the DPoP authorization header is malformed');

    const proof = request.headers.get('dpop');
    if (proof === null) refuse('missing_proof', 'a DPoP proof header is required');
    if (proof.includes(',')) refuse('duplicate_proof', 'exactly one DPoP proof header is allowed');
    const address = String(verifyOptions.url ?? request.url);
    let target = targets.get(address);
    if (target === undefined) {
      try {
        target = targetOf(new URL(address));
      } catch {
        refuse('malformed_request', 'the request URL is malformed');
      }
      targets.set(address, target);
    }

    // 1. The proof (RFC 9449 §4.3), all but the replay check.
    const ath = createHash('sha256').update(token, 'latin1').digest('base64url');
    const checked = proofs.check({ proof, method: request.method, target, ath });
    // 2. The token, and its binding to the proof's key (RFC 9449 §6).
    const claims = await claimsOf(token, ath);
    if (claims.cnf.jkt !== checked.jkt) refuse('key_mismatch', 'the DPoP proof key does not match the key the token is bound to (cnf.jkt)');
    if (options.isRevoked !== undefined) {
      let revoked: boolean;
      try {
        revoked = await options.isRevoked(claims);
      } catch {
        refuse('revocation_unavailable', 'the revocation status of the token is unavailable');
      }
      if (revoked) refuse('token_revoked', 'access token was revoked');
    }
    // The proof's jti, recorded once the request is authenticated, so forged requests cannot fill the store.
    if (!(await consume(`dpop:${checked.jkt}:${checked.jti}`, (proofMaxAge + clockTolerance + 1) * 1000))) {
      refuse('proof_replayed', 'DPoP proof jti was already used');
    }
    // 3. Scope (RFC 6750 §3.1).
    const scopes = scopesOf(claims);
    const missing = requiredScopes.filter((needed) => !scopes.includes(needed));
    if (missing.length > 0) refuse('insufficient_scope', `this call needs the ${missing.join(' ')} scope`, { scope: scope! });
    // 4. The approved action (RFC 9396), then spent once.
    let approved: ApprovedAction | undefined;
    if (verifyOptions.action !== undefined) approved = checkAction(claims, verifyOptions.action, resource, scope);
    if (approved !== undefined) {
      const ttl = Math.max(1000, (claims.exp + clockTolerance + 1) * 1000 - now());
      if (!(await consume(`action:${claims.iss}:${claims.jti ?? ath}`, ttl))) {
        refuse('action_spent', 'this action token was already used; an approval authorizes one call');
      }
    }
    return {
      ok: true,
      agent: { clientId: claims.client_id, jkt: checked.jkt },
      token: claims,
      scopes,
      approvers: approved?.approvers ?? [],
      ...(approved === undefined ? {} : { action: approved.detail }),
      headers: context.nonce === undefined ? {} : { 'dpop-nonce': context.nonce },
    };
  }

  return Object.freeze({
    resource,
    issuer,
    async verify(request: Request, verifyOptions: VerifyOptions = {}): Promise<Verdict> {
      const context: ChallengeContext = { algorithms, resourceMetadata: metadataUrl, nonce: nonces?.current() };
      try {
        return await check(request, verifyOptions, context);
      } catch (error) {
        const signal = error instanceof RefusalSignal ? error : new RefusalSignal('internal_error', 'the request could not be verified');
        return refusedVerdict(signal, context);
      }
    },
    metadata: () => structuredClone(metadata),
    nonce: () => nonces?.current(),
  });
}
