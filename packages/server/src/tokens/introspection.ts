import { fetchJson } from '../lib/fetch-json.js';
import { BoundedMap } from '../lib/bounded-map.js';
import { refuse, RefusalSignal } from '../refusal.js';
import type { TokenClaims } from '../types.js';
import { checkClaims, type ClaimRules } from './claims.js';
import type { TokenValidator } from './jwt-access-tokens.js';

/** Options of {@link createIntrospectionValidator}. */
export interface IntrospectionValidatorOptions extends ClaimRules {
  endpoint: URL;
  /** The resource server's own client credentials at the authorization server. */
  clientId: string;
  clientSecret: string;
  /** Longest reuse of one answer, seconds (never past the token's `exp`). */
  cacheTtl: number;
  maxEntries: number;
  fetch: typeof fetch;
  /** Milliseconds since the epoch. */
  now: () => number;
}

/**
 * Validates tokens through RFC 7662 introspection: the resource server authenticates as itself
 * (HTTP Basic with its own client credentials, §2.1), the answer must be `active`, and its members
 * pass the same claim rules as a JWT ({@link checkClaims}). Answers are reused for at most
 * `cacheTtl` seconds and never past `exp`: that is how late a revocation can reach the API. An
 * inactive answer is reused just as long, so replaying a dead token does not reach the AS each time.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2
 */
export function createIntrospectionValidator(options: IntrospectionValidatorOptions): TokenValidator {
  const answers = new BoundedMap<string, { until: number; claims?: TokenClaims }>(options.maxEntries);
  const credentials = `Basic ${Buffer.from(`${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`).toString('base64')}`;

  return {
    async validate(token, ath) {
      if (token.length > 16_384) refuse('malformed_token', 'access token is too large');
      const now = options.now();
      const cached = answers.get(ath);
      if (cached !== undefined && cached.until > now) {
        if (cached.claims === undefined) refuse('token_inactive', 'access token is not active');
        return checkClaims(cached.claims, options, now / 1000);
      }
      let answer: Record<string, unknown>;
      try {
        answer = await fetchJson(options.fetch, options.endpoint, {
          method: 'POST',
          headers: { authorization: credentials, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        });
      } catch {
        refuse('introspection_unavailable', 'the token introspection endpoint is unavailable');
      }
      const until = now + options.cacheTtl * 1000;
      if (answer.active !== true) {
        answers.set(ath, { until });
        refuse('token_inactive', 'access token is not active');
      }
      if (answer.token_type !== undefined && typeof answer.token_type === 'string' && answer.token_type.toLowerCase() !== 'dpop') {
        refuse('token_not_bound', 'access token is not a DPoP token');
      }
      let claims: TokenClaims;
      try {
        claims = checkClaims(answer, options, now / 1000);
      } catch (error) {
        if (error instanceof RefusalSignal) answers.set(ath, { until });
        throw error;
      }
      answers.set(ath, { until: Math.min(until, claims.exp * 1000), claims });
      return claims;
    },
  };
}

/** RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
