/**
 * The Kubernetes port the phase and drill engines use. Reads go out under the bot's own identity;
 * every write goes through `OperatorWriter`, which the adapter implements by impersonating the
 * scoped `coxswain-operator` service account with the chat user passed along as impersonation
 * extra, so the cluster's audit log names the human behind each change.
 */
import type { ClusterMetrics } from '../prometheus/query.js';

/** A Kubernetes object as JSON; engines read the few fields they need. */
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string | Date;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
} & Record<string, unknown>;

/** Which API collection an object lives in; `group: ''` is the core group. */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  name: string;
}

export interface PodInfo {
  namespace: string;
  name: string;
  uid: string;
  nodeName?: string;
  ready: boolean;
  phase?: string;
  deleting: boolean;
  /** The controlling owner (ReplicaSet, StatefulSet, DaemonSet, Job...), when there is one. */
  owner?: { kind: string; name: string; uid: string };
  labels: Record<string, string>;
  /** A static pod's mirror, which the API server cannot evict or delete for good. */
  mirror: boolean;
}

export interface NodeInfo {
  name: string;
  ready: boolean;
  unschedulable: boolean;
}

/** A collection to list: `namespace` unset means every namespace. */
export type CollectionRef = Omit<ResourceRef, 'name'>;

/** Reads with the bot's own (read-only) identity. */
export interface ClusterReader {
  /** One object; core-group objects: pods, nodes, services, endpoints, namespaces. */
  get(ref: ResourceRef): Promise<KubeObject | undefined>;
  /** The objects of a collection matching a label selector (core group: services, endpoints). */
  list(ref: CollectionRef, labelSelector?: string): Promise<KubeObject[]>;
  listPods(query: { namespace?: string; labelSelector?: string; nodeName?: string }): Promise<PodInfo[]>;
  getNode(name: string): Promise<NodeInfo | undefined>;
  listNodes(): Promise<NodeInfo[]>;
  /** A container's log as text (`pods/log`); rejects with KubeError (404 when the pod is gone). */
  podLog(namespace: string, name: string, options: PodLogOptions): Promise<string>;
}

export interface PodLogOptions {
  container?: string;
  tailLines?: number;
  sinceSeconds?: number;
  /** The previous (terminated) instance of the container, after a restart. */
  previous?: boolean;
  /** The API server stops reading after this many bytes, so one huge log cannot fill memory. */
  limitBytes?: number;
}

/**
 * The eviction's answer: `evicted`, or `blocked` when a PodDisruptionBudget does not allow it now
 * (HTTP 429; try again later), or `gone` when the pod no longer exists.
 */
export type EvictionResult = 'evicted' | 'blocked' | 'gone';

/** Writes as the operator service account, on behalf of `actor` (a chat username). */
export interface OperatorWriter {
  deletePod(namespace: string, name: string): Promise<'deleted' | 'gone'>;
  evictPod(namespace: string, name: string): Promise<EvictionResult>;
  setUnschedulable(node: string, unschedulable: boolean): Promise<void>;
  /** JSON merge patch of an object (Flux suspend/resume, reconcile requests). */
  mergePatch(ref: ResourceRef, patch: Record<string, unknown>): Promise<KubeObject>;
  /** Sets `spec.replicas` through the scale subresource (the mesh drill's gateway). */
  scale(ref: ResourceRef, replicas: number): Promise<void>;
  /** Creates an object (a Velero Restore); `exists` when one of that name is already there. */
  create(ref: CollectionRef, object: KubeObject): Promise<'created' | 'exists'>;
  /** Deletes an object (a Restore, the scratch namespace); `gone` when it no longer exists. */
  remove(ref: ResourceRef): Promise<'deleted' | 'gone'>;
}

export interface ClusterOps {
  readonly cluster: string;
  readonly reader: ClusterReader;
  writer(actor: string): OperatorWriter;
  /** The cluster's metrics endpoint (clusters[].metrics), when one is configured. */
  readonly metrics?: ClusterMetrics | undefined;
}

/** The clusters the bot knows, by name as the config writes them. */
export interface ClusterDirectory {
  names(): string[];
  get(cluster: string): ClusterOps | undefined;
}

/** An API error with its HTTP status, as adapters raise it, so engines can say what happened. */
export class KubeError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

/**
 * Reads a dotted path (`status.ceph.health`, `subsets.0.addresses`) out of an object; a key with
 * dots in it goes in brackets: `metadata.labels[pod-security.kubernetes.io/enforce]`.
 */
export function fieldAt(object: unknown, path: string): unknown {
  let value: unknown = object;
  for (const [, plain, bracketed] of path.matchAll(/([^.[\]]+)|\[([^\]]+)\]/g)) {
    const key = (plain ?? bracketed) as string;
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The status of condition `type`, e.g. `True`, or undefined when the object does not report it. */
export function conditionStatus(object: KubeObject | undefined, type: string): string | undefined {
  const conditions = fieldAt(object, 'status.conditions');
  if (!Array.isArray(conditions)) return undefined;
  const found = conditions.find((c) => (c as { type?: string }).type === type) as
    | { status?: string }
    | undefined;
  return found?.status;
}
