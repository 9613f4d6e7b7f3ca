import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { DpopNonceCache } from './nonce-cache.js';

describe('DpopNonceCache', () => {
  it('remembers the latest nonce per origin', () => {
    const cache = new DpopNonceCache();
    cache.set('https://as.example.com', 'n1');
    cache.set('https://as.example.com', 'n2');
    cache.set('https://api.example.com', 'm1');
    expect(cache.get('https://as.example.com')).toBe('n2');
    expect(cache.get('https://api.example.com')).toBe('m1');
    expect(cache.get('https://other.example.com')).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('is bounded, dropping the least recently used origin first', () => {
    const cache = new DpopNonceCache(3);
    cache.set('https://a', '1');
    cache.set('https://b', '2');
    cache.set('https://c', '3');
    expect(cache.get('https://a')).toBe('1'); // a is now the most recently used
    cache.set('https://d', '4'); // evicts b
    expect(cache.size).toBe(3);
    expect(cache.get('https://b')).toBeUndefined();
    expect(cache.get('https://a')).toBe('1');
    cache.set('https://c', '3b'); // refresh c
    cache.set('https://e', '5'); // evicts d
    expect(cache.get('https://d')).toBeUndefined();
    expect(cache.get('https://c')).toBe('3b');
  });

  it('stays within its bound for any number of origins', () => {
    const cache = new DpopNonceCache(50);
    for (let index = 0; index < 10_000; index++) cache.set(`https://host-${index}.example`, `n${index}`);
    expect(cache.size).toBe(50);
    expect(cache.get('https://host-9999.example')).toBe('n9999');
    expect(cache.get('https://host-9949.example')).toBeUndefined();
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new DpopNonceCache(0)).toThrow(ConfigurationError);
    expect(() => new DpopNonceCache(1.5)).toThrow(ConfigurationError);
  });
});
