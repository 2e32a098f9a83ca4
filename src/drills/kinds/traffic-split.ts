/**
 * Linkerd's cross-cluster failover routing as the Kubernetes API shows it: an SMI TrafficSplit
 * (`split.smi-spec.io`, served by the linkerd-smi extension) whose backends are the local Service
 * and the mirrors of the same Service on other clusters. The linkerd-failover extension names the
 * primary backend in the annotation `failover.linkerd.io/primary-service` and rewrites the
 * weights: the primary alone while its Endpoints have ready addresses, otherwise every backend
 * that has some (linkerd/linkerd-failover, README "Failover logic", controller/src/traffic_split.rs).
 */
import { type ClusterReader, fieldAt, KubeError, type KubeObject } from '../../kube/cluster-ops.js';
import { endpointAddresses } from './scaled-deployment.js';

export const PRIMARY_ANNOTATION = 'failover.linkerd.io/primary-service';
/** linkerd-failover reads and patches v1alpha2; linkerd-smi stores v1alpha1 with the same fields. */
export const SPLIT_VERSIONS = ['v1alpha2', 'v1alpha1'] as const;
export type SplitVersion = (typeof SPLIT_VERSIONS)[number];

/** A TrafficSplit that linkerd-failover acts on (it has the primary annotation). */
export interface FailoverSplit {
  namespace: string;
  name: string;
  version: SplitVersion;
  /** The backend the annotation names as primary. */
  primary: string;
  backends: { service: string; weight: number }[];
}

/**
 * A backend weight as a number: v1alpha2 writes numbers, v1alpha1 int-or-string quantities
 * ("500m"). Only whether it is above zero matters to the drill; unreadable counts as zero.
 */
export function backendWeight(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number.parseFloat(value) : 0;
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** The split's failover facts; undefined when it has no primary annotation (linkerd-failover skips it). */
export function failoverSplit(object: KubeObject, version: SplitVersion): FailoverSplit | undefined {
  const primary = object.metadata?.annotations?.[PRIMARY_ANNOTATION];
  if (!primary) return undefined;
  const backends = fieldAt(object, 'spec.backends');
  return {
    namespace: object.metadata?.namespace ?? '',
    name: object.metadata?.name ?? '',
    version,
    primary,
    backends: (Array.isArray(backends) ? backends : []).map((b: { service?: unknown; weight?: unknown }) => ({
      service: String(b?.service ?? ''),
      weight: backendWeight(b?.weight),
    })),
  };
}

/**
 * The failover TrafficSplits of a namespace, in the newest version the cluster serves; none when
 * no version is served (linkerd-smi is not installed).
 */
export async function failoverSplits(reader: ClusterReader, namespace: string): Promise<FailoverSplit[]> {
  for (const version of SPLIT_VERSIONS) {
    try {
      const splits = await reader.list({
        group: 'split.smi-spec.io',
        version,
        plural: 'trafficsplits',
        namespace,
      });
      return splits.flatMap((s) => failoverSplit(s, version) ?? []);
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) continue;
      throw error;
    }
  }
  return [];
}

/** One split as it is now, in the version it was found in; undefined when it is gone or lost its annotation. */
export async function readSplit(
  reader: ClusterReader,
  ref: Pick<FailoverSplit, 'namespace' | 'name' | 'version'>,
): Promise<FailoverSplit | undefined> {
  const object = await reader.get({
    group: 'split.smi-spec.io',
    version: ref.version,
    plural: 'trafficsplits',
    namespace: ref.namespace,
    name: ref.name,
  });
  return object ? failoverSplit(object, ref.version) : undefined;
}

/** Ready addresses of a Service's Endpoints (0 when it has none or no Endpoints object). */
export async function readyAddresses(
  reader: ClusterReader,
  namespace: string,
  name: string,
): Promise<number> {
  const endpoints = await reader.get({ group: '', version: 'v1', plural: 'endpoints', namespace, name });
  return endpointAddresses(endpoints).ready;
}

/** Where a mirrored Service's original lives: Linkerd's labels and annotation on the mirror. */
export interface MirrorOrigin {
  cluster: string;
  namespace: string;
  name: string;
}

/**
 * The exported Service a mirror stands for: the cluster from `mirror.linkerd.io/cluster-name`,
 * the name from `mirror.linkerd.io/remote-svc-fq-name` (`<name>.<namespace>.svc.<domain>`), or,
 * without it, the mirror's name less its `-<cluster>` suffix in the same namespace. Undefined
 * for a Service that is not a gateway mirror (a local Service; remote-discovery mirrors have no
 * Endpoints of their own).
 */
export function mirrorOrigin(service: KubeObject | undefined): MirrorOrigin | undefined {
  const labels = service?.metadata?.labels ?? {};
  const cluster = labels['mirror.linkerd.io/cluster-name'];
  if (labels['mirror.linkerd.io/mirrored-service'] !== 'true' || !cluster) return undefined;
  if (labels['mirror.linkerd.io/remote-discovery'] !== undefined) return undefined;
  const fq = service?.metadata?.annotations?.['mirror.linkerd.io/remote-svc-fq-name'];
  const [name, namespace] = fq?.split('.') ?? [];
  if (name && namespace) return { cluster, namespace, name };
  const own = service?.metadata?.name ?? '';
  const suffix = `-${cluster}`;
  if (!own.endsWith(suffix)) return undefined;
  return { cluster, namespace: service?.metadata?.namespace ?? '', name: own.slice(0, -suffix.length) };
}

/** Whether a Service's selector picks pods with these labels (an empty selector picks none). */
export function selects(service: KubeObject, podLabels: Record<string, string>): boolean {
  const selector = fieldAt(service, 'spec.selector') as Record<string, string> | undefined;
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => podLabels[k] === v);
}
