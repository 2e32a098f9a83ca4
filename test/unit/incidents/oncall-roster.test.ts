import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { localInstant, OncallRoster } from '../../../src/incidents/oncall-roster.js';
import type { RotaTeam } from '../../../src/incidents/rota.js';
import { SqlStore } from '../../../src/store/sql-store.js';
import { SqliteDriver } from '../../../src/store/sqlite-driver.js';

const H = 3_600_000;
/** Daily at 09:00 UTC from 1 Nov 2026: ann, ben, ann, ben... (2 Nov: ben, 3 Nov: ann). */
const pair: RotaTeam = {
  name: 'pair',
  timeZone: 'UTC',
  rotation: 'daily',
  handover: '09:00',
  handoverDay: 'monday',
  start: '2026-11-01',
  people: ['ann', 'ben'],
};
const solo: RotaTeam = { ...pair, name: 'solo', people: ['~dba'] };
const at = (day: number, hour: number) => Date.UTC(2026, 10, day, hour);

let store: SqlStore;
let roster: OncallRoster;
const clock = { now: at(3, 12) };

beforeEach(async () => {
  store = new SqlStore(new SqliteDriver(':memory:'));
  await store.migrate();
  roster = new OncallRoster({
    teams: [pair, solo],
    store,
    now: () => clock.now,
    log: pino({ level: 'silent' }),
  });
  return () => store.close();
});

const override = (person: string, startsAt: number, endsAt: number, createdAt: number) => ({
  team: 'pair',
  person,
  startsAt,
  endsAt,
  kind: 'override' as const,
  note: '',
  createdBy: 'olivia',
  createdAt,
});

describe('the on-call roster', () => {
  it('without overrides follows the rota, one segment per shift, also for a one-person rota', async () => {
    await roster.refresh();
    expect(roster.now(pair)).toMatchObject({
      current: { person: 'ann', from: at(3, 9), until: at(4, 9) },
      next: { person: 'ben', from: at(4, 9), until: at(5, 9) },
    });
    expect(roster.now(solo)).toMatchObject({
      current: { person: '~dba', from: at(3, 9) },
      next: { person: '~dba', from: at(4, 9) },
    });
  });

  it('an override wins over the rota while it lasts; where two overlap the newer wins', async () => {
    await store.addOncallOverrides([
      override('carl', at(3, 10), at(4, 12), 1),
      override('dora', at(3, 14), at(3, 16), 2),
    ]);
    await roster.refresh();
    expect(
      roster
        .segments(pair, at(3, 9), at(5, 9))
        .map((s) => [s.person, (s.from - at(3, 9)) / H, (s.until - at(3, 9)) / H]),
    ).toEqual([
      ['ann', 0, 1],
      ['carl', 1, 5],
      ['dora', 5, 7],
      ['carl', 7, 27],
      ['ben', 27, 48],
    ]);
    expect(roster.mentionFor('pair', at(3, 15))).toBe('@dora');
    expect(roster.mentionFor('pair', at(4, 13))).toBe('@ben');
    expect(roster.mentionFor('nope')).toBeUndefined();
  });

  it('reads times on the team clock', () => {
    expect(localInstant('2026-12-24T09:00', 'Europe/Berlin')).toBe(Date.UTC(2026, 11, 24, 8));
    expect(localInstant('2026-02-30T09:00', 'UTC')).toBeUndefined();
    expect(localInstant('24.12.2026 09:00', 'UTC')).toBeUndefined();
  });
});
