/**
 * Config keys of cluster health (issue 7): health thresholds and scheduled summaries (the
 * clusters are in src/kube/config-schema.ts, leader election in src/leader/config-schema.ts).
 * Documented in deploy/examples/coxswain.yaml under `clusters and health`.
 */
import cron from 'node-cron';
import { z } from 'zod';
import { parseDuration } from '../duration.js';
import { isTimeZone, TIME_ZONE_PROBLEM } from '../text/time.js';

const duration = () =>
  z.string().refine((value) => parseDuration(value) !== undefined, {
    error: 'must be a duration like 90s, 2m, 1h or 1h30m',
  });
const name = () =>
  z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: 'must be a Kubernetes name like infra' });

export const healthSchema = z
  .strictObject({
    // Backups older than this fail the VolSync and Velero checks (the DR plan's RPO).
    rpo: duration().default('6h'),
    // Velero's own limit when its schedules are slower than the RPO (unset: rpo).
    veleroRpo: duration().optional(),
    // Certificates expiring sooner than this warn.
    certificateWarning: duration().default('14d'),
    // Linkerd's trust anchor (ConfigMap linkerd-identity-trust-roots) and issuer (its cert-manager
    // Certificate): warn when either expires sooner than `warning`, fail sooner than `critical`.
    linkerdIdentity: z
      .strictObject({ warning: duration().default('30d'), critical: duration().default('7d') })
      .prefault({}),
    // The bot's own kubeconfig token (JWT exp) or client certificate warns when it expires sooner.
    credentialWarning: duration().default('7d'),
    // A cold check slower than this posts a progress note first, then updates it.
    progressAfter: duration().default('2s'),
    // A cluster that has not answered within this is reported unreachable.
    timeout: duration().default('10s'),
    // Objects per page when a cache is first filled.
    pageSize: z.number().int().min(1).max(10000).default(500),
  })
  .prefault({});

const schedule = z.strictObject({
  name: name(),
  // node-cron expression (5 or 6 fields), e.g. "0 8 * * 1-5".
  cron: z
    .string()
    .refine((value) => cron.validate(value), { error: 'must be a cron expression like 0 8 * * 1-5' }),
  // IANA time zone the expression is read in (unset: UTC).
  timeZone: z.string().refine(isTimeZone, { error: TIME_ZONE_PROBLEM }).default('UTC'),
  // Channel names to post to.
  channels: z.array(z.string().min(1)).min(1, { error: 'must list at least one channel' }),
  // summary: the whole report; changes: only what changed since the previous run (nothing if
  // nothing did); backups: the backup-freshness report (Velero, VolSync).
  report: z.enum(['summary', 'changes', 'backups']).default('summary'),
});

export const schedulesSchema = z
  .array(schedule)
  .default([])
  .refine((list) => new Set(list.map((s) => s.name)).size === list.length, { error: 'names must be unique' });

export type HealthConfig = z.infer<typeof healthSchema>;
export type ScheduleConfig = z.infer<typeof schedule>;
