/**
 * How the cluster commands (flux, get, describe, events, logs, rollout, scale) reach a cluster:
 * reads from the watch caches or as the bot's read-only account, writes as the operator account
 * on behalf of the chat user. Every refusal is a sentence, and nothing is sent when the input is
 * wrong.
 */
import type { ClusterReader as CacheReader } from '../src/health/types.js';
import { type ClusterOps, KubeError } from '../src/kube/cluster-ops.js';
import type { CommandContext } from '../src/router/spec.js';
import { clusterArg } from './options.js';

const NO_CLUSTERS =
  'No cluster is configured: add `clusters:` (name, kubeconfig and context, or inCluster) to the config.';

/** The caches of the cluster `--cluster` names, or of every cluster; a string is the answer to give. */
export function cachesFor(ctx: CommandContext): { cluster: string; cache: CacheReader }[] | string {
  const caches = ctx.services.caches;
  if (caches.size === 0) return NO_CLUSTERS;
  const picked = clusterArg(ctx, [...caches.keys()]);
  if ('error' in picked) return picked.error;
  return [...caches.entries()]
    .filter(([name]) => picked.cluster === undefined || name === picked.cluster)
    .map(([cluster, cache]) => ({ cluster, cache }));
}

/**
 * The one cluster a command acts on: `--cluster`, or the only one configured. A write never
 * guesses between several.
 */
export function oneCluster(ctx: CommandContext): ClusterOps | string {
  const directory = ctx.services.clusters;
  if (!directory || directory.names().length === 0) return NO_CLUSTERS;
  const picked = clusterArg(ctx, directory.names());
  if ('error' in picked) return picked.error;
  const names = directory.names();
  const name = picked.cluster ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined) return `Name the cluster with --cluster (one of: ${names.join(', ')}).`;
  return directory.get(name) ?? NO_CLUSTERS;
}

/** The sentence for a refused or failed request; RBAC refusals say whose permission is missing. */
export function kubeProblem(error: unknown, what: string, as: 'bot' | 'operator'): string {
  if (error instanceof KubeError && error.status === 403)
    return as === 'operator'
      ? `The cluster refused ${what}: the coxswain-operator account may not do that there (its roles in the chart list what it may). Nothing was changed.`
      : `The cluster refused ${what}: coxswain's read-only account may not read that. Nothing was shown.`;
  if (error instanceof KubeError && error.status === 404) return `${capitalise(what)}: not found.`;
  const reason = error instanceof Error ? error.message : String(error);
  return as === 'operator'
    ? `${capitalise(what)} failed: ${reason}. Nothing was changed.`
    : `${capitalise(what)} failed: ${reason}.`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
