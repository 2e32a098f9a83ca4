/** Finding a Deployment or StatefulSet and its pods, for the workload drills. */
import { type ClusterReader, fieldAt, type KubeObject } from '../../kube/cluster-ops.js';

export interface Workload {
  kind: 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
  replicas: number;
  selector: string;
}

/** `matchLabels` as a label selector; undefined when the workload selects by expressions only. */
export function labelSelector(object: KubeObject): string | undefined {
  const labels = fieldAt(object, 'spec.selector.matchLabels') as Record<string, string> | undefined;
  if (!labels || Object.keys(labels).length === 0) return undefined;
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export async function findWorkload(
  reader: ClusterReader,
  namespace: string,
  name: string,
): Promise<Workload | undefined> {
  for (const [kind, plural] of [
    ['Deployment', 'deployments'],
    ['StatefulSet', 'statefulsets'],
  ] as const) {
    const object = await reader.get({ group: 'apps', version: 'v1', plural, namespace, name });
    if (!object) continue;
    const selector = labelSelector(object);
    if (!selector) return undefined;
    const replicas = fieldAt(object, 'spec.replicas');
    return { kind, namespace, name, replicas: typeof replicas === 'number' ? replicas : 1, selector };
  }
  return undefined;
}
