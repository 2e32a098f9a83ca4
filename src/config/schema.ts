/**
 * The configuration schema. Every key is documented in deploy/examples/coxswain.yaml; a unit
 * test keeps the two in step. Defaults here are what a single replica in a shell needs.
 */

import { z } from 'zod';
import { alertmanagersSchema, alertsSchema } from '../alerts/config-schema.js';
import { oncallMentions } from '../alerts/routing.js';
import { authSchema } from '../auth/config-schema.js';
import { operationsSchema } from '../drills/config-schema.js';
import { parseDuration } from '../duration.js';
import { healthSchema, schedulesSchema } from '../health/config-schema.js';
import { incidentsSchema, oncallSchema } from '../incidents/config-schema.js';
import { clustersSchema } from '../kube/config-schema.js';
import { leaderElectionSchema } from '../leader/config-schema.js';
import { storeSchema } from '../store/config-schema.js';
import { isTimeZone, TIME_ZONE_PROBLEM } from '../text/time.js';

const url = () => z.url({ error: 'must be a URL' });
const duration = () =>
  z.string().refine((value) => parseDuration(value) !== undefined, {
    error: 'must be a duration like 90s, 2m, 1h or 1h30m',
  });
const nonEmpty = () => z.string().min(1, { error: 'must not be empty' });

const mattermost = z.strictObject({
  url: url(),
  token: nonEmpty(),
  teams: z.array(nonEmpty()).min(1, { error: 'must list at least one team' }),
  commandOwner: nonEmpty().optional(),
  publicUrl: url().optional(),
  // Mentions and DMs found by the catch-up after an outage are run only when at most this old.
  missedCommandMaxAge: duration().default('10m'),
  // Longest wait for one REST call; a hung call fails, is logged, and the outbox retries it.
  requestTimeout: duration().default('10s'),
});

const rocketchat = z
  .strictObject({
    url: url(),
    // A personal access token of the bot user (recommended): its user id and the token.
    userId: nonEmpty().optional(),
    token: nonEmpty().optional(),
    // Or a password login.
    user: nonEmpty().optional(),
    password: nonEmpty().optional(),
    publicUrl: url().optional(),
    // The coxswain Rocket.Chat App (adapters/chat/rocketchat/app): its id, and the secret it
    // shares with the bot to sign /ops invocations, button clicks and notices. Without them the
    // bot answers mentions and DMs, and buttons make the clicker post the command.
    appId: nonEmpty().optional(),
    appSecret: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
    // Longest wait for one REST call; a hung call fails, is logged, and the outbox retries it.
    requestTimeout: duration().default('10s'),
  })
  .superRefine((rc, context) => {
    const pat = rc.userId !== undefined || rc.token !== undefined;
    const login = rc.user !== undefined || rc.password !== undefined;
    const need = (key: string, why: string) =>
      context.addIssue({ code: 'custom', path: [key], message: `is required ${why}` });
    if (pat && login)
      context.addIssue({
        code: 'custom',
        path: [],
        message: 'set userId and token (a personal access token) or user and password, not both',
      });
    else if (pat) {
      if (rc.userId === undefined) need('userId', 'with token (the id of the user the token belongs to)');
      if (rc.token === undefined) need('token', 'with userId (a personal access token of that user)');
    } else if (login) {
      if (rc.user === undefined) need('user', 'with password');
      if (rc.password === undefined) need('password', 'with user');
    } else
      context.addIssue({
        code: 'custom',
        path: [],
        message: 'needs a login: userId and token (a personal access token), or user and password',
      });
  });

export const configSchema = z
  .strictObject({
    command: z
      .string()
      .regex(/^\/[a-z][a-z0-9_-]{0,31}$/, { error: 'must be a slash and a lowercase word, like /ops' })
      .default('/ops'),
    // The IANA time zone of every time coxswain shows (alert posts, silences, incidents, drills,
    // phases, the audit log), each named: 2026-12-04 15:02 CET.
    timeZone: z.string().refine(isTimeZone, { error: TIME_ZONE_PROBLEM }).default('UTC'),
    http: z
      .strictObject({
        host: nonEmpty().default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(8080),
      })
      .prefault({}),
    log: z
      .strictObject({
        // Unset: info when serving a chat platform, warn in the shell.
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
      })
      .prefault({}),
    store: storeSchema,
    security: z
      .strictObject({
        // HMAC key for button payloads; all replicas must share it. Generated per process if unset.
        signingKey: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
      })
      .prefault({}),
    chat: z
      .strictObject({
        mattermost: mattermost.optional(),
        rocketchat: rocketchat.optional(),
      })
      .prefault({}),
    auth: authSchema,
    confirmations: z.strictObject({ expiry: duration().default('2m') }).prefault({}),
    approvals: z
      .strictObject({
        required: z.array(nonEmpty()).default([]),
        expiry: duration().default('15m'),
      })
      .prefault({}),
    alerts: alertsSchema,
    alertmanagers: alertmanagersSchema,
    incidents: incidentsSchema,
    oncall: oncallSchema,
    clusters: clustersSchema,
    health: healthSchema,
    schedules: schedulesSchema,
    leaderElection: leaderElectionSchema,
    operations: operationsSchema,
  })
  .superRefine((config, ctx) => {
    // An `oncall:<team>` mention must name a team, or the post would mention nobody.
    const teams = new Set(config.oncall.teams.map((t) => t.name));
    const routes = [
      ...config.alerts.routes.map((r, i) => ({
        mention: r.mention,
        path: ['alerts', 'routes', i, 'mention'],
      })),
      { mention: config.alerts.defaultRoute.mention, path: ['alerts', 'defaultRoute', 'mention'] },
    ];
    for (const { mention, path } of routes)
      for (const team of oncallMentions(mention ?? ''))
        if (!teams.has(team))
          ctx.addIssue({
            code: 'custom',
            path,
            message: `oncall:${team} names no team of oncall.teams (${[...teams].join(', ') || 'none is configured'})`,
          });
  });

export type Config = z.infer<typeof configSchema>;
