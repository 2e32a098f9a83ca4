/**
 * A Deployment and its Service as kubectl shows them on a stack cluster: what the scale drill
 * tests (app-failover, clustermesh-resilience, mesh-gateway and their kill -9 tests) compare
 * with the seed before, during and after a drill.
 */
import type { StackCluster, StackEnv } from './env.js';
import { kubectlJson } from './kubectl.js';

export interface Replicas {
  replicas?: number;
  readyReplicas?: number;
}

/** Desired and Ready replicas of the Deployment `namespace/name`. */
export function deploymentReplicas(
  env: StackEnv,
  cluster: StackCluster,
  namespace: string,
  name: string,
): Replicas {
  const d = kubectlJson<{ spec: { replicas?: number }; status: { readyReplicas?: number } }>(env, cluster, [
    'get',
    'deployment',
    name,
    '-n',
    namespace,
  ]);
  return { replicas: d.spec.replicas, readyReplicas: d.status.readyReplicas };
}

/** Ready addresses of the Endpoints `namespace/name` (a Service's, by its name). */
export function readyEndpoints(
  env: StackEnv,
  cluster: StackCluster,
  namespace: string,
  name: string,
): number {
  const e = kubectlJson<{ subsets?: { addresses?: unknown[] }[] }>(env, cluster, [
    'get',
    'endpoints',
    name,
    '-n',
    namespace,
  ]);
  return (e.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
}
