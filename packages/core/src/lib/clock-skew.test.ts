import { describe, expect, it } from 'vitest';
import { blamesTime, createSkewClock } from './clock-skew.js';

describe('createSkewClock', () => {
  it('measures and corrects the skew from a Date header', () => {
    let local = Date.parse('2025-01-01T00:00:00Z');
    const clock = createSkewClock(() => local);
    const skew = clock.skewFrom('Wed, 01 Jan 2025 00:02:00 GMT')!;
    expect(skew).toBe(120_500);
    clock.correct('Wed, 01 Jan 2025 00:02:00 GMT');
    expect(clock.now()).toBe(local + 120_500);
    clock.correct('Wed, 01 Jan 2025 00:02:00 GMT'); // absolute: a second correction does not add up
    expect(clock.now()).toBe(local + 120_500);
    expect(clock.local()).toBe(local);
    local += 1_000;
    expect(clock.skewFrom('Wed, 01 Jan 2025 00:02:01 GMT')).toBe(0);
    expect(clock.skewFrom(undefined)).toBeUndefined();
    expect(clock.skewFrom('yesterday')).toBeUndefined();
  });
});

describe('blamesTime', () => {
  it('recognizes time-related descriptions', () => {
    expect(blamesTime('DPoP proof iat is not recent enough')).toBe(true);
    expect(blamesTime('jwt expired')).toBe(true);
    expect(blamesTime('jwt issued in the future')).toBe(true);
    expect(blamesTime('client authentication failed')).toBe(false);
    expect(blamesTime(undefined)).toBe(false);
  });
});
