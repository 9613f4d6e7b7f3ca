import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import { invalidRequest } from './tool-api-error.js';

// The package is CommonJS (`module.exports = serialize`) while its typings declare a default export.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/**
 * The arguments hash an approval is bound to: base64url(SHA-256(RFC 8785 canonical JSON)), computed
 * here on its own (not with the SDK's code), so tests can check the SDK and the enforcement point
 * against a second implementation.
 *
 * @example
 * ```ts
 * argumentsHash({ amount: 250, currency: 'EUR' }); // base64url SHA-256 of '{"amount":250,"currency":"EUR"}'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8785#section-3
 */
export function argumentsHash(value: unknown): string {
  let canonical: string | undefined;
  try {
    canonical = canonicalize(value);
  } catch (error) {
    throw invalidRequest('the request body cannot be canonicalized', { cause: error });
  }
  if (canonical === undefined) throw invalidRequest('the request body cannot be canonicalized');
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}
