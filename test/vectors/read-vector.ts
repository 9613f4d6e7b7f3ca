import { readFileSync } from 'node:fs';

/**
 * Reads one of the test vector files beside this module. Each file names the URL its values were
 * taken from in its `source` members.
 */
export function readVector<T = Record<string, any>>(name: 'rfc6979-p256' | 'rfc8037' | 'rfc9449'): T {
  return JSON.parse(readFileSync(new URL(`./${name}.json`, import.meta.url), 'utf8')) as T;
}
