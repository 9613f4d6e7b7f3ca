import { describe, expect, it } from 'vitest';
import { boundedMemo } from './bounded-memo.js';

describe('boundedMemo', () => {
  it('computes each key once, undefined results included', () => {
    const calls: string[] = [];
    const memo = boundedMemo((key) => {
      calls.push(key);
      return key === 'none' ? undefined : key.length;
    });
    expect([memo('abc'), memo('abc'), memo('none'), memo('none')]).toEqual([3, 3, undefined, undefined]);
    expect(calls).toEqual(['abc', 'none']);
  });

  it('does not remember a throw', () => {
    let fail = true;
    const memo = boundedMemo((key) => {
      if (fail) throw new Error(`no ${key}`);
      return key;
    });
    expect(() => memo('x')).toThrow('no x');
    fail = false;
    expect(memo('x')).toBe('x');
  });

  it('holds at most `capacity` keys and still answers right after it empties', () => {
    let calls = 0;
    const memo = boundedMemo((key) => {
      calls++;
      return `${key}!`;
    }, 3);
    for (const key of ['a', 'b', 'c', 'd', 'a']) expect(memo(key)).toBe(`${key}!`);
    expect(calls).toBe(5);
    expect(memo('a')).toBe('a!');
    expect(calls).toBe(5);
  });
});
