/**
 * Flux objects as `flux get` shows them (ready, suspended, revision, last message), read from the
 * health feature's watch caches, and the patches `flux reconcile|suspend|resume` send.
 */
import { KINDS, keep, kind } from '../health/kinds.js';
import type { KindSpec, KubeObject } from '../health/types.js';
import type { ResourceRef } from '../kube/cluster-ops.js';

const SOURCE_STATUS = ['conditions', 'artifact', 'observedGeneration'];

/** The kinds `flux get sources` lists, as the flux CLI's `get sources all` does. */
export const SOURCE_KINDS = {
  // One cache per kind: the health checks read these three too (src/health/kinds.ts).
  gitrepositories: KINDS.gitrepositories,
  ocirepositories: KINDS.ocirepositories,
  helmrepositories: KINDS.helmrepositories,
  helmcharts: kind(
    'helmcharts',
    'source.toolkit.fluxcd.io',
    ['v1'],
    'helmcharts',
    keep(['suspend'], SOURCE_STATUS),
  ),
  buckets: kind('buckets', 'source.toolkit.fluxcd.io', ['v1'], 'buckets', keep(['suspend'], SOURCE_STATUS)),
} satisfies Record<string, KindSpec>;

/** What `flux get` can list, by the word typed. */
export const FLUX_GET_KINDS = {
  ks: [KINDS.kustomizations],
  hr: [KINDS.helmreleases],
  sources: Object.values(SOURCE_KINDS),
} as const satisfies Record<string, readonly KindSpec[]>;
export type FluxGetWord = keyof typeof FLUX_GET_KINDS;

/** The two kinds reconcile, suspend and resume act on, with their API versions for writes. */
export const FLUX_WRITABLE = {
  ks: {
    kind: 'Kustomization',
    group: 'kustomize.toolkit.fluxcd.io',
    version: 'v1',
    plural: 'kustomizations',
  },
  hr: { kind: 'HelmRelease', group: 'helm.toolkit.fluxcd.io', version: 'v2', plural: 'helmreleases' },
} as const;
export type FluxWritableWord = keyof typeof FLUX_WRITABLE;

export interface FluxRow {
  kind: string;
  namespace: string;
  name: string;
  ready: 'True' | 'False' | 'Unknown';
  suspended: boolean;
  revision: string;
  message: string;
}

const KIND_NAMES: Record<string, string> = {
  kustomizations: 'Kustomization',
  helmreleases: 'HelmRelease',
  gitrepositories: 'GitRepository',
  ocirepositories: 'OCIRepository',
  helmrepositories: 'HelmRepository',
  helmcharts: 'HelmChart',
  buckets: 'Bucket',
};

function readyCondition(object: KubeObject): { status?: string; message?: string } | undefined {
  const conditions = object.status?.conditions;
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find((c) => (c as { type?: string }).type === 'Ready') as
    | { status?: string; message?: string }
    | undefined;
}

/** The revision the flux CLI shows: last applied (Kustomization), last attempted (HelmRelease), the artifact's (sources). */
function revisionOf(object: KubeObject): string {
  const status = object.status ?? {};
  const artifact = status.artifact as { revision?: unknown } | undefined;
  const value = status.lastAppliedRevision ?? status.lastAttemptedRevision ?? artifact?.revision;
  return typeof value === 'string' ? value : '';
}

export function fluxRow(spec: KindSpec, object: KubeObject): FluxRow {
  const ready = readyCondition(object);
  const status = ready?.status;
  return {
    kind: KIND_NAMES[spec.id] ?? spec.id,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
    ready: status === 'True' || status === 'False' ? status : 'Unknown',
    suspended: object.spec?.suspend === true,
    revision: revisionOf(object),
    message: ready?.message ?? '',
  };
}

export function fluxRef(word: FluxWritableWord, namespace: string, name: string): ResourceRef {
  const { group, version, plural } = FLUX_WRITABLE[word];
  return { group, version, plural, namespace, name };
}

/** What the flux CLI sets to ask for a reconcile now: any new value of this annotation. */
export const RECONCILE_ANNOTATION = 'reconcile.fluxcd.io/requestedAt';

export type FluxAction = 'reconcile' | 'suspend' | 'resume';

/**
 * The merge patch of each action, as the flux CLI sends it: reconcile sets the request
 * annotation to the time; suspend sets spec.suspend; resume clears it and requests a reconcile,
 * so the object does not wait for its next interval.
 */
export function fluxPatch(action: FluxAction, now: number): Record<string, unknown> {
  const requested = { metadata: { annotations: { [RECONCILE_ANNOTATION]: new Date(now).toISOString() } } };
  if (action === 'reconcile') return requested;
  if (action === 'suspend') return { spec: { suspend: true } };
  return { ...requested, spec: { suspend: false } };
}
