/**
 * The cluster adapter behind src/kube/cluster-ops.ts. One KubeConfig per cluster carries the bot's
 * own credentials: reads use them as they are; writes add, on every call, the impersonation
 * headers for `system:serviceaccount:<ns>:coxswain-operator` and the chat user as an
 * impersonation extra. client-node's kubeconfig `as` field sets only the user, not extras, so
 * the headers are passed per call with setHeaderOptions (see docs/test-stack-notes.md).
 */
import type {
  ConfigurationOptions,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  V1Node,
  V1PersistentVolumeClaim,
  V1Pod,
} from '@kubernetes/client-node';
// From their own modules: the package index loads every generated API (see client-node-slim.ts).
import { setHeaderOptions } from '@kubernetes/client-node/dist/middleware.js';
import { PatchStrategy } from '@kubernetes/client-node/dist/patch.js';
import type { Config } from '../../src/config/schema.js';
import {
  type ClusterDirectory,
  type ClusterOps,
  type ClusterReader,
  type CollectionRef,
  type EvictionResult,
  KubeError,
  type KubeObject,
  type NodeInfo,
  type OperatorWriter,
  type PodInfo,
  type PodLogOptions,
  type ResourceRef,
} from '../../src/kube/cluster-ops.js';
import type { ClusterMetrics } from '../../src/prometheus/query.js';
import { clusterMetrics } from '../prometheus/client.js';
import { withCallTimeout } from './call-timeout.js';
import { loadKubeConfig } from './cluster-reader.js';
import { KubeHttp, KubeHttpError } from './http.js';

const OPERATOR_CALL_TIMEOUT_MS = 30_000;

export interface OperatorIdentity {
  /** Namespace of the operator service account. */
  namespace: string;
  /** Name of the operator service account (coxswain-operator). */
  serviceAccount: string;
  /** The impersonation extra key that carries the chat user. */
  chatUserExtra: string;
}

export const DEFAULT_OPERATOR: OperatorIdentity = {
  namespace: 'coxswain',
  serviceAccount: 'coxswain-operator',
  chatUserExtra: 'coxswain.dev/chat-user',
};

export function operatorUsername(identity: OperatorIdentity): string {
  return `system:serviceaccount:${identity.namespace}:${identity.serviceAccount}`;
}

/** Header values must be printable ASCII; a chat name with anything else is percent-encoded. */
function headerSafe(value: string): string {
  return /^[\x21-\x7e]+$/.test(value) ? value : encodeURIComponent(value);
}

/** The per-call options that make a request as the operator account on behalf of `actor`. */
export function impersonation(
  identity: OperatorIdentity,
  actor: string,
  user = operatorUsername(identity),
): ConfigurationOptions {
  return setHeaderOptions(
    'Impersonate-User',
    user,
    setHeaderOptions(`Impersonate-Extra-${encodeURIComponent(identity.chatUserExtra)}`, headerSafe(actor)),
  );
}

/** The HTTP status of a client-node error (ApiException.code), if it has one. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

function wrap(cluster: string, what: string, error: unknown): KubeError {
  if (error instanceof KubeHttpError)
    return new KubeError(
      `${what} on cluster ${cluster} failed (HTTP ${error.status}): ${error.reason || error.message}`,
      error.status,
    );
  const status = statusOf(error);
  const body = (error as { body?: unknown }).body;
  let reason = '';
  if (typeof body === 'string') {
    try {
      reason = (JSON.parse(body) as { message?: string }).message ?? '';
    } catch {
      reason = body.slice(0, 200);
    }
  }
  const why = reason || (error instanceof Error ? error.message : String(error));
  return new KubeError(`${what} on cluster ${cluster} failed (HTTP ${status ?? '?'}): ${why}`, status);
}

function podInfo(pod: V1Pod): PodInfo {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
  const info: PodInfo = {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
    ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
    deleting: pod.metadata?.deletionTimestamp !== undefined && pod.metadata?.deletionTimestamp !== null,
    labels: pod.metadata?.labels ?? {},
    mirror: pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined,
  };
  if (pod.spec?.nodeName) info.nodeName = pod.spec.nodeName;
  if (pod.status?.phase) info.phase = pod.status.phase;
  if (owner) info.owner = { kind: owner.kind, name: owner.name, uid: owner.uid };
  return info;
}

function nodeInfo(node: V1Node): NodeInfo {
  return {
    name: node.metadata?.name ?? '',
    ready: node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
    unschedulable: node.spec?.unschedulable === true,
  };
}

/** The generated CoreV1Api and CustomObjectsApi of one cluster. */
interface GeneratedClients {
  core: CoreV1Api;
  custom: CustomObjectsApi;
}

