/**
 * Cilium ClusterMesh's remote clusters as the agents see them. Each agent exports
 * `cilium_clustermesh_remote_cluster_readiness_status` (1 ready, 0 not) per remote cluster, with
 * the label `target_cluster` (Cilium's pkg/clustermesh/common/metrics.go; before 1.15 also
 * `source_cluster` and `source_node_name`). The Kubernetes API has no object for it
 * (docs/platform/health-notes.md, "Cilium"), so without a metrics endpoint the status is not known,
 * and an endpoint that does not answer makes it unknown: neither is the remote cluster failing.
 */
import { type ClusterMetrics, selector } from '../prometheus/query.js';
import { errorText } from './objects.js';
import type { Finding } from './types.js';

export const READINESS_METRIC = 'cilium_clustermesh_remote_cluster_readiness_status';
export const TARGET_LABEL = 'target_cluster';

/** One remote cluster: how many agents report on it and how many of them call it ready. */
export interface RemoteReadiness {
  cluster: string;
  agents: number;
  ready: number;
}

export type ClusterMeshRemotes =
  /** No `clusters[].metrics` for this cluster: the API alone cannot tell. */
  | { state: 'not-configured' }
  | { state: 'unreachable'; error: string }
  | { state: 'known'; remotes: RemoteReadiness[] };

/** The query for a cluster's agents' view of its remotes. */
export function readinessQuery(metrics: ClusterMetrics): string {
  return selector(READINESS_METRIC, metrics.matchers);
}

/** Reads the metric and folds the agents' series per remote cluster (sorted by name). */
export async function remoteReadiness(metrics: ClusterMetrics | undefined): Promise<ClusterMeshRemotes> {
  if (!metrics) return { state: 'not-configured' };
  try {
    const samples = await metrics.query.instant(readinessQuery(metrics));
    const byCluster = new Map<string, RemoteReadiness>();
    for (const sample of samples) {
      const cluster = sample.labels[TARGET_LABEL];
      if (!cluster) continue;
      const remote = byCluster.get(cluster) ?? { cluster, agents: 0, ready: 0 };
      remote.agents++;
      if (sample.value >= 1) remote.ready++;
      byCluster.set(cluster, remote);
    }
    return {
      state: 'known',
      remotes: [...byCluster.values()].sort((a, b) => a.cluster.localeCompare(b.cluster)),
    };
  } catch (error) {
    return { state: 'unreachable', error: errorText(error) };
  }
}

/** A remote is ready when every agent that reports on it says so. */
export function isReady(remote: RemoteReadiness): boolean {
  return remote.agents > 0 && remote.ready === remote.agents;
}

function agents(remote: RemoteReadiness): string {
  return `${remote.ready}/${remote.agents} agent${remote.agents === 1 ? '' : 's'} report it ready`;
}

/** Report lines: one per remote cluster, or one saying why the status is not known. */
export function remoteFindings(remotes: ClusterMeshRemotes): Finding[] {
  if (remotes.state === 'not-configured')
    return [
      {
        status: 'ok',
        subject: 'ClusterMesh remote clusters',
        reason:
          'not known: no metrics endpoint is configured for this cluster (clusters[].metrics), and the Kubernetes API cannot tell',
      },
    ];
  if (remotes.state === 'unreachable')
    return [
      {
        status: 'warn',
        subject: 'ClusterMesh remote clusters',
        reason: `unknown, metrics unreachable: ${remotes.error}`,
      },
    ];
  if (remotes.remotes.length === 0)
    return [
      {
        status: 'warn',
        subject: 'ClusterMesh remote clusters',
        reason: `no agent reports a remote cluster (no ${READINESS_METRIC} series)`,
      },
    ];
  return remotes.remotes.map((remote) => ({
    status: isReady(remote) ? 'ok' : remote.ready === 0 ? 'fail' : 'warn',
    subject: `ClusterMesh remote ${remote.cluster}`,
    reason: `${isReady(remote) ? 'ready' : 'not ready'}: ${agents(remote)}`,
  }));
}
