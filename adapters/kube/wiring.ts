/** The kube side of the health and leader features, as the composition root hands it over. */

import { parseDuration } from '../../src/duration.js';
import type { HealthWiring } from '../../src/health/feature.js';
import type { LeaderWiring } from '../../src/leader/feature.js';
import { clusterMetrics } from '../prometheus/client.js';
import { KubeClusterReader, loadKubeConfig } from './cluster-reader.js';
import { LeaseElector } from './lease-elector.js';

const ms = (text: string) => parseDuration(text) as number;

export const kubeHealthWiring: HealthWiring = {
  reader(cluster, health, log) {
    return new KubeClusterReader(cluster.name, loadKubeConfig(cluster), {
      pageSize: health.pageSize,
      watchSeconds: 300,
      absentRecheckMs: 5 * 60_000,
      requestTimeoutMs: ms(health.timeout),
      userAgent: 'coxswain-health',
      inCluster: cluster.inCluster,
      onError: (error, name, kind) =>
        log.warn({ err: error, cluster: name, kind }, 'watch interrupted; relisting'),
    });
  },
  metrics: (cluster) => clusterMetrics(cluster.metrics),
};

export const kubeLeaderWiring: LeaderWiring = {
  leaseElector(cluster, election, identity, log) {
    return new LeaseElector({
      kubeConfig: loadKubeConfig(cluster),
      namespace: election.namespace,
      name: election.lease,
      identity,
      leaseDurationMs: ms(election.leaseDuration),
      retryPeriodMs: ms(election.retryPeriod),
      onError: (error) =>
        log.warn({ err: error, cluster: cluster.name }, 'leader election: lease request failed'),
    });
  },
};
