import { describe, expect, it } from 'vitest';
import { formatTime, formatTimeSeconds, zoneName } from '../../../src/text/time.js';

const WINTER = Date.parse('2026-12-04T14:02:07Z');
const SUMMER = Date.parse('2026-07-04T14:02:07Z');

describe('times in the configured zone, the zone named', () => {
  it('shows the local wall-clock time with the zone’s usual abbreviation', () => {
    expect(formatTime(WINTER, 'Europe/Berlin')).toBe('2026-12-04 15:02 CET');
    expect(formatTime(SUMMER, 'Europe/Berlin')).toBe('2026-07-04 16:02 CEST');
    expect(formatTime(WINTER, 'Europe/London')).toBe('2026-12-04 14:02 GMT');
    expect(formatTime(SUMMER, 'Europe/London')).toBe('2026-07-04 15:02 BST');
    expect(formatTime(WINTER, 'America/New_York')).toBe('2026-12-04 09:02 EST');
    expect(formatTime(SUMMER, 'America/New_York')).toBe('2026-07-04 10:02 EDT');
    expect(formatTime(WINTER, 'UTC')).toBe('2026-12-04 14:02 UTC');
  });

  it('names a zone without a common abbreviation by its offset', () => {
    expect(formatTime(WINTER, 'Europe/Istanbul')).toBe('2026-12-04 17:02 UTC+3');
    expect(formatTime(WINTER, 'Asia/Kolkata')).toBe('2026-12-04 19:32 UTC+5:30');
    expect(zoneName(WINTER, 'Asia/Tokyo')).toBe('UTC+9');
  });

  it('crosses the date line and midnight in the zone, not in UTC', () => {
    expect(formatTime(Date.parse('2026-11-23T23:30:00Z'), 'Asia/Tokyo')).toBe('2026-11-24 08:30 UTC+9');
    expect(formatTime(Date.parse('2026-11-24T04:30:00Z'), 'America/New_York')).toBe('2026-11-23 23:30 EST');
  });

  it('gives seconds for the audit log', () => {
    expect(formatTimeSeconds(WINTER, 'Europe/Berlin')).toBe('2026-12-04 15:02:07 CET');
  });
});
