/**
 * Leader election as a feature of its own, started first: every later feature's background work
 * (health summaries, on-call reminders, scheduled drills, the drill and phase sweeps) asks its
 * `isLeader`, handed to each as an argument, so one elector serves them all and none of them owns it.
 */
import type { Feature, FeatureBase } from '../feature.js';
import type { ClusterConfig } from '../kube/config-schema.js';
import type { Logger } from '../log.js';
import type { LeaderElectionConfig } from './config-schema.js';
import { type LeaderElector, observeLeadership, SelfLeader } from './election.js';
import { replicaIdentity } from './identity.js';

/** What the composition root provides: the Lease-based elector of the kube adapters. */
export interface LeaderWiring {
  leaseElector(
    cluster: ClusterConfig,
    election: LeaderElectionConfig,
    identity: string,
    log: Logger,
  ): LeaderElector;
}

export interface LeaderFeature extends Feature {
  /** Whether this replica runs scheduled jobs: the shell and a single replica always do. */
  isLeader: () => boolean;
}

export function leaderFeature(base: FeatureBase, wiring: LeaderWiring): LeaderFeature {
  const elector = electorFor(base, wiring);
  return {
    name: 'leader',
    isLeader: () => elector.isLeader(),
    async start() {
      observeLeadership(elector, base.metrics.registry, base.log);
      await elector.start();
    },
    async stop() {
      // Stopped last (features stop in reverse): a leader hands the Lease over only after its
      // scheduled jobs have stopped.
      await elector.stop();
    },
  };
}

function electorFor(base: FeatureBase, wiring: LeaderWiring): LeaderElector {
  const { config, log } = base;
  const election = config.leaderElection;
  const identity = replicaIdentity(config);
  // The shell and a single replica lead themselves: there is nobody to agree with.
  if (election.replicas <= 1 || base.chat.platform === 'shell') return new SelfLeader(identity);
  const clusterName = election.cluster ?? config.clusters.find((c) => c.inCluster)?.name;
  const cluster = config.clusters.find((c) => c.name === clusterName);
  if (!cluster) {
    log.error(
      { replicas: election.replicas },
      'leaderElection.replicas > 1 but no cluster holds the Lease (set leaderElection.cluster or an inCluster cluster); this replica will not run scheduled jobs',
    );
    return { identity, start() {}, async stop() {}, isLeader: () => false, onChange() {} };
  }
  return wiring.leaseElector(cluster, election, identity, log);
}
