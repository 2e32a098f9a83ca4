import { describe, expect, it } from 'vitest';
import { type RotaTeam, rotaProblem, shiftAt, splitPeople } from '../../../src/incidents/rota.js';
import { compactDate, formatStamp, localTime, zonedInstant } from '../../../src/text/time.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

const weekly: RotaTeam = {
  name: 'platform',
  timeZone: 'Europe/Berlin',
  rotation: 'weekly',
  handover: '09:00',
  handoverDay: 'monday',
  start: '2026-01-05',
  people: ['@alice', 'bob', '~dba'],
};

describe('weekly rota with handovers in Europe/Berlin', () => {
  it('hands over on Monday at 09:00 local time, not UTC', () => {
    // Mon 2026-01-05 08:59 Berlin (07:59Z) is before the first handover: the last of the rota.
    expect(shiftAt(weekly, at('2026-01-05T07:59:00Z')).current).toBe('~dba');
    const first = shiftAt(weekly, at('2026-01-05T08:00:00Z'));
    expect(first).toMatchObject({ current: '@alice', next: 'bob' });
    expect(iso(first.since)).toBe('2026-01-05T08:00:00.000Z');
    expect(iso(first.until)).toBe('2026-01-12T08:00:00.000Z');
    expect(shiftAt(weekly, at('2026-01-11T23:00:00Z')).current).toBe('@alice');
    expect(shiftAt(weekly, at('2026-01-12T08:00:00Z')).current).toBe('bob');
    expect(shiftAt(weekly, at('2026-01-19T08:00:00Z'))).toMatchObject({ current: '~dba', next: '@alice' });
    expect(shiftAt(weekly, at('2026-01-26T08:00:00Z')).current).toBe('@alice');
  });

  it('moves the handover instant with daylight saving time, keeping 09:00 on the wall clock', () => {
    // DST starts on Sun 2026-03-29 in Berlin: the Monday after, 09:00 is 07:00Z, not 08:00Z.
    const before = shiftAt(weekly, at('2026-03-28T12:00:00Z'));
    expect(iso(before.since)).toBe('2026-03-23T08:00:00.000Z');
    expect(iso(before.until)).toBe('2026-03-30T07:00:00.000Z');
    expect(shiftAt(weekly, at('2026-03-30T06:59:00Z')).current).toBe(before.current);
    expect(shiftAt(weekly, at('2026-03-30T07:00:00Z')).current).toBe(before.next);
    // And back in October (DST ends Sun 2026-10-25).
    const autumn = shiftAt(weekly, at('2026-10-27T12:00:00Z'));
    expect(iso(autumn.since)).toBe('2026-10-26T08:00:00.000Z');
  });

  it('wraps around for times before the start date', () => {
    expect(shiftAt(weekly, at('2025-12-30T12:00:00Z'))).toMatchObject({ current: '~dba', next: '@alice' });
    expect(shiftAt(weekly, at('2025-12-23T12:00:00Z')).current).toBe('bob');
  });
});

describe('daily rota across time zones', () => {
  const daily: RotaTeam = {
    name: 'apps',
    timeZone: 'America/New_York',
    rotation: 'daily',
    handover: '18:30',
    handoverDay: 'monday',
    start: '2026-11-20',
    people: ['ann', 'ben'],
  };

  it('hands over at 18:30 New York time, which is the next UTC day', () => {
    // 2026-11-20 18:30 EST is 23:30Z; the UTC date (21st) must not shift the rota.
    expect(shiftAt(daily, at('2026-11-20T23:29:00Z')).current).toBe('ben');
    const shift = shiftAt(daily, at('2026-11-20T23:30:00Z'));
    expect(shift).toMatchObject({ current: 'ann', next: 'ben' });
    expect(iso(shift.until)).toBe('2026-11-21T23:30:00.000Z');
    expect(shiftAt(daily, at('2026-11-21T23:30:00Z')).current).toBe('ben');
    expect(shiftAt(daily, at('2026-11-23T12:00:00Z')).current).toBe('ann');
  });

  it('is 24 or 25 hours long across the end of DST, always 18:30 local', () => {
    // DST ends in New York on Sun 2026-11-01.
    const shift = shiftAt({ ...daily, start: '2026-10-01' }, at('2026-10-31T23:00:00Z'));
    expect(iso(shift.since)).toBe('2026-10-31T22:30:00.000Z');
    expect(iso(shift.until)).toBe('2026-11-01T23:30:00.000Z');
  });
});

describe('rota validation and people', () => {
  it('says what is wrong with a rota', () => {
    expect(rotaProblem(weekly)).toBeUndefined();
    expect(rotaProblem({ ...weekly, start: '2026-01-06' })).toBe(
      'start 2026-01-06 is a tuesday, but handovers are on mondays',
    );
    expect(rotaProblem({ ...weekly, start: '2026-02-30' })).toBe('start must be a date like 2026-01-05');
    expect(rotaProblem({ ...weekly, handover: '9am' })).toBe('handover must be a local time like 09:00');
    expect(rotaProblem({ ...weekly, rotation: 'daily', start: '2026-01-06' })).toBeUndefined();
  });

  it('splits users from groups, normalised and without duplicates', () => {
    expect(splitPeople(['@Alice', 'alice', '~DBA', 'bob', '~dba'])).toEqual({
      users: ['alice', 'bob'],
      groups: ['dba'],
    });
  });
});

describe('time zone arithmetic', () => {
  it('finds the local date and time of an instant', () => {
    expect(localTime(at('2026-11-23T23:30:00Z'), 'Asia/Tokyo')).toMatchObject({
      year: 2026,
      month: 11,
      day: 24,
      hour: 8,
      minute: 30,
      weekday: 2,
    });
    expect(compactDate(at('2026-11-23T23:30:00Z'), 'Asia/Tokyo')).toBe('20261124');
    expect(compactDate(at('2026-11-23T23:30:00Z'), 'UTC')).toBe('20261123');
    expect(formatStamp(at('2026-07-01T12:05:00Z'), 'Europe/Berlin')).toBe('2026-07-01 14:05');
  });

  it('resolves a wall-clock time skipped by DST to just after the gap', () => {
    const day = Math.floor(Date.UTC(2026, 2, 29) / 86_400_000);
    // 02:30 does not exist in Berlin on 2026-03-29; 03:30 CEST (01:30Z) is what the clock shows next.
    expect(iso(zonedInstant(day, 2, 30, 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(zonedInstant(day, 4, 0, 'Europe/Berlin'))).toBe('2026-03-29T02:00:00.000Z');
  });
});
