/**
 * Config keys of leader election, owned here: with more than one replica, a Lease in the
 * cluster the bot runs in elects the one that runs cron jobs, drills and phases.
 * src/config/schema.ts composes this.
 */
import { z } from 'zod';
import { parseDuration } from '../duration.js';

const duration = () =>
  z.string().refine((value) => parseDuration(value) !== undefined, {
    error: 'must be a duration like 90s, 2m, 1h or 1h30m',
  });
const name = () =>
  z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: 'must be a Kubernetes name like infra' });

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

export type LeaderElectionConfig = z.infer<typeof leaderElectionSchema>;