let generatedApis: Promise<typeof import('@kubernetes/client-node')> | undefined;

/**
 * One cluster's generated API clients, made on the first call that needs them: the package index
 * that holds the classes costs about 45 MiB RSS to import (client-node-slim.ts), which a bot that
 * runs no drill, phase or describe never pays. One module load per process, one pair per cluster.
 */
function lazyClients(kc: KubeConfig): () => Promise<GeneratedClients> {
  let clients: Promise<GeneratedClients> | undefined;
  return () => {
    generatedApis ??= import('@kubernetes/client-node');
    clients ??= generatedApis.then(({ CoreV1Api, CustomObjectsApi }) => ({
      core: kc.makeApiClient(CoreV1Api),
      custom: kc.makeApiClient(CustomObjectsApi),
    }));
    return clients;
  };
}

/** The core kinds `get` reads; the namespaced ones need a namespace. */
const NAMESPACED_CORE_READS = new Set(['pods', 'services', 'persistentvolumeclaims', 'endpoints']);
const CORE_READS = new Set([...NAMESPACED_CORE_READS, 'nodes', 'namespaces']);

/** The API path of one object: core kinds under /api/v1, the others under their group. */
export function objectPath(ref: ResourceRef): string {
  const base = ref.group === '' ? '/api/v1' : `/apis/${ref.group}/${ref.version}`;
  // Nodes and namespaces have none, whatever the ref says (as the generated readNode did).
  const scoped = ref.namespace && (ref.group !== '' || NAMESPACED_CORE_READS.has(ref.plural));
  const namespace = scoped ? `/namespaces/${encodeURIComponent(ref.namespace as string)}` : '';
  return `${base}${namespace}/${ref.plural}/${encodeURIComponent(ref.name)}`;
}

class Reader implements ClusterReader {
  constructor(
    private readonly cluster: string,
    private readonly clients: () => Promise<GeneratedClients>,
    private readonly http: KubeHttp,
  ) {}

  /**
   * One object, as the API server sends it (JSON, timestamps as strings), through a plain GET:
   * `/ops describe` reads here, and a generated client would load the generated API classes
   * (client-node-slim.ts) for one request.
   */
  async get(ref: ResourceRef): Promise<KubeObject | undefined> {
    if (ref.group === '' && !CORE_READS.has(ref.plural))
      throw new KubeError(`reading core ${ref.plural} is not supported`, undefined);
    if (ref.group === '' && NAMESPACED_CORE_READS.has(ref.plural) && !ref.namespace)
      throw new KubeError(`reading core ${ref.plural} is not supported`, undefined);
    try {
      return (await this.http.request('GET', objectPath(ref))) as unknown as KubeObject;
    } catch (error) {
      if (error instanceof KubeHttpError && error.status === 404) return undefined;
      throw wrap(this.cluster, `reading ${ref.plural}/${ref.name}`, error);
    }
  }

  async list(ref: CollectionRef, labelSelector?: string): Promise<KubeObject[]> {
    const selector = labelSelector ? { labelSelector } : {};
    try {
      const { core, custom } = await this.clients();
      if (ref.group === '') {
        const { namespace } = ref;
        let list: { items: unknown[] };
        if (ref.plural === 'endpoints')
          list = namespace
            ? await core.listNamespacedEndpoints({ namespace, ...selector })
            : await core.listEndpointsForAllNamespaces(selector);
        else if (ref.plural === 'services')
          list = namespace
            ? await core.listNamespacedService({ namespace, ...selector })
            : await core.listServiceForAllNamespaces(selector);
        else throw new KubeError(`listing core ${ref.plural} is not supported`, undefined);
        return list.items as KubeObject[];
      }
      const list = (
        ref.namespace
          ? await custom.listNamespacedCustomObject({
              group: ref.group,
              version: ref.version,
              namespace: ref.namespace,
              plural: ref.plural,
              ...selector,
            })
          : await custom.listClusterCustomObject({
              group: ref.group,
              version: ref.version,
              plural: ref.plural,
              ...selector,
            })
      ) as { items?: KubeObject[] };
      return list.items ?? [];
    } catch (error) {
      if (error instanceof KubeError) throw error;
      throw wrap(this.cluster, `listing ${ref.plural}`, error);
    }
  }

