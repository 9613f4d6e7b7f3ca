/**
 * One challenge of a `WWW-Authenticate` header.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1
 */
export interface AuthenticationChallenge {
  /** The auth-scheme, lower-cased (schemes are case-insensitive), e.g. `dpop`, `bearer`. */
  scheme: string;
  /** Parameters by lower-cased name; quoted-string values unescaped. The first of duplicates wins. */
  parameters: Record<string, string>;
  /** The token68 form (e.g. of `Basic`), when the challenge used it instead of parameters. */
  token68?: string | undefined;
}

const tchar = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const token68char = /[A-Za-z0-9\-._~+/]/;

/**
 * Parses a `WWW-Authenticate` field value (several headers may be joined with commas) into its
 * challenges: several challenges per value, quoted strings with escapes and commas inside them,
 * token68, and case-insensitive schemes and parameter names. Malformed input never throws: what
 * parses before the first syntax error is returned.
 *
 * @example
 * ```ts
 * parseWwwAuthenticate('DPoP error="invalid_token", error_description="a, b", Bearer realm="api"');
 * // [{ scheme: 'dpop', parameters: { error: 'invalid_token', error_description: 'a, b' } },
 * //  { scheme: 'bearer', parameters: { realm: 'api' } }]
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7.1
 */
export function parseWwwAuthenticate(value: string | readonly string[] | null | undefined): AuthenticationChallenge[] {
  if (value === null || value === undefined) return [];
  const input = typeof value === 'string' ? value : value.join(', ');
  const challenges: AuthenticationChallenge[] = [];
  let position = 0;

  const skipSpace = () => {
    while (position < input.length && (input[position] === ' ' || input[position] === '\t')) position++;
  };
  const skipSpaceAndCommas = () => {
    while (position < input.length && /[ \t,]/.test(input[position]!)) position++;
  };
  const readToken = (): string => {
    const start = position;
    while (position < input.length && tchar.test(input[position]!)) position++;
    return input.slice(start, position);
  };
  const readQuoted = (): string | undefined => {
    // input[position] is the opening quote
    let result = '';
    position++;
    while (position < input.length) {
      const char = input[position]!;
      if (char === '\\' && position + 1 < input.length) {
        result += input[position + 1];
        position += 2;
      } else if (char === '"') {
        position++;
        return result;
      } else {
        result += char;
        position++;
      }
    }
    return undefined; // unterminated
  };
  /** True when the text at the cursor is `token BWS "="` but not a token68 ending the challenge. */
  const atParameter = (): boolean => {
    const match = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=/.exec(input.slice(position, position + 256));
    if (!match) return false;
    const rest = input.slice(position + match[0].length);
    // `name==` or `name=` followed by a comma or the end is token68 padding, not a parameter.
    return !/^=*[ \t]*(,|$)/.test(rest) || /^[ \t]*"/.test(rest);
  };

  skipSpaceAndCommas();
  while (position < input.length) {
    const scheme = readToken();
    if (!scheme) break;
    const challenge: AuthenticationChallenge = { scheme: scheme.toLowerCase(), parameters: {} };
    challenges.push(challenge);
    skipSpace();
    if (position >= input.length) break;
    if (input[position] === ',') {
      skipSpaceAndCommas();
      continue;
    }
    if (!atParameter()) {
      const start = position;
      while (position < input.length && token68char.test(input[position]!)) position++;
      while (position < input.length && input[position] === '=') position++;
      if (position === start) break; // syntax error
      challenge.token68 = input.slice(start, position);
      skipSpace();
      if (position < input.length && input[position] !== ',') break;
      skipSpaceAndCommas();
      continue;
    }
    // auth-params, until the next challenge's scheme
    for (;;) {
      const name = readToken().toLowerCase();
      skipSpace();
      position++; // '='
      skipSpace();
      let parameterValue: string | undefined;
      if (input[position] === '"') parameterValue = readQuoted();
      else parameterValue = readToken();
      if (parameterValue === undefined) return challenges; // unterminated quoted string
      // defineProperty: a parameter named `__proto__` must stay a plain member.
      if (!Object.hasOwn(challenge.parameters, name)) {
        Object.defineProperty(challenge.parameters, name, { value: parameterValue, enumerable: true, writable: true, configurable: true });
      }
      skipSpace();
      if (position >= input.length) return challenges;
      if (input[position] !== ',') return challenges; // syntax error
      skipSpaceAndCommas();
      if (position >= input.length || !atParameter()) break;
    }
  }
  return challenges;
}
