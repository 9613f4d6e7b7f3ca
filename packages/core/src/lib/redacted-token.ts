import { inspect } from 'node:util';
import type { AccessToken } from '../tokens/types.js';

const redactedToken = '[redacted]';

/**
 * Returns `token` with non-enumerable `toJSON` and `util.inspect` hooks that print
 * `accessToken: '[redacted]'`, so `console.log(token)`, `JSON.stringify(context)` or a logger that
 * serializes a tool's context never writes the credential. The object keeps its enumerable members,
 * so spreads and equality checks still see the token.
 */
export function redactedAccessToken<Token extends AccessToken>(token: Token): Token {
  const printable = () => ({ ...token, accessToken: redactedToken });
  Object.defineProperty(token, 'toJSON', { value: printable, enumerable: false });
  Object.defineProperty(token, inspect.custom, {
    value: (_depth: number, options: object) => `AccessToken ${inspect(printable(), options)}`,
    enumerable: false,
  });
  return token;
}
