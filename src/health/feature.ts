/**
 * The health feature: builds the engine over one reader per configured cluster, offers it to the
 * `health` and `mesh` commands, elects a leader and runs the scheduled summaries on it.
 */
import { hostname } from 'node:os';
import { parseDuration } from '../duration.js';
import type { Feature, FeatureContext } from '../feature.js';
import { type LeaderElector, observeLeadership, SelfLeader } from '../leader/election.js';
import type { Logger } from '../log.js';
import type { ClusterConfig, HealthConfig, LeaderElectionConfig } from './config-schema.js';
import { HealthEngine } from './engine.js';
import { HealthSummaries } from './summaries.js';
import type { ClusterReader, KindSpec, KindState } from './types.js';

/** What the composition root provides: the concrete kube adapters. */
export interface HealthWiring {
  reader(cluster: ClusterConfig, health: HealthConfig, log: Logger): ClusterReader;
  leaseElector(
    cluster: ClusterConfig,
    election: LeaderElectionConfig,
    identity: string,
    log: Logger,
  ): LeaderElector;
}

/** A cluster whose connection could not even be configured: every read reports why. */
export class BrokenReader implements ClusterReader {
  constructor(
    readonly cluster: string,
    private readonly error: string,
  ) {}
  async read(_kinds: readonly KindSpec[]): Promise<Map<string, KindState>> {
    throw new Error(this.error);
  }
  warm(): boolean {
    return false;
  }
  stop(): void {}
}

const ms = (text: string) => parseDuration(text) as number;

export function healthFeature(wiring: HealthWiring): Feature {
  let readers: ClusterReader[] = [];
  let elector: LeaderElector | undefined;
  let summaries: HealthSummaries | undefined;
  return {
    name: 'health',
    async start(ctx: FeatureContext) {
      const { config, log } = ctx;
      readers = config.clusters.map((cluster) => {
        try {
          return wiring.reader(cluster, config.health, log);
        } catch (error) {
          log.warn({ err: error, cluster: cluster.name }, 'cluster connection not configured');
          return new BrokenReader(cluster.name, error instanceof Error ? error.message : String(error));
        }
      });
      const options = {
        readers,
        rpoMs: ms(config.health.rpo),
        certificateWarningMs: ms(config.health.certificateWarning),
        progressAfterMs: ms(config.health.progressAfter),
        timeoutMs: ms(config.health.timeout),
        ...(config.health.veleroRpo ? { veleroRpoMs: ms(config.health.veleroRpo) } : {}),
      };
      const engine = new HealthEngine(options);
      if (readers.length > 0) ctx.services.health = engine;

      elector = electorFor(ctx, wiring);
      observeLeadership(elector, ctx.metrics.registry, log);
      await elector.start();
      // Every scheduled job (reminders, scheduled drills) asks the same elector.
      const elected = elector;
      ctx.services.isLeader = () => elected.isLeader();
      if (readers.length > 0 && config.schedules.length > 0) {
        const leader = elector;
        summaries = new HealthSummaries(config.schedules, {
          engine,
          chat: ctx.chat,
          isLeader: () => leader.isLeader(),
          log,
        });
        summaries.start();
      }
    },
    async stop() {
      summaries?.stop();
      await elector?.stop();
      for (const reader of readers) reader.stop();
    },
  };
}

function electorFor(ctx: FeatureContext, wiring: HealthWiring): LeaderElector {
  const { config, log } = ctx;
  const election = config.leaderElection;
  const identity = election.identity ?? process.env.HOSTNAME ?? hostname();
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
