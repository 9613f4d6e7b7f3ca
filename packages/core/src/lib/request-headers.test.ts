import { describe, expect, it } from 'vitest';
import { findHeader, headerValue, normalizeRequestHeaders } from './request-headers.js';

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
    expect(() => normalizeRequestHeaders(['a'], omit)).toThrow(TypeError);
  });
  it('finds headers case-insensitively', () => {
    expect(findHeader(['Content-Type', 'a'], 'content-type')).toBe('a');
    expect(headerValue({ 'www-authenticate': ['a', 'b'] }, 'www-authenticate')).toBe('a, b');
  });
});
