import { describe, expect, it } from 'vitest';
import { blamesTime, createOriginClocks, createSkewClock, maxClockCorrectionMs } from './clock-skew.js';

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

describe('clock corrections are capped and per origin', () => {
  it('refuses an offset beyond five minutes and keeps the last one', () => {
    const local = Date.parse('2025-01-01T00:00:00Z');
    const clock = createSkewClock(() => local);
    expect(clock.correct('Wed, 01 Jan 2025 00:04:59 GMT')).toBe(true);
    expect(clock.offsetMs).toBe(299_500);
    expect(clock.correct('Thu, 01 Jan 2035 00:00:00 GMT')).toBe(false);
    expect(clock.correct('Tue, 31 Dec 2024 23:54:00 GMT')).toBe(false);
    expect(clock.correct('not a date')).toBe(false);
    expect(clock.offsetMs).toBe(299_500);
    expect(maxClockCorrectionMs).toBe(300_000);
    const wide = createSkewClock(() => local, { maxCorrectionMs: 3_600_000 });
    expect(wide.correct('Wed, 01 Jan 2025 00:30:00 GMT')).toBe(true);
  });

  it('keeps one offset per origin', () => {
    const local = Date.parse('2025-01-01T00:00:00Z');
    const clocks = createOriginClocks(() => local);
    expect(clocks.forOrigin('https://rs.example').correct('Wed, 01 Jan 2025 00:02:00 GMT')).toBe(true);
    expect(clocks.forOrigin('https://rs.example').offsetMs).toBe(120_500);
    expect(clocks.forOrigin('https://as.example').offsetMs).toBe(0);
    expect(clocks.local()).toBe(local);
  });
});

describe('a clock with a baseline', () => {
  it('follows the baseline until corrected, and is corrected at most the cap away from it', () => {
    const local = Date.parse('2025-01-01T00:00:00Z');
    let asOffset = 0;
    const clocks = createOriginClocks(() => local, { baseline: () => asOffset });
    const rs = clocks.forOrigin('https://rs.example');
    asOffset = 600_000;
    expect(rs.offsetMs).toBe(600_000);
    expect(rs.now()).toBe(local + 600_000);
    // 14 minutes ahead: 4 minutes from the baseline.
    expect(rs.correct('Wed, 01 Jan 2025 00:14:00 GMT')).toBe(true);
    expect(rs.offsetMs).toBe(840_500);
    // 2 minutes ahead: 8 minutes from the baseline.
    expect(rs.correct('Wed, 01 Jan 2025 00:02:00 GMT')).toBe(false);
    expect(rs.offsetMs).toBe(840_500);
  });
});
