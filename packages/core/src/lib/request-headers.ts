import { ConfigurationError } from '../errors.js';

/** Request headers in any shape undici accepts. */
export type UndiciRequestHeaders =
  | Record<string, string | string[] | undefined>
  | readonly (string | Buffer)[]
  | Iterable<readonly [string, string | string[] | undefined]>
  | null
  | undefined;

/**
 * Normalizes request headers given as an object, a flat `[name, value, …]` array, an iterable of
 * `[name, value]` pairs (a `Map`, a `Headers`) or nothing, into a flat `[name, value, …]` array of
 * strings, dropping the names in `omit` (lower-case) and any undefined value. Repeated names stay
 * repeated.
 *
 * @see https://github.com/nodejs/undici/blob/main/docs/docs/api/Dispatcher.md#parameter-dispatchoptions
 */
export function normalizeRequestHeaders(headers: UndiciRequestHeaders | unknown, omit: ReadonlySet<string>): string[] {
  const flat: string[] = [];
  const add = (name: unknown, value: unknown) => {
    if (value === undefined || value === null) return;
    const key = String(name);
    if (omit.has(key.toLowerCase())) return;
    if (Array.isArray(value)) for (const item of value) flat.push(key, String(item));
    else flat.push(key, String(value));
  };
  if (headers === null || headers === undefined) return flat;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as [unknown, unknown][]) add(pair[0], pair[1]);
    } else {
      if (headers.length % 2 !== 0) throw new ConfigurationError('flat header arrays must hold name, value pairs');
      for (let index = 0; index < headers.length; index += 2) add(text(headers[index]), text(headers[index + 1]));
    }
    return flat;
  }
  if (typeof headers === 'object' && typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const pair of headers as Iterable<[unknown, unknown]>) add(pair[0], pair[1]);
    return flat;
  }
  if (typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) add(name, value);
    return flat;
  }
  throw new ConfigurationError('request headers must be an object, an array or an iterable');
}

/** The first value of `name` (lower-case) in a flat header array, or `undefined`. */
export function findHeader(flat: readonly string[], name: string): string | undefined {
  for (let index = 0; index < flat.length; index += 2) {
    if (flat[index]!.toLowerCase() === name) return flat[index + 1];
  }
  return undefined;
}

/** A response header value as undici's handler API gives it (`string | string[]`), as one string. */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

function text(value: unknown): unknown {
  return Buffer.isBuffer(value) ? value.toString('latin1') : value;
}

/**
 * Fetch `HeadersInit` (a record, `[name, value]` pairs or a `Headers`) as a plain record with
 * lower-case names, repeated names combined with `, ` as fetch does, without the names in `omit`.
 * undici's fetch reads a record faster than a `Headers` object.
 *
 * @see https://fetch.spec.whatwg.org/#concept-headers-fill
 */
export function toHeaderRecord(init: unknown, omit: ReadonlySet<string>): Record<string, string> {
  const record: Record<string, string> = {};
  if (init === null || init === undefined) return record;
  const add = (name: string, value: unknown) => {
    const key = name.toLowerCase();
    if (omit.has(key)) return;
    const text = String(value);
    // defineProperty: a header named `__proto__` must stay a plain member.
    Object.defineProperty(record, key, {
      value: Object.hasOwn(record, key) ? `${record[key]}, ${text}` : text,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  };
  if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const pair of init as Iterable<[string, unknown]>) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new ConfigurationError('header pairs must have a name and a value');
      add(String(pair[0]), pair[1]);
    }
  } else if (typeof init === 'object') {
    for (const name of Object.keys(init)) add(name, (init as Record<string, unknown>)[name]);
  } else {
    throw new ConfigurationError('headers must be a record, pairs or a Headers object');
  }
  return record;
}
