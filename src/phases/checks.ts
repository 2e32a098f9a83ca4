/** Success checks: read one object (or the nodes) per cluster and compare fields, read-only. */

import { formatDuration } from '../duration.js';
import { type ClusterDirectory, conditionStatus, fieldAt, type KubeObject } from '../kube/cluster-ops.js';
import type { CheckSpec, Expectation } from './definitions.js';

export interface CheckResult {
  name: string;
  cluster: string;
  ok: boolean;
  /** What was seen, as a short sentence. */
  detail: string;
}

function show(value: unknown): string {
  return value === undefined ? 'unset' : typeof value === 'string' ? value : JSON.stringify(value);
}

/** One expectation against one object; undefined when it holds, else what was wrong. */
export function unmet(object: KubeObject, expectation: Expectation, now: number): string | undefined {
  if ('condition' in expectation) {
    const status = conditionStatus(object, expectation.condition);
    return status === expectation.status
      ? undefined
      : `condition ${expectation.condition} is ${status ?? 'missing'}, want ${expectation.status}`;
  }
  const value = fieldAt(object, expectation.path);
  if ('present' in expectation)
    return value === undefined || value === null || value === '' ? `${expectation.path} is unset` : undefined;
  if ('equals' in expectation)
    return value === expectation.equals
      ? undefined
      : `${expectation.path} is ${show(value)}, want ${show(expectation.equals)}`;
  if ('equalsPath' in expectation) {
    const other = fieldAt(object, expectation.equalsPath);
    return value !== undefined && value === other
      ? undefined
      : `${expectation.path} is ${show(value)}, ${expectation.equalsPath} is ${show(other)}`;
  }
  if ('atLeast' in expectation)
    return typeof value === 'number' && value >= expectation.atLeast
      ? undefined
      : `${expectation.path} is ${show(value)}, want at least ${expectation.atLeast}`;
  const at = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) return `${expectation.path} is ${show(value)}, not a time`;
  const age = now - at;
  return age <= expectation.maxAge
    ? undefined
    : `${expectation.path} is ${formatDuration(age)} old, more than ${formatDuration(expectation.maxAge)}`;
}

export async function runCheck(
  check: CheckSpec,
  clusters: ClusterDirectory,
  now: number,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const cluster of check.clusters) {
    const ops = clusters.get(cluster);
    if (!ops) {
      results.push({ name: check.name, cluster, ok: false, detail: `cluster ${cluster} is not configured` });
      continue;
    }
    try {
      if ('nodesReady' in check) {
        const nodes = await ops.reader.listNodes();
        const notReady = nodes.filter((n) => !n.ready).map((n) => n.name);
        results.push({
          name: check.name,
          cluster,
          ok: nodes.length > 0 && notReady.length === 0,
          detail:
            nodes.length === 0
              ? 'no nodes'
              : notReady.length
                ? `not Ready: ${notReady.join(', ')}`
                : `${nodes.length} nodes Ready`,
        });
        continue;
      }
      const [group, version] = check.object.apiVersion.includes('/')
        ? (check.object.apiVersion.split('/') as [string, string])
        : ['', check.object.apiVersion];
      const ref = { group, version, plural: check.object.plural, name: check.object.name };
      const object = await ops.reader.get(
        check.object.namespace ? { ...ref, namespace: check.object.namespace } : ref,
      );
      const where = `${check.object.plural}/${check.object.namespace ? `${check.object.namespace}/` : ''}${check.object.name}`;
      if (!object) {
        results.push({ name: check.name, cluster, ok: false, detail: `${where} not found` });
        continue;
      }
      const problems = check.expect
        .map((e) => unmet(object, e, now))
        .filter((p): p is string => p !== undefined);
      results.push({
        name: check.name,
        cluster,
        ok: problems.length === 0,
        detail: problems.join('; ') || 'ok',
      });
    } catch (error) {
      results.push({
        name: check.name,
        cluster,
        ok: false,
        detail: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return results;
}

export async function runChecks(
  checks: readonly CheckSpec[],
  clusters: ClusterDirectory,
  now: number,
): Promise<CheckResult[]> {
  const all: CheckResult[] = [];
  for (const check of checks) all.push(...(await runCheck(check, clusters, now)));
  return all;
}
