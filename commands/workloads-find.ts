/**
 * Finds the object a workload command names, in the watch caches, before anything is sent to a
 * cluster: a typo, an unknown namespace or an ambiguous name is answered from memory.
 */
import type { ClusterReader as CacheReader, KubeObject } from '../src/health/types.js';
import type { CommandContext } from '../src/router/spec.js';
import { EXTRA_KINDS, type WorkloadKind } from '../src/workloads/kinds.js';
import { cachesFor, kubeProblem } from './cluster-access.js';

export const READ_TIMEOUT_MS = 10_000;

export interface Found {
  cluster: string;
  cache: CacheReader;
  object: KubeObject;
}

/** The objects of a kind in one cache, or the sentence why they cannot be read. */
export async function cached(
  cluster: string,
  cache: CacheReader,
  kind: WorkloadKind,
): Promise<readonly KubeObject[] | string> {
  try {
    const state = (await cache.read([kind.spec], { timeoutMs: READ_TIMEOUT_MS })).get(kind.spec.id);
    if (state?.served) return state.objects;
    if (state?.forbidden)
      return `coxswain's read-only account may not list ${state.forbidden} on ${cluster}; nothing was shown.`;
    return `${cluster} does not serve ${kind.spec.plural}.`;
  } catch (error) {
    return `${cluster}: ${kubeProblem(error, `reading ${kind.spec.plural}`, 'bot')}`;
  }
}

/**
 * Whether the namespace exists on the cluster, from the namespaces cache; a cluster whose
 * namespaces the bot may not list is given the benefit of the doubt (the read answers then).
 */
export async function namespaceProblem(
  cluster: string,
  cache: CacheReader,
  namespace: string,
): Promise<string | undefined> {
  const state = (await cache.read([EXTRA_KINDS.namespaces], { timeoutMs: READ_TIMEOUT_MS })).get(
    EXTRA_KINDS.namespaces.id,
  );
  if (!state?.served) return undefined;
  return state.objects.some((n) => n.metadata.name === namespace)
    ? undefined
    : `There is no namespace ${namespace} on ${cluster}.`;
}

/**
 * A kind's cached objects across the target clusters, only those in `namespace` when one is
 * given. A cluster that has no such namespace, or whose cache cannot answer, is named in
 * `problems` and skipped: the others still answer.
 */
export async function cachedAcross(
  targets: readonly { cluster: string; cache: CacheReader }[],
  kind: WorkloadKind,
  namespace: string | undefined,
): Promise<{ found: { cluster: string; object: KubeObject }[]; problems: string[] }> {
  const found: { cluster: string; object: KubeObject }[] = [];
  const problems: string[] = [];
  for (const { cluster, cache } of targets) {
    if (namespace !== undefined) {
      const missing = await namespaceProblem(cluster, cache, namespace).catch(() => undefined);
      if (missing) {
        problems.push(missing);
        continue;
      }
    }
    const objects = await cached(cluster, cache, kind);
    if (typeof objects === 'string') {
      problems.push(objects);
      continue;
    }
    for (const object of objects)
      if (namespace === undefined || object.metadata.namespace === namespace) found.push({ cluster, object });
  }
  return { found, problems };
}

/** The one object of this kind and name (in `-n`, on `--cluster` when given), or why not. */
export async function findOne(
  ctx: CommandContext,
  kind: WorkloadKind,
  name: string,
): Promise<Found | string> {
  const targets = cachesFor(ctx);
  if (typeof targets === 'string') return targets;
  const namespace = typeof ctx.args.namespace === 'string' ? ctx.args.namespace : undefined;
  const found: Found[] = [];
  const problems: string[] = [];
  for (const { cluster, cache } of targets) {
    const objects = await cached(cluster, cache, kind);
    if (typeof objects === 'string') {
      problems.push(objects);
      continue;
    }
    for (const object of objects)
      if (
        object.metadata.name === name &&
        (!kind.spec.namespaced || namespace === undefined || object.metadata.namespace === namespace)
      )
        found.push({ cluster, cache, object });
  }
  const where = `${namespace && kind.spec.namespaced ? ` in namespace ${namespace}` : ''}${typeof ctx.args.cluster === 'string' ? ` on ${ctx.args.cluster}` : ''}`;
  if (found.length === 1) return found[0]!;
  if (found.length > 1)
    return `There are ${found.length} ${kind.word}/${name}${where}: ${found
      .map((f) => `${f.object.metadata.namespace ?? ''} on ${f.cluster}`)
      .join(', ')}. Say which with -n and --cluster.`;
  return problems.length > 0 ? problems.join(' ') : `There is no ${kind.word}/${name}${where}.`;
}
