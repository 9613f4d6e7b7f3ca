import { scrubSecrets, scrubString } from '../audit/scrub-secrets.js';

/** Longest server text quoted in an error message. */
const maximumLength = 300;
/**
 * A run of 32 or more token characters (base64, base64url, hex) holding both letters and digits: an
 * opaque access token, a refresh token, a JWS segment or key material that a server echoed. Words
 * and identifiers (`insufficient_user_authentication`) stay.
 */
const longOpaqueRun = /[A-Za-z0-9+/_~-]{32,}={0,2}/g;

/**
 * Makes text a server sent (an `error_description`, a challenge parameter) safe to put in an error
 * message: removes every secret the request carried (`secrets`: the access token, the DPoP proof, the
 * client assertion) and any of its 16-character pieces, then anything that looks like a compact
 * JWS/JWE, a PEM block, a private JWK or a long opaque token; control characters become spaces and
 * the result is cut to 300 characters.
 *
 * @example
 * ```ts
 * scrubServerText(`token ${accessToken} is revoked`, [accessToken]); // 'token [redacted] is revoked'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (error_description is free text)
 */
export function scrubServerText(text: string, secrets: readonly (string | undefined)[] = []): string {
  let result = text;
  const known = secrets.filter((secret): secret is string => typeof secret === 'string' && secret.length >= 8).sort((a, b) => b.length - a.length);
  for (const secret of known) result = result.split(secret).join('[redacted]');
  // A server may echo part of a secret (cut, or one segment of a JWS).
  for (const secret of known) {
    for (let start = 0; start + 16 <= secret.length; start += 8) {
      const piece = secret.slice(start, start + 16);
      if (result.includes(piece)) result = result.split(piece).join('[redacted]');
    }
  }
  result = result.replace(/(?:\[redacted\][A-Za-z0-9_-]{0,15})+\[redacted\]/g, '[redacted]');
  result = scrubString(result).replace(longOpaqueRun, (run) => (/\d/.test(run) && /[A-Za-z]/.test(run) ? '[redacted]' : run));
  // eslint-disable-next-line no-control-regex
  result = result.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return result.length > maximumLength ? `${result.slice(0, maximumLength)}…` : result;
}

/** {@link scrubServerText} over every string of a parameter object, at any depth (after `scrubSecrets`). */
export function scrubServerParameters<Value>(parameters: Record<string, Value>, secrets: readonly (string | undefined)[] = []): Record<string, Value> {
  const result: Record<string, Value> = {};
  for (const [name, value] of Object.entries(parameters)) {
    Object.defineProperty(result, name, {
      value: mapStrings(scrubSecrets(value).value, (text) => scrubServerText(text, secrets)),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return result;
}

/** A copy of a JSON value (as `scrubSecrets` returns it) with every string, key included, passed through `map`. */
function mapStrings<Value>(value: Value, map: (text: string) => string): Value {
  if (typeof value === 'string') return map(value) as Value;
  if (Array.isArray(value)) return value.map((item: unknown) => mapStrings(item, map)) as Value;
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    Object.defineProperty(copy, map(key), { value: mapStrings(member, map), enumerable: true, writable: true, configurable: true });
  }
  return copy as Value;
}
