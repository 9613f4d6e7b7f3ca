import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { base64urlDecode } from './base64url.js';
import { randomId } from './random.js';

describe('randomId', () => {
  it('is 128 bits of base64url by default', () => {
    const id = randomId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(base64urlDecode(id)).toHaveLength(16);
  });

  it('never repeats across many pool refills', () => {
    const seen = new Set<string>();
    for (let index = 0; index < 20_000; index++) seen.add(randomId());
    expect(seen.size).toBe(20_000);
  });

  it('spreads bits evenly (each bit set close to half the time)', () => {
    const counts = new Array<number>(128).fill(0);
    const samples = 4_000;
    for (let index = 0; index < samples; index++) {
      const bytes = base64urlDecode(randomId());
      for (let bit = 0; bit < 128; bit++) counts[bit]! += (bytes[bit >> 3]! >> (bit & 7)) & 1;
    }
    // 6 standard deviations around samples/2 (sd = sqrt(samples)/2): a real defect, never noise.
    for (const count of counts) expect(Math.abs(count - samples / 2)).toBeLessThan(6 * (Math.sqrt(samples) / 2));
  });

  it('takes longer identifiers and refuses short ones', () => {
    expect(base64urlDecode(randomId(32))).toHaveLength(32);
    expect(() => randomId(8)).toThrow(ConfigurationError);
    expect(() => randomId(16.5)).toThrow(ConfigurationError);
  });
});
