import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CountersignError } from '../errors.js';
import { canonicalJson, canonicalSha256 } from './canonical-json.js';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts members and formats numbers as ECMAScript does', () => {
    expect(canonicalJson({ b: 1, a: [1e21, 'x', null, 0.1], c: { z: true, y: -0 } })).toBe('{"a":[1e+21,"x",null,0.1],"b":1,"c":{"y":0,"z":true}}');
  });

  it('hashes equal values equally whatever their member order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const reversed = Object.fromEntries(Object.entries(value).reverse());
        expect(canonicalSha256(reversed)).toBe(canonicalSha256(value));
      }),
    );
  });

  it.each([
    ['a nested function', { a: () => 1 }],
    ['undefined in an array', [undefined]],
    ['a nested bigint', { amount: 10n }],
    ['a Date', { when: new Date(0) }],
    ['NaN', { amount: Number.NaN }],
  ])('refuses %s instead of producing invalid text', (_label, value) => {
    expect(() => canonicalJson(value)).toThrow(CountersignError);
  });

  it('leaves undefined members out, as JSON does', () => {
    expect(canonicalJson({ memo: undefined, amount: 1 })).toBe('{"amount":1}');
  });
});
