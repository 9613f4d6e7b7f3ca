/** Nesting below this depth is summarized as `object(n)` or `array(n)`. */
const maximumDepth = 4;
/** Members beyond this many per object are counted, not listed. */
const maximumMembers = 50;

/**
 * Describes tool arguments without revealing them: every member's name and type, with the length of
 * strings and arrays, never a value. This is what an audit record holds by default (next to the
 * arguments' SHA-256), so a reviewer sees the shape of a call without its payload. Nesting deeper
 * than four levels is summarized as `object(n)`; objects with more than fifty members list the first
 * fifty and count the rest under `…`. Arguments that are not an object are summarized under `$`.
 *
 * @example
 * ```ts
 * summarizeArguments({ accountId: 'acc-1', amount: 1200, tags: ['x'], memo: undefined });
 * // { accountId: 'string(5)', amount: 'number', tags: 'array(1)', memo: 'undefined' }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8785 (the hash recorded beside it is over this canonical form)
 */
export function summarizeArguments(args: unknown): Record<string, unknown> {
  if (isPlainObject(args)) return summarizeObject(args, 1);
  return { $: summarizeValue(args, 1) };
}

function summarizeValue(value: unknown, depth: number): unknown {
  if (value === null) return 'null';
  if (typeof value === 'string') return `string(${value.length})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  if (ArrayBuffer.isView(value)) return `binary(${value.byteLength})`;
  if (value instanceof Date) return 'date';
  if (isPlainObject(value)) {
    return depth >= maximumDepth ? `object(${Object.keys(value).length})` : summarizeObject(value, depth + 1);
  }
  return typeof value;
}

function summarizeObject(value: Record<string, unknown>, depth: number): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  const keys = Object.keys(value);
  for (const key of keys.slice(0, maximumMembers)) {
    Object.defineProperty(summary, key, { value: summarizeValue(value[key], depth), enumerable: true, writable: true, configurable: true });
  }
  if (keys.length > maximumMembers) summary['…'] = `${keys.length - maximumMembers} more`;
  return summary;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
