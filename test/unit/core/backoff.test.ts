/** The one backoff: doubling, the cap, the jitter's range, and attempts past any sensible count. */
import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../../src/backoff.js';

describe('backoffMs', () => {
  it('doubles the base per attempt', () => {
    expect([0, 1, 2, 3].map((attempt) => backoffMs(attempt, { baseMs: 250 }))).toEqual([
      250, 500, 1000, 2000,
    ]);
  });

  it('stops at the cap', () => {
    expect(backoffMs(10, { baseMs: 1000, maxMs: 60_000 })).toBe(60_000);
    expect(backoffMs(5, { baseMs: 1000, maxMs: 60_000 })).toBe(32_000);
  });

  it('spreads by the jitter range, from its low end to its high end', () => {
    const options = { baseMs: 1000, maxMs: 30_000, jitter: [0.75, 1.25] as const };
    expect(backoffMs(1, { ...options, random: () => 0 })).toBe(1500);
    expect(backoffMs(1, { ...options, random: () => 0.5 })).toBe(2000);
    expect(backoffMs(1, { ...options, random: () => 1 })).toBe(2500);
    expect(backoffMs(20, { ...options, random: () => 1 })).toBe(37_500);
  });

  it('stays finite for any attempt count, and treats a negative one as the first', () => {
    expect(backoffMs(10_000, { baseMs: 200 })).toBe(200 * 2 ** 30);
    expect(backoffMs(-3, { baseMs: 200 })).toBe(200);
  });
});
