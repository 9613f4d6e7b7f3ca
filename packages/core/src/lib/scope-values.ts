import { ConfigurationError } from '../errors.js';

/**
 * The scope values of a scope given as a space-separated string (`'a b'`) or as an array of values
 * (`['a', 'b']`, each of which may itself hold several space-separated values).
 *
 * @throws {ConfigurationError} anything else (a number, an object, an array holding a non-string)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function scopeValues(scope: unknown): string[] {
  const split = (value: string) => value.split(/[ \t\r\n]+/).filter(Boolean);
  if (typeof scope === 'string') return split(scope);
  if (Array.isArray(scope) && scope.every((value) => typeof value === 'string')) return (scope as string[]).flatMap(split);
  throw new ConfigurationError(`scope must be a space-separated string or an array of strings, not ${Array.isArray(scope) ? 'an array holding other values' : typeof scope}`);
}
