/**
 * The `incidents` and `oncall` config sections (documented in deploy/examples/coxswain.yaml),
 * kept beside the engine that reads them and mounted in src/config/schema.ts.
 */
import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { parseDuration } from '../duration.js';
import { isTimeZone, TIME_ZONE_PROBLEM } from '../text/time.js';
import { rotaProblem, WEEKDAY_NAMES } from './rota.js';

const nonEmpty = () => z.string().min(1, { error: 'must not be empty' });
const timeZone = () => z.string().refine(isTimeZone, { error: TIME_ZONE_PROBLEM });
const duration = () =>
  z.string().refine((value) => parseDuration(value) !== undefined, {
    error: 'must be a duration like 90s, 2m, 1h or 1h30m',
  });
/** `alice` or `@alice` is a chat user, `~dba` a chat group. */
const person = () =>
  z.string().regex(/^[@~]?[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/, {
    error: 'must be a username like @alice or a group like ~platform-oncall',
  });
const severityKey = z.enum(['1', '2', '3', '4']);

const runbook = z.strictObject({
  label: nonEmpty(),
  url: z.url({ error: 'must be a URL' }),
  // Shown for incidents on these clusters only; empty means every incident.
  clusters: z.array(nonEmpty()).default([]),
});

export const incidentsSchema = z
  .strictObject({
    // Create rooms as private channels.
    private: z.boolean().default(true),
    // The zone of the date in room names and of the times on timelines; unset: the top-level
    // timeZone.
    timeZone: timeZone().optional(),
    // Where sev 1..announceUpTo incidents are announced; unset: not announced.
    announceChannel: nonEmpty().optional(),
    announceUpTo: z.number().int().min(1).max(4).default(2),
    defaultSeverity: z.number().int().min(1).max(4).default(3),
    // How long a resolved room stays open before it is archived.
    archiveAfter: duration().default('24h'),
    // People invited by severity, besides the on-call people of every team.
    invite: z.partialRecord(severityKey, z.array(person())).default({}),
    runbooks: z.array(runbook).default([]),
  })
  .prefault({});

const team = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/, { error: 'must be a short lowercase name like platform' }),
    timeZone: timeZone().default('UTC'),
    rotation: z.enum(['daily', 'weekly']).default('weekly'),
    handover: z.string().default('09:00'),
    handoverDay: z.enum(WEEKDAY_NAMES).default('monday'),
    start: z.string(),
    people: z.array(person()).min(1, { error: 'must list at least one person' }),
    // The team is invited to incidents on these clusters; empty means every incident.
    clusters: z.array(nonEmpty()).default([]),
  })
  .superRefine((value, ctx) => {
    const problem = rotaProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const reminder = z.strictObject({
  cron: z.string().refine((value) => validCron(value), { error: 'must be a cron expression like 0 8 * * 1' }),
  timeZone: timeZone().default('UTC'),
  channel: nonEmpty(),
  // Teams to remind about; empty means every team.
  teams: z.array(nonEmpty()).default([]),
});

export const oncallSchema = z
  .strictObject({
    teams: z
      .array(team)
      .default([])
      .refine((list) => new Set(list.map((t) => t.name)).size === list.length, {
        error: 'names must be unique',
      }),
    reminders: z.array(reminder).default([]),
  })
  .prefault({});

export type IncidentsConfig = z.infer<typeof incidentsSchema>;
export type OncallConfig = z.infer<typeof oncallSchema>;
