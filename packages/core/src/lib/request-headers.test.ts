import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { findHeader, headerValue, normalizeRequestHeaders, toHeaderRecord } from './request-headers.js';

const omit = new Set(['authorization', 'dpop']);

describe('normalizeRequestHeaders', () => {
  it('reads an object, dropping replaced and undefined headers, expanding arrays', () => {
    expect(normalizeRequestHeaders({ Accept: 'json', Authorization: 'Bearer x', 'x-a': ['1', '2'], 'x-b': undefined }, omit)).toEqual([
      'Accept',
      'json',
      'x-a',
      '1',
      'x-a',
      '2',
    ]);
  });
  it('reads a flat array, with Buffers', () => {
    expect(normalizeRequestHeaders(['accept', 'json', 'DPoP', 'old', Buffer.from('x-c'), Buffer.from('3')], omit)).toEqual(['accept', 'json', 'x-c', '3']);
  });
  it('reads pairs, a Map and Headers', () => {
    expect(normalizeRequestHeaders([['accept', 'json'], ['authorization', 'x']], omit)).toEqual(['accept', 'json']);
    expect(normalizeRequestHeaders(new Map([['accept', 'json']]), omit)).toEqual(['accept', 'json']);
    expect(normalizeRequestHeaders(new Headers({ Accept: 'json', DPoP: 'x' }), omit)).toEqual(['accept', 'json']);
  });
  it('accepts nothing and refuses odd flat arrays', () => {
    expect(normalizeRequestHeaders(null, omit)).toEqual([]);
    expect(() => normalizeRequestHeaders(['a'], omit)).toThrow(ConfigurationError);
  });
  it('finds headers case-insensitively', () => {
    expect(findHeader(['Content-Type', 'a'], 'content-type')).toBe('a');
    expect(headerValue({ 'www-authenticate': ['a', 'b'] }, 'www-authenticate')).toBe('a, b');
  });
});

describe('toHeaderRecord', () => {
  it('reads records, pairs and Headers, lower-casing names, combining repeats and dropping replaced names', () => {
    expect(toHeaderRecord({ Accept: 'json', AUTHORIZATION: 'x' }, omit)).toEqual({ accept: 'json' });
    expect(toHeaderRecord([['X-A', '1'], ['x-a', '2'], ['DPoP', 'x']], omit)).toEqual({ 'x-a': '1, 2' });
    expect(toHeaderRecord(new Headers({ 'X-B': '3', Authorization: 'x' }), omit)).toEqual({ 'x-b': '3' });
    expect(toHeaderRecord(undefined, omit)).toEqual({});
    const hostile = toHeaderRecord(JSON.parse('{"__proto__":"x"}'), omit);
    expect(Object.getPrototypeOf(hostile)).toBe(Object.prototype);
    expect(Object.hasOwn(hostile, '__proto__')).toBe(true);
  });
  it('refuses malformed pairs', () => {
    expect(() => toHeaderRecord([['a']], omit)).toThrow(ConfigurationError);
  });
});
