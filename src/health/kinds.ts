/**
 * The kinds the checks read, each with a trim that keeps only the fields a check uses: caches
 * hold thousands of pods, so managedFields, pod specs and the like never stay in memory.
 */
import { X509Certificate } from 'node:crypto';
import type { KindSpec, KubeObject } from './types.js';

type Json = Record<string, unknown>;

const ANNOTATIONS_KEPT = ['linkerd.io/proxy-version', 'mirror.linkerd.io/remote-svc-fq-name'];

function pick(source: unknown, keys: readonly string[]): Json | undefined {
  if (!source || typeof source !== 'object') return undefined;
  const out: Json = {};
  for (const key of keys) {
    const value = (source as Json)[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export function metadata(object: KubeObject): KubeObject['metadata'] {
  const m = object.metadata ?? { name: '' };
  const out: KubeObject['metadata'] = { name: m.name };
  if (m.namespace) out.namespace = m.namespace;
  if (m.generation !== undefined) out.generation = m.generation;
  if (m.creationTimestamp) out.creationTimestamp = m.creationTimestamp;
  if (m.labels) out.labels = m.labels;
  if (m.annotations) {
    const kept = pick(m.annotations, ANNOTATIONS_KEPT) as Record<string, string>;
    if (Object.keys(kept).length > 0) out.annotations = kept;
  }
  if (m.ownerReferences) out.ownerReferences = m.ownerReferences.map((o) => ({ kind: o.kind, name: o.name }));
  return out;
}

/** A trim keeping metadata, the listed spec keys and the whole (small) status of a custom resource. */
export function keep(specKeys: readonly string[], statusKeys?: readonly string[]) {
  return (object: KubeObject): KubeObject => {
    const out: KubeObject = { metadata: metadata(object) };
    const spec = pick(object.spec, specKeys);
    if (spec && Object.keys(spec).length > 0) out.spec = spec;
    const status = statusKeys ? pick(object.status, statusKeys) : object.status;
    if (status) out.status = status;
    return out;
  };
}

function containerStatus(status: unknown): Json {
  const s = (status ?? {}) as Json;
  const state = (s.state ?? {}) as Json;
  const last = (s.lastState ?? {}) as Json;
  const out: Json = { name: s.name, ready: s.ready, restartCount: s.restartCount };
  const waiting = state.waiting as Json | undefined;
  if (waiting) out.state = { waiting: pick(waiting, ['reason', 'message']) };
  const terminated = last.terminated as Json | undefined;
  if (terminated) out.lastState = { terminated: pick(terminated, ['reason', 'exitCode', 'finishedAt']) };
  return out;
}

function trimPod(object: KubeObject): KubeObject {
  const spec = (object.spec ?? {}) as Json;
  const status = (object.status ?? {}) as Json;
  const containers = Array.isArray(spec.containers) ? (spec.containers as Json[]) : [];
  const out: KubeObject = {
    metadata: metadata({ ...object, metadata: { ...object.metadata, labels: undefined } } as KubeObject),
    spec: { nodeName: spec.nodeName, containers: containers.map((c) => ({ name: c.name })) },
    status: {
      phase: status.phase,
      reason: status.reason,
      containerStatuses: Array.isArray(status.containerStatuses)
        ? (status.containerStatuses as unknown[]).map(containerStatus)
        : [],
      initContainerStatuses: Array.isArray(status.initContainerStatuses)
        ? (status.initContainerStatuses as unknown[]).map(containerStatus)
        : [],
    },
  };
  // All labels: `/ops get pods -l` selects on them from this cache.
  const labels = object.metadata.labels;
  if (labels && Object.keys(labels).length > 0) out.metadata.labels = labels;
  if (typeof status.podIP === 'string') (out.status as Json).podIP = status.podIP;
  return out;
}

function trimNode(object: KubeObject): KubeObject {
  const status = (object.status ?? {}) as Json;
  const conditions = Array.isArray(status.conditions) ? (status.conditions as Json[]) : [];
  // Role labels and age: `/ops get nodes` shows them, as kubectl does.
  const roles = Object.fromEntries(
    Object.entries(object.metadata.labels ?? {}).filter(([k]) => k.startsWith('node-role.kubernetes.io/')),
  );
  const metadata: KubeObject['metadata'] = { name: object.metadata.name };
  if (object.metadata.creationTimestamp) metadata.creationTimestamp = object.metadata.creationTimestamp;
  if (Object.keys(roles).length > 0) metadata.labels = roles;
  return {
    metadata,
    spec: pick(object.spec, ['unschedulable']) ?? {},
    status: {
      conditions: conditions.map((c) => pick(c, ['type', 'status', 'reason', 'message'])),
      nodeInfo: pick(status.nodeInfo, ['kubeletVersion', 'osImage']),
    },
  };
}

const WORKLOAD_STATUS = [
  'replicas',
  'readyReplicas',
  'availableReplicas',
  'updatedReplicas',
  'observedGeneration',
  'numberReady',
  'desiredNumberScheduled',
  'numberUnavailable',
  'conditions',
];

function trimEndpoints(object: KubeObject): KubeObject {
  const subsets = Array.isArray(object.subsets) ? (object.subsets as Json[]) : [];
  const addresses = subsets.reduce(
    (n, s) => n + (Array.isArray(s.addresses) ? (s.addresses as unknown[]).length : 0),
    0,
  );
  return { metadata: metadata(object), status: { addresses } };
}

function trimBgpNodeConfig(object: KubeObject): KubeObject {
  const instances = Array.isArray(object.status?.bgpInstances) ? (object.status.bgpInstances as Json[]) : [];
  return {
    metadata: { name: object.metadata.name },
    status: {
      bgpInstances: instances.map((i) => ({
        name: i.name,
        peers: Array.isArray(i.peers)
          ? (i.peers as Json[]).map((p) => pick(p, ['name', 'peerAddress', 'peeringState']))
          : [],
      })),
    },
  };
}

/** The PEM certificates of a bundle, as subject and notAfter (ISO); unparsable blocks are counted as such. */
export function bundleCertificates(pem: string): { subject: string; notAfter?: string; error?: string }[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => {
    try {
      const cert = new X509Certificate(block);
      return { subject: cert.subject.replace(/\n/g, ', '), notAfter: cert.validToDate.toISOString() };
    } catch (error) {
      return { subject: '?', error: error instanceof Error ? error.message : String(error) };
    }
  });
}

/**
 * Linkerd's trust roots ConfigMap keeps only the roots' subjects and notAfter: the PEM itself
 * never stays in the cache.
 */
function trimTrustRoots(object: KubeObject): KubeObject {
  const data = (object.data ?? {}) as Record<string, unknown>;
  const pem = typeof data['ca-bundle.crt'] === 'string' ? data['ca-bundle.crt'] : '';
  return {
    metadata: { name: object.metadata.name, namespace: object.metadata.namespace },
    status: { roots: bundleCertificates(pem) },
  };
}

/** A VictoriaMetrics operator resource: its `updateStatus` (operational / expanding / failed…) and reason. */
function vmKind(id: string, plural: string): KindSpec {
  return kind(
    id,
    'operator.victoriametrics.com',
    ['v1beta1', 'v1'],
    plural,
    keep([], ['updateStatus', 'reason']),
  );
}

/** A Flux source: Ready and the conditions that say its artifact is stale, its generation and artifact. */
function fluxSource(plural: string, versions: string[]): KindSpec {
  return kind(
    plural,
    'source.toolkit.fluxcd.io',
    versions,
    plural,
    // The fields the source checks read, and what `flux get sources` shows (artifact revision, type).
    keep(['suspend', 'interval', 'url', 'type'], ['conditions', 'observedGeneration', 'artifact']),
  );
}

export const kind = (
  id: string,
  group: string,
  versions: string[],
  plural: string,
  trim: KindSpec['trim'],
  namespaced = true,
): KindSpec => ({ id, group, versions, plural, namespaced, trim });

export const KINDS = {
  nodes: kind('nodes', '', ['v1'], 'nodes', trimNode, false),
  pods: kind('pods', '', ['v1'], 'pods', trimPod),
  services: kind('services', '', ['v1'], 'services', keep(['type'], ['loadBalancer'])),
  endpoints: kind('endpoints', '', ['v1'], 'endpoints', trimEndpoints),
  deployments: kind('deployments', 'apps', ['v1'], 'deployments', keep(['replicas'], WORKLOAD_STATUS)),
  statefulsets: kind('statefulsets', 'apps', ['v1'], 'statefulsets', keep(['replicas'], WORKLOAD_STATUS)),
  daemonsets: kind('daemonsets', 'apps', ['v1'], 'daemonsets', keep([], WORKLOAD_STATUS)),
  kustomizations: kind(
    'kustomizations',
    'kustomize.toolkit.fluxcd.io',
    ['v1'],
    'kustomizations',
    keep(['suspend'], ['conditions', 'lastAppliedRevision', 'lastAttemptedRevision', 'observedGeneration']),
  ),
  helmreleases: kind(
    'helmreleases',
    'helm.toolkit.fluxcd.io',
    ['v2', 'v2beta2'],
    'helmreleases',
    keep(['suspend'], ['conditions', 'lastAttemptedRevision', 'observedGeneration']),
  ),
  cephclusters: kind(
    'cephclusters',
    'ceph.rook.io',
    ['v1'],
    'cephclusters',
    keep([], ['phase', 'message', 'ceph', 'conditions']),
  ),
  cnpgclusters: kind('cnpgclusters', 'postgresql.cnpg.io', ['v1'], 'clusters', keep(['instances'])),
  veleroschedules: kind('veleroschedules', 'velero.io', ['v1'], 'schedules', keep(['paused'])),
  velerobackups: kind(
    'velerobackups',
    'velero.io',
    ['v1'],
    'backups',
    keep([], ['phase', 'completionTimestamp', 'startTimestamp', 'errors', 'warnings']),
  ),
  backupstoragelocations: kind(
    'backupstoragelocations',
    'velero.io',
    ['v1'],
    'backupstoragelocations',
    keep([], ['phase', 'message', 'lastValidationTime']),
  ),
  replicationsources: kind(
    'replicationsources',
    'volsync.backube',
    ['v1alpha1'],
    'replicationsources',
    keep(['trigger'], ['lastSyncTime', 'nextSyncTime', 'conditions', 'latestMoverStatus']),
  ),
  certificates: kind(
    'certificates',
    'cert-manager.io',
    ['v1'],
    'certificates',
    keep([], ['conditions', 'notAfter', 'renewalTime']),
  ),
  externalsecrets: kind(
    'externalsecrets',
    'external-secrets.io',
    ['v1', 'v1beta1'],
    'externalsecrets',
    keep([], ['conditions', 'refreshTime']),
  ),
  clustersecretstores: kind(
    'clustersecretstores',
    'external-secrets.io',
    ['v1', 'v1beta1'],
    'clustersecretstores',
    keep([], ['conditions']),
    false,
  ),
  links: kind(
    'links',
    'multicluster.linkerd.io',
    ['v1alpha3', 'v1alpha2', 'v1alpha1'],
    'links',
    keep(
      ['targetClusterName', 'gatewayAddress', 'gatewayPort', 'probeSpec'],
      ['conditions', 'mirrorServices'],
    ),
  ),
  // BGP control plane: one per node, with the session state of each peer (status.bgpInstances).
  ciliumbgpnodeconfigs: kind(
    'ciliumbgpnodeconfigs',
    'cilium.io',
    ['v2', 'v2alpha1'],
    'ciliumbgpnodeconfigs',
    trimBgpNodeConfig,
    false,
  ),
  ciliumloadbalancerippools: kind(
    'ciliumloadbalancerippools',
    'cilium.io',
    ['v2', 'v2alpha1'],
    'ciliumloadbalancerippools',
    keep(['disabled'], ['conditions']),
    false,
  ),
  gitrepositories: fluxSource('gitrepositories', ['v1']),
  ocirepositories: fluxSource('ocirepositories', ['v1', 'v1beta2']),
  helmrepositories: fluxSource('helmrepositories', ['v1']),
  cnpgbackups: kind(
    'cnpgbackups',
    'postgresql.cnpg.io',
    ['v1'],
    'backups',
    keep(['cluster'], ['phase', 'startedAt', 'stoppedAt']),
  ),
  cnpgscheduledbackups: kind(
    'cnpgscheduledbackups',
    'postgresql.cnpg.io',
    ['v1'],
    'scheduledbackups',
    keep(['cluster', 'schedule', 'suspend'], ['lastScheduleTime', 'nextScheduleTime']),
  ),
  vmclusters: vmKind('vmclusters', 'vmclusters'),
  vmalerts: vmKind('vmalerts', 'vmalerts'),
  vmalertmanagers: vmKind('vmalertmanagers', 'vmalertmanagers'),
  vlogs: vmKind('vlogs', 'vlogs'),
  vlsingles: vmKind('vlsingles', 'vlsingles'),
  // Linkerd's trust anchor: the one ConfigMap linkerd-identity-trust-roots, never Secrets.
  linkerdtrustroots: {
    ...kind('linkerdtrustroots', '', ['v1'], 'configmaps', trimTrustRoots),
    only: { namespace: 'linkerd', name: 'linkerd-identity-trust-roots' },
  },
  ciliumnodes: kind(
    'ciliumnodes',
    'cilium.io',
    ['v2'],
    'ciliumnodes',
    (o) => ({ metadata: { name: o.metadata.name } }),
    false,
  ),
} satisfies Record<string, KindSpec>;