  async listPods(query: {
    namespace?: string;
    labelSelector?: string;
    nodeName?: string;
  }): Promise<PodInfo[]> {
    const selectors: { labelSelector?: string; fieldSelector?: string } = {};
    if (query.labelSelector) selectors.labelSelector = query.labelSelector;
    if (query.nodeName) selectors.fieldSelector = `spec.nodeName=${query.nodeName}`;
    try {
      const { core } = await this.clients();
      const list = query.namespace
        ? await core.listNamespacedPod({ namespace: query.namespace, ...selectors })
        : await core.listPodForAllNamespaces(selectors);
      return list.items.map(podInfo);
    } catch (error) {
      throw wrap(this.cluster, 'listing pods', error);
    }
  }

  async getNode(name: string): Promise<NodeInfo | undefined> {
    try {
      const { core } = await this.clients();
      return nodeInfo(await core.readNode({ name }));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw wrap(this.cluster, `reading node ${name}`, error);
    }
  }

  async listNodes(): Promise<NodeInfo[]> {
    try {
      const { core } = await this.clients();
      return (await core.listNode()).items.map(nodeInfo);
    } catch (error) {
      throw wrap(this.cluster, 'listing nodes', error);
    }
  }

  async podLog(namespace: string, name: string, options: PodLogOptions): Promise<string> {
    try {
      const { core } = await this.clients();
      return await core.readNamespacedPodLog({ name, namespace, ...options });
    } catch (error) {
      throw wrap(this.cluster, `reading the log of pod ${namespace}/${name}`, error);
    }
  }
}

class Writer implements OperatorWriter {
  private readonly options: ConfigurationOptions;

  constructor(
    private readonly cluster: string,
    private readonly clients: () => Promise<GeneratedClients>,
    identity: OperatorIdentity,
    actor: string,
  ) {
    this.options = impersonation(identity, actor);
  }

  private merge(): ConfigurationOptions {
    return setHeaderOptions('Content-Type', PatchStrategy.MergePatch, this.options);
  }

  async deletePod(namespace: string, name: string): Promise<'deleted' | 'gone'> {
    try {
      const { core } = await this.clients();
      await core.deleteNamespacedPod({ name, namespace }, this.options);
      return 'deleted';
    } catch (error) {
      if (statusOf(error) === 404) return 'gone';
      throw wrap(this.cluster, `deleting pod ${namespace}/${name}`, error);
    }
  }

  async evictPod(namespace: string, name: string): Promise<EvictionResult> {
    try {
      const { core } = await this.clients();
      await core.createNamespacedPodEviction(
        {
          name,
          namespace,
          body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
        },
        this.options,
      );
      return 'evicted';
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return 'gone';
      if (status === 429) return 'blocked';
      throw wrap(this.cluster, `evicting pod ${namespace}/${name}`, error);
    }
  }

  async setUnschedulable(node: string, unschedulable: boolean): Promise<void> {
    try {
      const { core } = await this.clients();
      await core.patchNode(
        { name: node, body: { spec: { unschedulable: unschedulable ? true : null } } },
        this.merge(),
      );
    } catch (error) {
      throw wrap(this.cluster, `${unschedulable ? 'cordoning' : 'uncordoning'} node ${node}`, error);
    }
  }

  async mergePatch(ref: ResourceRef, patch: Record<string, unknown>): Promise<KubeObject> {
    if (ref.group === '') throw new KubeError(`patching core ${ref.plural} is not supported`, undefined);
    try {
      const { custom } = await this.clients();
      const result = ref.namespace
        ? await custom.patchNamespacedCustomObject(
            {
              group: ref.group,
              version: ref.version,
              namespace: ref.namespace,
              plural: ref.plural,
              name: ref.name,
              body: patch,
            },
            this.merge(),
          )
        : await custom.patchClusterCustomObject(
            { group: ref.group, version: ref.version, plural: ref.plural, name: ref.name, body: patch },
            this.merge(),
          );
      return result as KubeObject;
    } catch (error) {
      throw wrap(this.cluster, `patching ${ref.plural} ${ref.namespace ?? ''}/${ref.name}`, error);
    }
  }

  async scale(ref: ResourceRef, replicas: number): Promise<void> {
    if (!ref.namespace)
      throw new KubeError(`scaling needs a namespace (${ref.plural}/${ref.name})`, undefined);
    try {
      const { custom } = await this.clients();
      await custom.patchNamespacedCustomObjectScale(
        {
          group: ref.group,
          version: ref.version,
          namespace: ref.namespace,
          plural: ref.plural,
          name: ref.name,
          body: { spec: { replicas } },
        },
        this.merge(),
      );
    } catch (error) {
      throw wrap(this.cluster, `scaling ${ref.plural} ${ref.namespace}/${ref.name} to ${replicas}`, error);
    }
  }

