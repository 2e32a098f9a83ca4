/** Drill schedules: config validation and the checks the feature makes at start. */
import { describe, expect, it } from 'vitest';
import { operationsSchema, scheduleName } from '../../../src/drills/config-schema.js';
import { scheduleActor, scheduleProblems } from '../../../src/drills/schedules.js';

const parse = (schedules: unknown) => operationsSchema.safeParse({ drills: { schedules } });

describe('operations.drills.schedules', () => {
  it('defaults to none, and fills time zone and args', () => {
    expect(operationsSchema.parse({}).drills.schedules).toEqual([]);
    const result = parse([{ drill: 'pod-kill', cron: '0 10 * * 2', channel: 'drills' }]);
    expect(result.success && result.data.drills.schedules).toEqual([
      { drill: 'pod-kill', cron: '0 10 * * 2', channel: 'drills', timeZone: 'UTC', args: {} },
    ]);
  });

  it('accepts six-field (per-second) cron expressions', () => {
    expect(parse([{ drill: 'pod-kill', cron: '*/5 * * * * *', channel: 'drills' }]).success).toBe(true);
  });

  it('refuses a bad cron, a bad time zone, an unknown argument, a missing channel and duplicate names', () => {
    const message = (schedules: unknown) => {
      const result = parse(schedules);
      return result.success
        ? 'ok'
        : `${result.error.issues[0]?.path.join('.')}: ${result.error.issues[0]?.message}`;
    };
    expect(message([{ drill: 'pod-kill', cron: 'weekly', channel: 'd' }])).toBe(
      'drills.schedules.0.cron: must be a cron expression like 0 10 * * 2',
    );
    expect(message([{ drill: 'pod-kill', cron: '0 10 * * 2', timeZone: 'Mars/Olympus', channel: 'd' }])).toBe(
      'drills.schedules.0.timeZone: must be an IANA time zone like UTC, Europe/Berlin or America/New_York (the names `timedatectl list-timezones` prints)',
    );
    expect(message([{ drill: 'pod-kill', cron: '0 10 * * 2', channel: 'd', args: { pod: 'x' } }])).toMatch(
      /^drills\.schedules\.0\.args: /,
    );
    expect(message([{ drill: 'pod-kill', cron: '0 10 * * 2' }])).toMatch(/^drills\.schedules\.0\.channel: /);
    expect(
      message([
        { name: 'same', drill: 'pod-kill', cron: '0 10 * * 2', channel: 'd' },
        { name: 'same', drill: 'node-drain', cron: '0 10 1 * *', channel: 'd' },
      ]),
    ).toBe('drills.schedules: names must be unique');
  });

  it('names unnamed schedules by drill and position, and runs them as schedule:<name>', () => {
    const base = { cron: '0 10 * * 2', timeZone: 'UTC', channel: 'd', args: {} };
    expect(scheduleName({ ...base, drill: 'pod-kill' }, 0)).toBe('pod-kill-1');
    expect(scheduleName({ ...base, drill: 'pod-kill', name: 'weekly' }, 3)).toBe('weekly');
    expect(scheduleActor('weekly')).toBe('schedule:weekly');
  });

  it('names every schedule whose drill the definitions do not have', () => {
    const base = { cron: '0 10 * * 2', timeZone: 'UTC', channel: 'd', args: {} };
    expect(
      scheduleProblems(
        [
          { ...base, drill: 'pod-kill' },
          { ...base, drill: 'reboot-all' },
        ],
        (name) => name === 'pod-kill',
      ),
    ).toEqual(['operations.drills.schedules[1].drill: there is no drill reboot-all in the definitions']);
  });
});
