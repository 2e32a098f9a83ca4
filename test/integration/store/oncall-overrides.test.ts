/**
 * `/ops oncall override|swap|shifts|cancel` through the real router (roles, confirmation buttons,
 * audit), stored in the REAL stores: a SQLite file, and PostgreSQL on a real server this suite
 * starts (test/support/postgres.ts). The on-call roster the alert routing asks for `oncall:<team>`
 * reads the same store, as does a second roster standing for another replica.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertRouter } from '../../../src/alerts/routing.js';
import { configSchema } from '../../../src/config/schema.js';
import { IncidentEngine } from '../../../src/incidents/engine.js';
import { OncallRoster } from '../../../src/incidents/oncall-roster.js';
import { PostgresDriver } from '../../../src/store/postgres-driver.js';
import { SqlStore } from '../../../src/store/sql-store.js';
import { SqliteDriver } from '../../../src/store/sqlite-driver.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';
import { RecordingChat } from '../../support/recording-chat.js';
import { createHarness, type Harness } from '../../support/router-harness.js';

let pg: PostgresServer;
const sqliteDir = mkdtempSync(join(tmpdir(), 'coxswain-oncall-'));
let n = 0;

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(() => {
  pg?.stop();
  rmSync(sqliteDir, { recursive: true, force: true });
});

async function freshPostgres(): Promise<SqlStore> {
  const { default: pgLib } = await import('pg');
  const client = new pgLib.Client({ connectionString: pg.url });
  await client.connect();
  await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  await client.end();
  return new SqlStore(new PostgresDriver(pg.url));
}

const backends: [string, () => Promise<SqlStore>][] = [
  ['sqlite', async () => new SqlStore(new SqliteDriver(join(sqliteDir, `o${++n}.db`)))],
  ['postgres', freshPostgres],
];

/**
 * platform: weekly, Mondays 09:00 Berlin, from Mon 2 Nov 2026: alice, bob, carol, alice (23 Nov)...
 * dba: daily at 08:00 UTC. The harness clock: Mon 23 Nov 2026 12:00 UTC (13:00 in Berlin).
 */
const CONFIG = {
  oncall: {
    teams: [
      {
        name: 'platform',
        timeZone: 'Europe/Berlin',
        rotation: 'weekly',
        handover: '09:00',
        handoverDay: 'monday',
        start: '2026-11-02',
        people: ['alice', '@bob', 'carol'],
      },
      { name: 'dba', rotation: 'daily', handover: '08:00', start: '2026-11-01', people: ['dave', 'erin'] },
    ],
  },
  alerts: {
    routes: [{ matchers: ['team="platform"'], channels: ['platform-alerts'], mention: 'oncall:platform' }],
  },
};

