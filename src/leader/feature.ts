/**
 * Leader election as a feature of its own, started first: every later feature's background work
 * (health summaries, on-call reminders, scheduled drills, the drill and phase sweeps) asks
 * `services.isLeader`, so one elector serves them all and none of them owns it.
 */
import type { Feature, FeatureContext } from '../feature.js';
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

export function leaderFeature(wiring: LeaderWiring): Feature {
  let elector: LeaderElector | undefined;
  return {
    name: 'leader',
    async start(ctx: FeatureContext) {
      const elected = electorFor(ctx, wiring);
      elector = elected;
      observeLeadership(elected, ctx.metrics.registry, ctx.log);
      await elected.start();
      ctx.services.isLeader = () => elected.isLeader();
    },
    async stop() {
      // Stopped last (features stop in reverse): a leader hands the Lease over only after its
      // scheduled jobs have stopped.
      await elector?.stop();
    },
  };
}

function electorFor(ctx: FeatureContext, wiring: LeaderWiring): LeaderElector {
  const { config, log } = ctx;
  const election = config.leaderElection;
  const identity = replicaIdentity(config);
  // The shell and a single replica lead themselves: there is nobody to agree with.
  if (election.replicas <= 1 || ctx.chat.platform === 'shell') return new SelfLeader(identity);
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
