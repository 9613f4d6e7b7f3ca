import { decodeJsonObject, isVerifiableAlgorithm, splitCompactJws, verifySignature } from '../lib/jws-signature.js';
import { refuse } from '../refusal.js';
import type { TokenClaims } from '../types.js';
import { checkClaims, type ClaimRules } from './claims.js';
import type { IssuerKeys } from './jwks.js';

/** Validates presented access tokens. */
export interface TokenValidator {
  /** The token's checked claims, or a refusal; `ath` is the token's SHA-256, computed once by the caller. */
  validate(token: string, ath: string): Promise<TokenClaims>;
}

/** Options of {@link createJwtTokenValidator}. */
export interface JwtTokenValidatorOptions extends ClaimRules {
  keys: IssuerKeys;
  algorithms: readonly string[];
  /** Milliseconds since the epoch. */
  now: () => number;
}

const maxTokenLength = 16_384;

/**
 * Validates RFC 9068 JWT access tokens on node:crypto: `typ` `at+jwt`, an allowed asymmetric `alg`,
 * a signature by one of the issuer's keys (looked up by `kid`), then the claims ({@link checkClaims}).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 */
export function createJwtTokenValidator(options: JwtTokenValidatorOptions): TokenValidator {
  const allowed = new Set(options.algorithms);
  return {
    async validate(token) {
      if (token.length > maxTokenLength) refuse('malformed_token', 'access token is too large');
      const parts = splitCompactJws(token);
      if (parts === undefined) refuse('malformed_token', 'access token is not a JWT');
      const header = parts[0].length > 4096 ? undefined : decodeJsonObject(parts[0]);
      if (header === undefined) refuse('malformed_token', 'access token header is not a JSON object');
      if (typeof header.typ !== 'string' || header.typ.toLowerCase().replace(/^application\//, '') !== 'at+jwt') {
        refuse('token_typ', 'access token typ must be at+jwt');
      }
      const alg = header.alg;
      if (!isVerifiableAlgorithm(alg) || !allowed.has(alg)) refuse('token_alg', 'access token alg is not allowed');
      if (header.crit !== undefined) refuse('malformed_token', 'access token header has unsupported crit parameters');
      const kid = header.kid;
      if (kid !== undefined && (typeof kid !== 'string' || kid.length > 256)) refuse('malformed_token', 'access token kid is malformed');
      const key = await options.keys.keyFor(kid, alg);
      if (key === undefined) refuse('token_unknown_key', 'access token is signed by a key the issuer does not publish');
      const signingInput = Buffer.from(token.slice(0, parts[0].length + 1 + parts[1].length), 'latin1');
      if (!verifySignature(key, signingInput, Buffer.from(parts[2], 'base64url'))) refuse('token_signature', 'access token signature is invalid');
      const claims = decodeJsonObject(parts[1]);
      if (claims === undefined) refuse('malformed_token', 'access token payload is not a JSON object');
      return checkClaims(claims, options, options.now() / 1000);
    },
  };
}
