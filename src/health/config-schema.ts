/**
 * Config keys of cluster health (issue 7): the clusters, health thresholds, scheduled summaries
 * and leader election. Documented in deploy/examples/coxswain.yaml under `clusters and health`.
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

const cluster = z
  .strictObject({
    // How coxswain (and the reports) call the cluster.
    name: name(),
    // A kubeconfig file with the bot's read-only credentials for this cluster...
    kubeconfig: z.string().min(1).optional(),
    // ...and the context in it (unset: the file's current context).
    context: z.string().min(1).optional(),
    // The cluster the bot runs in: the pod's service account.
    inCluster: z.boolean().default(false),
  })
  .refine((c) => c.inCluster !== (c.kubeconfig !== undefined), {
    error: 'set either kubeconfig (and context) or inCluster: true',
  });

export const clustersSchema = z
  .array(cluster)
  .default([])
  .refine((list) => new Set(list.map((c) => c.name)).size === list.length, { error: 'names must be unique' });

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

export const leaderElectionSchema = z
  .strictObject({
    // Replicas of the bot; with more than one, a Lease elects the one that runs cron jobs.
    replicas: z.number().int().min(1).default(1),
    // The cluster (from clusters) that holds the Lease: the one the bot runs in.
    cluster: name().optional(),
    namespace: name().default('coxswain'),
    lease: name().default('coxswain-leader'),
    // A leader that has not renewed for this long is replaced.
    leaseDuration: duration().default('15s'),
    // How often the leader renews and the others try to take over.
    retryPeriod: duration().default('2s'),
    // This replica's name in the Lease (unset: the pod name, from HOSTNAME).
    identity: z.string().min(1).optional(),
  })
  .prefault({});

export type ClusterConfig = z.infer<typeof cluster>;
export type HealthConfig = z.infer<typeof healthSchema>;
export type ScheduleConfig = z.infer<typeof schedule>;
export type LeaderElectionConfig = z.infer<typeof leaderElectionSchema>;
