/**
 * Config keys of alerting, owned here: the webhook, the routes from alert groups to channels,
 * storm folding, delivery, and the Alertmanagers coxswain reads and silences.
 * src/config/schema.ts composes these; nothing in alerts reads the whole configuration.
 */
import { z } from 'zod';
import { parseDuration } from '../duration.js';
import { parseMatchers } from './matchers.js';

const url = () => z.url({ error: 'must be a URL' });
const duration = () =>
  z.string().refine((value) => parseDuration(value) !== undefined, {
    error: 'must be a duration like 90s, 2m, 1h or 1h30m',
  });
const nonEmpty = () => z.string().min(1, { error: 'must not be empty' });

const matcherList = () =>
  z.array(
    z.string().refine((value) => 'matchers' in parseMatchers(value), {
      error: 'must be Alertmanager matchers like severity="critical" or cluster=~"infra|apps"',
    }),
  );

const alertRoute = z.strictObject({
  // Alertmanager matchers, all of which must match the group's common labels.
  matchers: matcherList().default([]),
  // Channel names the matching groups are posted to.
  channels: z.array(nonEmpty()).min(1, { error: 'must list at least one channel' }),
  // Chat platforms (mattermost, rocketchat) this route posts on; empty means every one.
  platforms: z.array(nonEmpty()).default([]),
  // Mentioned on the post when the group is critical, e.g. @oncall-platform; `oncall:<team>`
  // mentions whoever is on call for that team of oncall.teams now, overrides applied.
  mention: nonEmpty().optional(),
  // Keep evaluating the routes after this one matched.
  continue: z.boolean().default(false),
});

const alertmanager = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, { error: 'must be a short lowercase name like infra' }),
  url: url(),
  timeout: duration().default('10s'),
  retries: z.number().int().min(0).max(10).default(2),
});

export const alertsSchema = z
  .strictObject({
    webhook: z
      .strictObject({
        token: nonEmpty().optional(),
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
      })
      .prefault({}),
    routes: z.array(alertRoute).default([]),
    defaultRoute: alertRoute.omit({ matchers: true, continue: true }).prefault({ channels: ['alerts'] }),
    storm: z
      .strictObject({
        threshold: z.number().int().positive().default(20),
        window: duration().default('1m'),
      })
      .prefault({}),
    delivery: z
      .strictObject({
        interval: duration().default('1s'),
        ratePerSecond: z.number().positive().default(10),
        maxBackoff: duration().default('5m'),
        batchSize: z.number().int().positive().default(500),
        maxAttempts: z.number().int().nonnegative().default(0),
        // With several replicas each group is delivered by the one holding its claim in the
        // store; a replica that dies holding one hands it over after this long.
        claimLease: duration().default('30s'),
      })
      .prefault({}),
  })
  .prefault({});

export const alertmanagersSchema = z
  .array(alertmanager)
  .default([])
  .refine((list) => new Set(list.map((am) => am.name)).size === list.length, {
    error: 'names must be unique',
  });

export type AlertsConfig = z.infer<typeof alertsSchema>;
export type AlertRoute = z.infer<typeof alertRoute>;
export type AlertmanagerConfig = z.infer<typeof alertmanager>;
