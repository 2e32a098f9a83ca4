/**
 * Cross-cluster health as far as the Kubernetes API shows it: each Linkerd multicluster Link
 * (service mirror running, gateway probe endpoints, the remote gateway's readiness when that
 * cluster is configured too, mirrored services with endpoints) and Cilium ClusterMesh: its API
 * server, the agents, and the remote clusters as the agents report them (from the cluster's
 * metrics endpoint; not known without one).
 */
import type { ClusterMeshRemotes } from './clustermesh-remotes.js';
import { KINDS } from './kinds.js';
import { conditions, errorText, num, objectsOf, ref } from './objects.js';
import type { ClusterReader, KindState, KubeObject } from './types.js';

export interface MirroredService {
  name: string;
  endpoints: number;
  /** Remote-discovery mirrors have no local endpoints by design. */
  remoteDiscovery: boolean;
}

export interface MeshPath {
  from: string;
  to: string;
  link: string;
  up: boolean;
  /** Why it is down (or degraded); empty when up. */
  problems: string[];
  gatewayAddress?: string;
  mirrored: MirroredService[];
}

export interface ClusterMeshState {
  cluster: string;
  reachable: boolean;
  error?: string;
  /** Cilium ClusterMesh API server: absent when not installed. */
  clustermesh: { status: 'ok' | 'fail' | 'absent'; reason: string };
  /** The Cilium agents (DaemonSet kube-system/cilium), when there is one. */
  agents?: { ready: number; desired: number };
  /** The remote clusters as this cluster's agents report them. */
  remotes: ClusterMeshRemotes;
}

export interface MeshReport {
  clusters: ClusterMeshState[];
  paths: MeshPath[];
}

const MESH_KINDS = [KINDS.links, KINDS.services, KINDS.endpoints, KINDS.deployments, KINDS.daemonsets];

function readyOf(d: KubeObject | undefined): [number, number] {
  if (!d) return [0, 0];
  return [num(d.status?.readyReplicas), d.spec?.replicas === undefined ? 1 : num(d.spec.replicas)];
}

function clustermesh(kinds: Map<string, KindState>): ClusterMeshState['clustermesh'] {
  const d = objectsOf(kinds, 'deployments').find(
    (o) => o.metadata.namespace === 'kube-system' && o.metadata.name === 'clustermesh-apiserver',
  );
  if (!d) return { status: 'absent', reason: 'clustermesh-apiserver not installed' };
  const [ready, wanted] = readyOf(d);
  const ep = objectsOf(kinds, 'endpoints').find(
    (o) => o.metadata.namespace === 'kube-system' && o.metadata.name === 'clustermesh-apiserver',
  );
  const addresses = num(ep?.status?.addresses);
  if (ready === 0) return { status: 'fail', reason: `clustermesh-apiserver ${ready}/${wanted} ready` };
  if (addresses === 0) return { status: 'fail', reason: 'clustermesh-apiserver Service has no endpoints' };
  return { status: 'ok', reason: `clustermesh-apiserver ${ready}/${wanted} ready, ${addresses} endpoint(s)` };
}

function agentsOf(kinds: Map<string, KindState>): ClusterMeshState['agents'] {
  const agents = objectsOf(kinds, 'daemonsets').find(
    (o) => o.metadata.namespace === 'kube-system' && o.metadata.name === 'cilium',
  );
  return agents
    ? { ready: num(agents.status?.numberReady), desired: num(agents.status?.desiredNumberScheduled) }
    : undefined;
}

const NOT_CONFIGURED: ClusterMeshRemotes = { state: 'not-configured' };

