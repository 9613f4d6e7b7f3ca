/** A value after {@link scrubSecrets}, with the paths of what was replaced. */
export interface ScrubResult<Value> {
  /** A JSON-safe copy with every secret-looking value replaced. */
  value: Value;
  /** Paths of replaced values (`error.message`, `args.keys[0].d`), in the order found. */
  redacted: string[];
}

/**
 * A compact JWS or JWE: a first segment of at least ten base64url characters that starts like a
 * base64url-encoded JSON object (`ey…` for `{"` or `{ `, `ew…` for `{` and a line break), then two
 * or four more dot-separated segments (payload and signature may be empty).
 */
const compactSerialization = /(?<![A-Za-z0-9_-])e[wy][A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){2}(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?(?![A-Za-z0-9_-])/g;
/** A PEM block, or what is left of one when it was cut. */
const pemBlock = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g;
/** A JSON text holding a JWK with a private (or symmetric) member. */
const jwkInText = /"kty"\s*:/;
const privateMemberInText = /"(?:d|p|q|dp|dq|qi|k|oth)"\s*:/;
/** JWK members that hold private or secret key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2). */
const privateJwkMembers = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']);

const maximumDepth = 32;

/**
 * Copies a value for an audit record, replacing anything that looks like a credential, so that even a
 * careless caller cannot write one: compact JWS/JWE strings (tokens, DPoP proofs, client
 * assertions) become `[redacted:jws]`, PEM blocks `[redacted:pem]`, and the private members of a JWK
 * (an object with `kty` or `crv`; or a JSON text holding one) are removed or replaced with
 * `[redacted:jwk]`. The copy is also made JSON-safe: functions and symbols are dropped, bigints become
 * strings, non-finite numbers become `null`, binary data becomes `[redacted:binary]`, cycles and
 * nesting deeper than 32 levels become `[redacted:depth]`.
 *
 * @example
 * ```ts
 * scrubSecrets({ message: `bad token ${jwt}` });
 * // { value: { message: 'bad token [redacted:jws]' }, redacted: ['message'] }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1 (compact serialization)
 * @see https://www.rfc-editor.org/rfc/rfc7468 (PEM)
 */
export function scrubSecrets<Value>(value: Value): ScrubResult<Value> {
  const redacted: string[] = [];
  const scrubbed = scrubValue(value, '', redacted, new Set(), 0);
  return { value: scrubbed as Value, redacted };
}

/** Replaces token-looking and PEM substrings of one string; returns it unchanged when clean. */
export function scrubString(text: string): string {
  let result = text;
  if (result.includes('-----BEGIN ')) result = result.replace(pemBlock, '[redacted:pem]');
  if (result.includes('.')) {
    result = result.replace(compactSerialization, (match) => (looksLikeJoseHeader(match.slice(0, match.indexOf('.'))) ? '[redacted:jws]' : match));
  }
  if (jwkInText.test(result) && privateMemberInText.test(result)) result = '[redacted:jwk]';
  return result;
}

function looksLikeJoseHeader(segment: string): boolean {
  const decoded = Buffer.from(segment, 'base64url').toString('latin1');
  return decoded.trimStart().startsWith('{') && decoded.includes('"');
}

function scrubValue(value: unknown, path: string, redacted: string[], ancestors: Set<object>, depth: number): unknown {
  switch (typeof value) {
    case 'string': {
      const clean = scrubString(value);
      if (clean !== value) redacted.push(path || '(value)');
      return clean;
    }
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return null;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    redacted.push(path || '(value)');
    return '[redacted:binary]';
  }
  if (ancestors.has(value) || depth >= maximumDepth) {
    redacted.push(path || '(value)');
    return '[redacted:depth]';
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return scrubValue(toJSON.call(value), path, redacted, ancestors, depth + 1);

  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((item, index) => scrubValue(item, `${path}[${index}]`, redacted, ancestors, depth + 1) ?? null);
    }
    const isJwk = 'kty' in value || 'crv' in value;
    const copy: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      const memberPath = path ? `${path}.${key}` : key;
      if (isJwk && privateJwkMembers.has(key)) {
        redacted.push(memberPath);
        continue;
      }
      const cleanKey = scrubString(key);
      if (cleanKey !== key) redacted.push(`${path}{key}`);
      const cleanMember = scrubValue(member, memberPath, redacted, ancestors, depth + 1);
      if (cleanMember !== undefined) {
        // defineProperty, so that a `__proto__` member stays a member instead of changing the prototype.
        Object.defineProperty(copy, uniqueKey(copy, cleanKey), { value: cleanMember, enumerable: true, writable: true, configurable: true });
      }
    }
    return copy;
  } finally {
    ancestors.delete(value);
  }
}

function uniqueKey(target: Record<string, unknown>, key: string): string {
  if (!Object.hasOwn(target, key)) return key;
  let index = 2;
  while (Object.hasOwn(target, `${key}#${index}`)) index += 1;
  return `${key}#${index}`;
}
