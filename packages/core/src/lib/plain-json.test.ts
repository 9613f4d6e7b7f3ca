import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findNonJson } from './plain-json.js';

describe('findNonJson', () => {
  it('accepts every JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => findNonJson(value) === undefined));
  });

  it('accepts undefined object members, which JSON leaves out', () => {
    expect(findNonJson({ memo: undefined, amount: 1 })).toBeUndefined();
  });

  it.each([
    [{ amount: () => 1 }, 'amount'],
    [{ nested: { when: new Date(0) } }, 'nested.when'],
    [[{ type: 'x', value: Number.NaN }], '(root)[0].value'],
    [{ list: [1, undefined] }, 'list[1]'],
    [{ big: 1n }, 'big'],
    [{ map: new Map() }, 'map'],
    [Symbol('x'), '(root)'],
    [Number.POSITIVE_INFINITY, '(root)'],
  ])('names the first value JSON cannot carry in %o', (value, path) => {
    expect(findNonJson(value)).toBe(path);
  });

  it('refuses cycles and accepts shared references', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(findNonJson(cyclic)).toBe('self');
    const shared = { a: 1 };
    expect(findNonJson({ first: shared, second: shared })).toBeUndefined();
  });
});