export async function meshReport(
  readers: readonly ClusterReader[],
  timeoutMs: number,
  remotesOf: (cluster: string) => Promise<ClusterMeshRemotes> = async () => NOT_CONFIGURED,
): Promise<MeshReport> {
  const states = await Promise.all(
    readers.map(async (reader) => {
      const remotes = remotesOf(reader.cluster);
      try {
        return {
          cluster: reader.cluster,
          kinds: await reader.read(MESH_KINDS, { timeoutMs }),
          remotes: await remotes,
        };
      } catch (error) {
        return { cluster: reader.cluster, error: errorText(error), remotes: await remotes };
      }
    }),
  );
  const clusters: ClusterMeshState[] = states.map((s) => {
    if (!s.kinds)
      return {
        cluster: s.cluster,
        reachable: false,
        error: s.error ?? 'unknown error',
        clustermesh: { status: 'absent', reason: 'cluster unreachable' },
        remotes: s.remotes,
      };
    const state: ClusterMeshState = {
      cluster: s.cluster,
      reachable: true,
      clustermesh: clustermesh(s.kinds),
      remotes: s.remotes,
    };
    const agents = agentsOf(s.kinds);
    if (agents) state.agents = agents;
    return state;
  });
  const paths: MeshPath[] = [];
  for (const state of states) {
    if (!state.kinds) continue;
    const kinds = state.kinds;
    const deployments = objectsOf(kinds, 'deployments');
    const endpoints = objectsOf(kinds, 'endpoints');
    // What the bot may not read cannot be judged: say so instead of calling the path down for it.
    const forbidden = [...kinds.values()].flatMap((k) => (!k.served && k.forbidden ? [k.forbidden] : []));
    for (const link of objectsOf(kinds, 'links')) {
      const target = String(link.spec?.targetClusterName ?? link.metadata.name);
      const problems: string[] = forbidden.map(
        (what) =>
          `cannot check: the bot may not list ${what} on ${state.cluster} (grant get, list and watch)`,
      );
      const [mirrorReady] = readyOf(
        deployments.find((d) => d.metadata.name === `linkerd-service-mirror-${target}`),
      );
      if (mirrorReady === 0)
        problems.push(`service mirror linkerd-service-mirror-${target} is not running on ${state.cluster}`);
      const probe = endpoints.find(
        (e) =>
          e.metadata.namespace === link.metadata.namespace && e.metadata.name === `probe-gateway-${target}`,
      );
      if (num(probe?.status?.addresses) === 0)
        problems.push(`no gateway probe endpoints (probe-gateway-${target})`);
      for (const c of conditions(link))
        if (c.status === 'False')
          problems.push(`Link condition ${c.type}=False${c.reason ? ` (${c.reason})` : ''}`);
      // The exporting side, when coxswain can see it too.
      const remote = states.find((s) => s.cluster === target);
      if (remote && !remote.kinds)
        problems.push(`cannot check the gateway: ${target} is unreachable (${remote.error})`);
      else if (remote?.kinds) {
        const gateway = objectsOf(remote.kinds, 'deployments').find(
          (d) => d.metadata.name === 'linkerd-gateway',
        );
        const [ready, wanted] = readyOf(gateway);
        if (!gateway) problems.push(`no linkerd-gateway Deployment on ${target}`);
        else if (ready === 0)
          problems.push(`gateway ${ref(gateway)} on ${target} has ${ready}/${wanted} ready replicas`);
      }
      const services = objectsOf(kinds, 'services').filter(
        (s) =>
          s.metadata.labels?.['mirror.linkerd.io/mirrored-service'] === 'true' &&
          s.metadata.labels?.['mirror.linkerd.io/cluster-name'] === target,
      );
      const mirrored: MirroredService[] = services.map((s) => {
        const ep = endpoints.find(
          (e) => e.metadata.namespace === s.metadata.namespace && e.metadata.name === s.metadata.name,
        );
        return {
          name: ref(s),
          endpoints: num(ep?.status?.addresses),
          remoteDiscovery: s.metadata.labels?.['mirror.linkerd.io/remote-discovery'] !== undefined,
        };
      });
      for (const m of mirrored)
        if (!m.remoteDiscovery && m.endpoints === 0)
          problems.push(`mirrored service ${m.name} has no endpoints`);
      const path: MeshPath = {
        from: state.cluster,
        to: target,
        link: ref(link),
        up: problems.length === 0,
        problems,
        mirrored,
      };
      if (typeof link.spec?.gatewayAddress === 'string')
        path.gatewayAddress = `${link.spec.gatewayAddress}:${String(link.spec.gatewayPort ?? '')}`;
      paths.push(path);
    }
  }
  return { clusters, paths };
}
