/**
 * This replica's name, the same in the Lease, in store claims and in logs: leaderElection.identity,
 * else the pod name (HOSTNAME), which a container restart keeps, so a replica killed mid-delivery
 * takes its own claims back at once when it comes back.
 */
import { hostname } from 'node:os';
import type { LeaderElectionConfig } from './config-schema.js';

export function replicaIdentity(
  config: { leaderElection: Pick<LeaderElectionConfig, 'identity'> },
  env: NodeJS.ProcessEnv = process.env,
): string {
  return config.leaderElection.identity ?? env.HOSTNAME ?? hostname();
}
