/**
 * Finds the first value in `value` that JSON cannot carry faithfully: functions, symbols, bigints,
 * non-finite numbers, `undefined` in arrays, and objects other than plain ones (a Date, a Map, a
 * class instance). `undefined` object members are allowed (JSON leaves them out). Returns the path
 * of the offending value, or `undefined` when `value` is plain JSON.
 *
 * The canonicalizer library serializes some of these silently (a nested function becomes the text
 * `undefined`), so {@link canonicalJson} checks with this first.
 */
export function findNonJson(value: unknown, path = '(root)', seen = new Set<object>()): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (typeof value !== 'object') return path;
  if (seen.has(value)) return path;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index += 1) {
        const found = value[index] === undefined ? `${path}[${index}]` : findNonJson(value[index], `${path}[${index}]`, seen);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return path;
    for (const [key, member] of Object.entries(value)) {
      if (member === undefined) continue;
      const found = findNonJson(member, path === '(root)' ? key : `${path}.${key}`, seen);
      if (found !== undefined) return found;
    }
    return undefined;
  } finally {
    seen.delete(value);
  }
}