  async create(ref: CollectionRef, object: KubeObject): Promise<'created' | 'exists'> {
    // The one core kind a drill creates: the volsync-restore drill's scratch PVC.
    const corePvc = ref.group === '' && ref.plural === 'persistentvolumeclaims' && ref.namespace;
    if (ref.group === '' && !corePvc)
      throw new KubeError(`creating core ${ref.plural} is not supported`, undefined);
    try {
      const { core, custom } = await this.clients();
      if (corePvc)
        await core.createNamespacedPersistentVolumeClaim(
          { namespace: ref.namespace as string, body: object as V1PersistentVolumeClaim },
          this.options,
        );
      else if (ref.namespace)
        await custom.createNamespacedCustomObject(
          {
            group: ref.group,
            version: ref.version,
            namespace: ref.namespace,
            plural: ref.plural,
            body: object,
          },
          this.options,
        );
      else
        await custom.createClusterCustomObject(
          { group: ref.group, version: ref.version, plural: ref.plural, body: object },
          this.options,
        );
      return 'created';
    } catch (error) {
      if (statusOf(error) === 409) return 'exists';
      throw wrap(this.cluster, `creating ${ref.plural} ${object.metadata?.name ?? ''}`, error);
    }
  }

  async remove(ref: ResourceRef): Promise<'deleted' | 'gone'> {
    try {
      const { core, custom } = await this.clients();
      if (ref.group === '') {
        if (ref.plural === 'persistentvolumeclaims' && ref.namespace)
          await core.deleteNamespacedPersistentVolumeClaim(
            { name: ref.name, namespace: ref.namespace },
            this.options,
          );
        else if (ref.plural === 'namespaces') await core.deleteNamespace({ name: ref.name }, this.options);
        else throw new KubeError(`deleting core ${ref.plural} is not supported`, undefined);
      } else if (ref.namespace)
        await custom.deleteNamespacedCustomObject(
          {
            group: ref.group,
            version: ref.version,
            namespace: ref.namespace,
            plural: ref.plural,
            name: ref.name,
          },
          this.options,
        );
      else
        await custom.deleteClusterCustomObject(
          { group: ref.group, version: ref.version, plural: ref.plural, name: ref.name },
          this.options,
        );
      return 'deleted';
    } catch (error) {
      if (error instanceof KubeError) throw error;
      if (statusOf(error) === 404) return 'gone';
      throw wrap(this.cluster, `deleting ${ref.plural} ${ref.namespace ?? ''}/${ref.name}`, error);
    }
  }
}

/** One cluster: reads as the bot, writes as the operator on behalf of a chat user. */
export function createClusterOps(
  cluster: string,
  kc: KubeConfig,
  identity: OperatorIdentity = DEFAULT_OPERATOR,
  metrics?: ClusterMetrics,
): ClusterOps {
  const clients = lazyClients(kc);
  const http = new KubeHttp(cluster, kc, { userAgent: 'coxswain', timeoutMs: OPERATOR_CALL_TIMEOUT_MS });
  const reader = new Reader(cluster, clients, http);
  return { cluster, reader, writer: (actor) => new Writer(cluster, clients, identity, actor), metrics };
}

export function createClusterDirectory(
  clusters: Record<string, KubeConfig>,
  identity: OperatorIdentity = DEFAULT_OPERATOR,
  metrics: Record<string, ClusterMetrics | undefined> = {},
): ClusterDirectory {
  const ops = new Map(
    Object.entries(clusters).map(([name, kc]) => [name, createClusterOps(name, kc, identity, metrics[name])]),
  );
  return { names: () => [...ops.keys()], get: (name) => ops.get(name) };
}

/** The clusters of `clusters:` with the operator identity of `operations.operator:`. */
export function createOperatorClusters(config: Config): ClusterDirectory {
  const configs: Record<string, KubeConfig> = {};
  // Drill and phase steps are single API calls (an eviction, a patch, a read): 30 s is far more
  // than any takes on a healthy server, and bounds a hung one.
  const metrics: Record<string, ClusterMetrics | undefined> = {};
  for (const cluster of config.clusters) {
    configs[cluster.name] = withCallTimeout(loadKubeConfig(cluster), OPERATOR_CALL_TIMEOUT_MS);
    metrics[cluster.name] = clusterMetrics(cluster.metrics);
  }
  return createClusterDirectory(configs, config.operations.operator, metrics);
}
