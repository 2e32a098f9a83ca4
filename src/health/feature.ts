/**
 * The health feature: builds the engine over one reader per configured cluster (main.ts offers it
 * to the `health` and `mesh` commands and to incidents), and runs the scheduled summaries on the
 * leader (src/leader/).
 */
import type { AlertmanagerDirectory } from '../alerts/alertmanager-api.js';
import { describeWindow, maintenanceWindows } from '../alerts/maintenance.js';
import { parseDuration } from '../duration.js';
import type { Feature, FeatureBase } from '../feature.js';
import type { ClusterConfig } from '../kube/config-schema.js';
import type { Logger } from '../log.js';
import type { ClusterMetrics } from '../prometheus/query.js';
import type { HealthConfig } from './config-schema.js';
import { HealthEngine } from './engine.js';
import { HealthSummaries } from './summaries.js';
import type { ClusterReader, KindSpec, KindState } from './types.js';

/** What the composition root provides: the concrete kube adapters. */
export interface HealthWiring {
  reader(cluster: ClusterConfig, health: HealthConfig, log: Logger): ClusterReader;
  /** The cluster's metrics endpoint client, when clusters[].metrics configures one. */
  metrics?(cluster: ClusterConfig): ClusterMetrics | undefined;
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

export interface HealthFeature extends Feature {
  /** Null when no cluster is configured: there is nothing to check. */
  engine: HealthEngine | null;
  /** Each configured cluster's watch-fed caches, by cluster name; empty without clusters. */
  caches: ReadonlyMap<string, ClusterReader>;
}

/** What health uses of other features. */
export interface HealthFeatureNeeds {
  isLeader: () => boolean;
  /** For the maintenance line of the scheduled summaries (the alerts feature's clients). */
  alertmanagers: AlertmanagerDirectory;
}

export function healthFeature(
  base: FeatureBase,
  wiring: HealthWiring,
  needs: HealthFeatureNeeds,
): HealthFeature {
  const { config, log } = base;
  const readers = config.clusters.map((cluster) => {
    try {
      return wiring.reader(cluster, config.health, log);
    } catch (error) {
      log.warn({ err: error, cluster: cluster.name }, 'cluster connection not configured');
      return new BrokenReader(cluster.name, error instanceof Error ? error.message : String(error));
    }
  });
  const metrics = new Map<string, ClusterMetrics>();
  for (const cluster of config.clusters) {
    const client = wiring.metrics?.(cluster);
    if (client) metrics.set(cluster.name, client);
  }
  const engine =
    readers.length === 0
      ? null
      : new HealthEngine({
          readers,
          metrics,
          rpoMs: ms(config.health.rpo),
          certificateWarningMs: ms(config.health.certificateWarning),
          identityExpiry: {
            warnMs: ms(config.health.linkerdIdentity.warning),
            failMs: ms(config.health.linkerdIdentity.critical),
          },
          credentialWarningMs: ms(config.health.credentialWarning),
          progressAfterMs: ms(config.health.progressAfter),
          timeoutMs: ms(config.health.timeout),
          ...(config.health.veleroRpo ? { veleroRpoMs: ms(config.health.veleroRpo) } : {}),
        });
  let summaries: HealthSummaries | undefined;
  return {
    name: 'health',
    engine,
    caches: new Map(readers.map((r) => [r.cluster, r])),
    start() {
      if (!engine || config.schedules.length === 0) return;
      const maintenance = async () => {
        const windows = await maintenanceWindows(needs.alertmanagers.all());
        return windows
          .filter((w) => w.active)
          .map((w) => ({ cluster: w.cluster, text: describeWindow(w, config.timeZone) }));
      };
      summaries = new HealthSummaries(config.schedules, {
        engine,
        chat: base.chat,
        isLeader: needs.isLeader,
        log,
        maintenance,
      });
      summaries.start();
    },
    async stop() {
      summaries?.stop();
      for (const reader of readers) reader.stop();
    },
  };
}
