/**
 * The kinds `/ops get`, `describe` and `events` know, by the words kubectl accepts for them. Pods,
 * Deployments, StatefulSets, DaemonSets and Nodes share the health feature's caches (one watch
 * per kind and cluster); PVCs, events and namespaces get caches of their own. Secrets and
 * ConfigMaps are deliberately absent: the bot's account may not read them, and no command shows them.
 */
import { KINDS, keep, kind, metadata } from '../health/kinds.js';
import type { KindSpec, KubeObject } from '../health/types.js';
import type { ResourceRef } from '../kube/cluster-ops.js';

type Json = Record<string, unknown>;

function trimEvent(object: KubeObject): KubeObject {
  const o = object as Json;
  const involved = (o.involvedObject ?? {}) as Json;
  return {
    metadata: metadata(object),
    involvedObject: { kind: involved.kind, name: involved.name, namespace: involved.namespace },
    type: o.type,
    reason: o.reason,
    message: typeof o.message === 'string' ? o.message.slice(0, 1000) : undefined,
    count: o.count,
    firstTimestamp: o.firstTimestamp,
    lastTimestamp: o.lastTimestamp,
    eventTime: o.eventTime,
  };
}

export const EXTRA_KINDS = {
  persistentvolumeclaims: kind(
    'persistentvolumeclaims',
    '',
    ['v1'],
    'persistentvolumeclaims',
    keep(['storageClassName', 'volumeName', 'accessModes'], ['phase', 'capacity']),
  ),
  events: kind('events', '', ['v1'], 'events', trimEvent),
  namespaces: kind(
    'namespaces',
    '',
    ['v1'],
    'namespaces',
    (o) => ({ metadata: { name: o.metadata.name } }),
    false,
  ),
} satisfies Record<string, KindSpec>;

export interface WorkloadKind {
  /** The word `get` takes, as kubectl's short name. */
  word: string;
  /** The Kind as the API names it. */
  kind: string;
  spec: KindSpec;
  version: string;
  /** Every word that names it in `describe KIND/NAME` and `--for KIND/NAME`. */
  names: readonly string[];
}

const k = (
  word: string,
  kindName: string,
  spec: KindSpec,
  version: string,
  names: string[],
): WorkloadKind => ({
  word,
  kind: kindName,
  spec,
  version,
  names: [word, ...names],
});

export const WORKLOAD_KINDS: readonly WorkloadKind[] = [
  k('pods', 'Pod', KINDS.pods, 'v1', ['pod', 'po']),
  k('deploy', 'Deployment', KINDS.deployments, 'v1', ['deployment', 'deployments']),
  k('sts', 'StatefulSet', KINDS.statefulsets, 'v1', ['statefulset', 'statefulsets']),
  k('ds', 'DaemonSet', KINDS.daemonsets, 'v1', ['daemonset', 'daemonsets']),
  k('nodes', 'Node', KINDS.nodes, 'v1', ['node', 'no']),
  k('pvc', 'PersistentVolumeClaim', EXTRA_KINDS.persistentvolumeclaims, 'v1', [
    'persistentvolumeclaim',
    'persistentvolumeclaims',
  ]),
];

export const GET_WORDS = WORKLOAD_KINDS.map((w) => w.word);

/** Words people may type that name something coxswain never shows. */
const NEVER_SHOWN = new Set(['secret', 'secrets', 'configmap', 'configmaps', 'cm']);

export function workloadKind(word: string): WorkloadKind | undefined {
  const lower = word.toLowerCase();
  return WORKLOAD_KINDS.find((w) => w.names.includes(lower));
}

const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `KIND/NAME` as typed, checked; the error is the sentence to answer. */
export function parseKindName(text: string): { kind: WorkloadKind; name: string } | { error: string } {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1)
    return {
      error: `Name the object as KIND/NAME, e.g. deploy/grafana or pod/grafana-5d9f; not "${text.slice(0, 100)}"`,
    };
  const word = text.slice(0, slash);
  const name = text.slice(slash + 1);
  if (NEVER_SHOWN.has(word.toLowerCase()))
    return { error: 'coxswain never reads or shows Secrets or ConfigMaps' };
  const found = workloadKind(word);
  if (!found)
    return {
      error: `I don't know the kind "${word.slice(0, 60)}"; the kinds are ${WORKLOAD_KINDS.map((w) => w.word).join(', ')}`,
    };
  if (!DNS1123_SUBDOMAIN.test(name))
    return {
      error: `"${name.slice(0, 100)}" is not a Kubernetes name: lowercase letters, digits, dashes and dots`,
    };
  return { kind: found, name };
}

export function refOf(kindOf: WorkloadKind, name: string, namespace?: string): ResourceRef {
  const ref: ResourceRef = {
    group: kindOf.spec.group,
    version: kindOf.version,
    plural: kindOf.spec.plural,
    name,
  };
  if (kindOf.spec.namespaced && namespace) ref.namespace = namespace;
  return ref;
}