describe.each(backends)('on-call overrides on %s', (_name, open) => {
  let h: Harness;
  let roster: OncallRoster;
  let store: SqlStore;

  beforeEach(async () => {
    store = await open();
    const config = configSchema.parse(CONFIG);
    let built: OncallRoster | undefined;
    h = await createHarness({
      config: CONFIG,
      store,
      services: (s, now) => {
        built = new OncallRoster({
          teams: config.oncall.teams,
          store: s,
          now,
          log: pino({ level: 'silent' }),
        });
        const incidents = new IncidentEngine({
          incidents: config.incidents,
          oncall: config.oncall,
          store: s,
          chat: new RecordingChat(),
          log: pino({ level: 'silent' }),
          now,
          roster: built,
        });
        return { oncall: built, incidents };
      },
    });
    roster = built as OncallRoster;
    await roster.refresh();
    return () => h.close();
  });

  /** Runs a write, clicks its Confirm, and returns the answer. */
  async function confirmed(user: string, text: string) {
    const asked = await h.run(user, text);
    expect(asked.last?.message.title).toBe('Confirm a dangerous command');
    return h.click(user, asked.last, 'Confirm');
  }

  const criticalMention = () =>
    new AlertRouter(h.config.alerts, (team) => roster.mentionFor(team)).route(
      { team: 'platform', severity: 'critical' },
      'test',
    )[0]?.mention;

  it('an override puts bob on call until the time given: oncall, shifts and the alert mention say so', async () => {
    expect(criticalMention()).toBe('@alice');
    const done = await confirmed(
      'olivia',
      'oncall override @bob --until 2026-11-25T09:00 --team platform --reason "alice at a conference"',
    );
    expect(done.last?.message.title).toBe(
      'platform: @bob is on call now until Wed 25 Nov 09:00 Europe/Berlin',
    );
    const [stored] = await store.listOncallOverrides({ endsAfter: 0 });
    expect(stored).toMatchObject({
      team: 'platform',
      person: 'bob',
      kind: 'override',
      startsAt: h.clock.now,
      endsAt: Date.UTC(2026, 10, 25, 8, 0),
      note: 'alice at a conference',
      createdBy: 'olivia',
    });
    expect(criticalMention()).toBe('@bob');
    expect((await h.run('victor', 'oncall')).last?.message.text).toContain('**platform**: now @bob');

    const shifts =
      (await h.run('victor', 'oncall shifts --team platform --days 14')).last?.message.text ?? '';
    expect(shifts.split('\n')).toEqual([
      '**platform** (Europe/Berlin, weekly handover at 09:00 on mondays)',
      `- Mon 23 Nov 13:00 → Wed 25 Nov 09:00: @bob (override #${stored?.id} by olivia: alice at a conference)`,
      '- Wed 25 Nov 09:00 → Mon 30 Nov 09:00: @alice',
      '- Mon 30 Nov 09:00 → Mon 7 Dec 09:00: @bob',
      '- Mon 7 Dec 09:00 → Mon 14 Dec 09:00: @carol',
    ]);
    // When it ends, the rota applies again.
    h.clock.now = Date.UTC(2026, 10, 25, 8, 1);
    expect(criticalMention()).toBe('@alice');

    // Another replica's roster reads the same store.
    const other = new OncallRoster({
      teams: h.config.oncall.teams,
      store,
      now: () => Date.UTC(2026, 10, 24, 0, 0),
      log: pino({ level: 'silent' }),
    });
    await other.refresh();
    expect(other.mentionFor('platform')).toBe('@bob');

    const audit = await store.listAudit({ username: 'olivia' });
    expect(audit.map((a) => `${a.command} ${a.outcome}`)).toEqual(
      expect.arrayContaining(['oncall override awaiting-confirmation', 'oncall override ok']),
    );
  });

  it('a swap trades two shifts; cancel removes both halves and the rota applies again', async () => {
    const done = await confirmed('olivia', 'oncall swap 2026-11-30 2026-12-07 --team platform');
    expect(done.last?.message.title).toBe('platform: @bob and @carol swapped shifts');
    const shifts = async () =>
      JSON.parse(
        ((await h.run('victor', 'oncall shifts --team platform --days 14 -o json')).last?.message.text ?? '')
          .split('\n')
          .slice(1, -1)
          .join('\n'),
      ) as { person: string; from: string; override?: { id: number } }[];
    const after = await shifts();
    expect(after.map((s) => [s.from, s.person])).toEqual([
      ['2026-11-23T08:00:00.000Z', 'alice'],
      ['2026-11-30T08:00:00.000Z', 'carol'],
      ['2026-12-07T08:00:00.000Z', 'bob'],
    ]);
    const id = after[1]?.override?.id;
    const cancelled = await confirmed('olivia', `oncall cancel ${id}`);
    expect(cancelled.last?.message.text).toMatch(/^Swap #\d+ and #\d+ of platform cancelled by olivia/);
    expect((await shifts()).map((s) => s.person)).toEqual(['alice', 'bob', 'carol']);
    expect(await store.listOncallOverrides({ endsAfter: 0 })).toEqual([]);
  });

  it('bad input is answered in a sentence and nothing is stored', async () => {
    // Format problems are refused before anything is offered for confirmation.
    expect((await h.run('olivia', 'oncall override @bob --until tomorrow')).last?.message.text).toContain(
      "--until needs a time on the team's clock like 2026-12-24T09:00, or a delay like 12h",
    );
    expect((await h.run('olivia', 'oncall swap 2026-11-30 30-11-2026')).last?.message.text).toContain(
      '30-11-2026 is not a date like 2026-12-21',
    );
    expect((await h.run('olivia', 'oncall shifts --days 365')).last?.message.text).toContain(
      '--days must be a whole number from 1 to 90',
    );
    // What needs the rota is answered after the confirmation, before anything is written.
    const answers = await Promise.all([
      confirmed('olivia', 'oncall override @zed --until 2026-11-25T09:00'),
      confirmed('olivia', 'oncall override @bob --until 2026-11-20T09:00 --team platform'),
      confirmed('olivia', 'oncall override @bob --until 2026-11-25T09:00 --team nope'),
      confirmed(
        'olivia',
        'oncall override @erin --until 2026-11-25T09:00 --team dba --from 2026-11-26T09:00',
      ),
      confirmed('olivia', 'oncall swap 2026-11-30 2026-12-08 --team platform'),
      confirmed('olivia', 'oncall swap 2026-11-30 2026-12-07'),
      confirmed('olivia', 'oncall cancel 999'),
    ]);
    expect(answers.map((a) => a.last?.message.text)).toEqual([
      '@zed is in no on-call rota (oncall.teams[].people), so cannot be put on call. Nothing was changed.',
      '--until 2026-11-20T09:00 is in the past (2026-11-20 09:00 Europe/Berlin). Nothing was changed.',
      'There is no on-call team nope; the teams are: platform, dba.',
      '--until must be after --from. Nothing was changed.',
      'No platform shift starts on 2026-12-08: its shifts start on mondays at 09:00 (see `oncall shifts`). Nothing was changed.',
      'Say which team with --team (platform, dba).',
      'There is no on-call override #999 (see `oncall shifts`). Nothing was changed.',
    ]);
    expect(await store.listOncallOverrides({ endsAfter: 0 })).toEqual([]);
  });

  it('a viewer may list shifts but not override', async () => {
    expect((await h.run('victor', 'oncall override @bob --until 12h')).last?.message.text).toContain(
      'needs the operator role',
    );
    expect((await h.run('victor', 'oncall shifts --team dba --days 2')).last?.message.text).toContain(
      '**dba** (UTC, daily handover at 08:00)',
    );
  });
});
