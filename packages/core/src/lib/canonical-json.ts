import canonicalizeModule from 'canonicalize';
import { CountersignError } from '../errors.js';
import { findNonJson } from './plain-json.js';
import { sha256Base64url } from './sha256.js';

// The package is CommonJS (`module.exports = serialize`) while its typings declare a default export.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/**
 * Serializes a JSON value per the JSON Canonicalization Scheme: members sorted by UTF-16 code
 * units, no white space, ECMAScript number formatting. Values JSON cannot carry faithfully
 * (functions, symbols, bigints, non-finite numbers, `undefined` in arrays, class instances such as
 * a Date, cycles) are refused, wherever they are nested; `undefined` object members are left out.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8785#section-3
 */
export function canonicalJson(value: unknown): string {
  const offending = findNonJson(value);
  if (offending !== undefined) throw new CountersignError(`value cannot be canonicalized as JSON: ${offending} is not plain JSON`);
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (error) {
    throw new CountersignError('value cannot be canonicalized as JSON', { cause: error });
  }
  if (text === undefined) throw new CountersignError('value cannot be canonicalized as JSON');
  return text;
}

/**
 * The hash that binds an approval to exact arguments: SHA-256 (base64url) of the RFC 8785
 * canonical JSON of `value`. The devkit's tool API computes the same over a request body.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8785
 */
export function canonicalSha256(value: unknown): string {
  return sha256Base64url(canonicalJson(value));
}
