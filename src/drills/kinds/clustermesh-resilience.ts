/**
 * clustermesh-resilience (the plan's week-10 "Test 3: ClusterMesh resilience", as issue 21 states
 * it): scale one cluster's Cilium clustermesh-apiserver Deployment to zero (through the scale
 * subresource), watch it lose its Service endpoints and, where the other clusters have a metrics
 * endpoint, their agents report this cluster not ready
 * (`cilium_clustermesh_remote_cluster_readiness_status{target_cluster="<cluster>"}` 0); then scale
 * it back and measure until its Service has ready endpoints again and those agents report it
 * ready. Rollback restores the recorded replicas.
 *
 * Cilium's own name for a cluster (its `cluster-name`) is taken to be coxswain's name for it: the
 * agents label the metric with it. Recovery is measured from the scale-up, as in mesh-gateway: how
 * long the apiserver stays at zero is the drill's choice; the objective bounds how fast the remote
 * endpoints return.
 */
import { formatDuration } from '../../duration.js';
import { type ClusterMeshRemotes, isReady, remoteReadiness } from '../../health/clustermesh-remotes.js';
import type { ClusterOps } from '../../kube/cluster-ops.js';
import { escapeChat } from '../../text/escape.js';
import type { DrillKindHandler, DrillParams, StepContext } from '../kind.js';
import {
  deploymentNow,
  deploymentRef,
  missingDeployment,
  replicasProblem,
  type ScaleRecord,
  scaleBack,
  scaleToZero,
} from './scaled-deployment.js';

/** What the drill scales, as the plan and the errors name it. */
const APISERVER = 'clustermesh-apiserver';

/** How long the drill waits for the other clusters' agents to report the loss (chosen: etcd keepalives and Cilium's reconnect take well under this). */
export const NOTICE_MS = 120_000;

interface ClusterMeshState extends ScaleRecord {
  stage?: 'scale-down' | 'observe-down' | 'restore' | 'recover' | 'done';
  /** The other clusters whose agents' view is read from their metrics endpoints. */
  watchers?: string[];
  apiserverDownNoted?: boolean;
  /** Watchers whose metrics did not answer, noted once each. */
  unreadNoted?: string[];
}

/** The clustermesh-apiserver as it is now; a Service without an Endpoints object has no ready endpoints. */
async function apiserverNow(ops: ClusterOps, params: DrillParams) {
  const now = await deploymentNow({ ops, params }, APISERVER);
  return { ...now, endpoints: now.endpoints ?? 0 };
}

/** What one other cluster's agents say about `cluster`. */
export type PeerView =
  | { peer: string; state: 'ready' | 'not-ready'; ready: number; agents: number }
  /** The peer's agents report no series for `cluster`: it is not (or no longer) a remote they know. */
  | { peer: string; state: 'absent' }
  | { peer: string; state: 'unknown'; error: string };

/** A peer's metrics answer, read for the remote `cluster`. */
export function peerView(peer: string, remotes: ClusterMeshRemotes, cluster: string): PeerView {
  if (remotes.state === 'not-configured') return { peer, state: 'unknown', error: 'no metrics endpoint' };
  if (remotes.state === 'unreachable') return { peer, state: 'unknown', error: remotes.error };
  const remote = remotes.remotes.find((r) => r.cluster === cluster);
  if (!remote) return { peer, state: 'absent' };
  return { peer, state: isReady(remote) ? 'ready' : 'not-ready', ready: remote.ready, agents: remote.agents };
}

async function viewOf(peers: readonly ClusterOps[], watchers: readonly string[], cluster: string) {
  const views: PeerView[] = [];
  for (const name of watchers) {
    const peer = peers.find((p) => p.cluster === name);
    views.push(peerView(name, await remoteReadiness(peer?.metrics), cluster));
  }
  return views;
}

function describeView(v: PeerView): string {
  if (v.state === 'absent') return `${v.peer} (no agent reports it)`;
  if (v.state === 'unknown') return `${v.peer} (metrics unknown: ${escapeChat(v.error)})`;
  return `${v.peer} (${v.ready}/${v.agents} agents ready)`;
}

/** The other clusters that have a metrics endpoint: only their agents' view can be read. */
function watchersOf(peers: readonly ClusterOps[]): string[] {
  return peers.filter((p) => p.metrics !== undefined).map((p) => p.cluster);
}

const metric = (cluster: string) =>
  `cilium_clustermesh_remote_cluster_readiness_status{target_cluster="${cluster}"}`;

async function restore(ctx: StepContext, state: ClusterMeshState): Promise<void> {
  await scaleBack(ctx, state);
  ctx.note(
    `Scaled clustermesh-apiserver \`${ctx.params.namespace}/${ctx.params.workload}\` back to ${state.replicas} replicas as coxswain-operator.`,
  );
}

export const clustermeshResilience: DrillKindHandler = {
  required: ['namespace', 'workload'],

  async inspect(params, ops, definition, peers) {
    const ref = deploymentRef(params);
    const target = `${ref.namespace}/${ref.name}`;
    if (!(await ops.reader.get(ref))) return { lines: [], problems: [missingDeployment(APISERVER, params)] };
    const now = await apiserverNow(ops, params);
    const problems: string[] = [];
    const replicas = replicasProblem(now, APISERVER, target);
    if (replicas) problems.push(replicas);
    else if (now.endpoints === 0)
      problems.push(
        `The Service ${target} has no ready endpoints: the other clusters cannot reach it already.`,
      );
    const watchers = watchersOf(peers);
    const views = await viewOf(peers, watchers, params.cluster);
    const down = views.filter((v) => v.state === 'not-ready');
    if (down.length)
      problems.push(
        `Other clusters' agents already report ${params.cluster} not ready: ${down.map(describeView).join(', ')}.`,
      );
    // Metrics that do not answer now would leave the return unconfirmed until the time limit.
    // Problems are escaped where they are shown: the error goes in as it is.
    const unread = views.flatMap((v) => (v.state === 'unknown' ? [`${v.peer} (${v.error})`] : []));
    if (unread.length)
      problems.push(
        `The metrics of ${unread.join(', ')} cannot be read: the drill could not see the agents.`,
      );
    // Their agents must know this cluster as a remote, or neither the loss nor the return can be seen.
    const unknown = views.filter((v) => v.state === 'absent');
    if (unknown.length)
      problems.push(
        `The agents of ${unknown.map((v) => v.peer).join(', ')} report no ${metric(params.cluster)} series: the mesh is not connected, or Cilium's cluster-name is not ${params.cluster}.`,
      );
    const watched = watchers.length
      ? `watch the apiserver lose its Service endpoints and the agents of ${watchers.join(', ')} report ${params.cluster} not ready (${metric(params.cluster)} from their metrics endpoints), for up to ${formatDuration(NOTICE_MS)}`
      : `no other cluster has a metrics endpoint (clusters[].metrics): only the apiserver and its Service endpoints are watched; whether the agents lose ${params.cluster} is not known`;
    return {
      lines: [
        `scale the clustermesh-apiserver Deployment ${target} on ${params.cluster} from ${now.desired} to 0 replicas (scale subresource)`,
        watched,
        `scale it back to ${now.desired} and measure until its Service has ready endpoints again${watchers.length ? ` and ${watchers.join(', ')} report ${params.cluster} ready` : ''}; objective ${formatDuration(definition.objective)}`,
      ],
      problems,
    };
  },

  async step(ctx) {
    const state = ctx.state as ClusterMeshState;
    const target = `${ctx.params.namespace}/${ctx.params.workload}`;
    const cluster = ctx.params.cluster;
    if (state.stage === undefined) {
      const now = await apiserverNow(ctx.ops, ctx.params);
      if (now.desired === 0)
        throw new Error(`the clustermesh-apiserver ${target} is already at zero replicas`);
      state.replicas = now.desired;
      state.watchers = watchersOf(ctx.peers);
      state.stage = 'scale-down';
      ctx.note(
        `clustermesh-apiserver \`${target}\` runs ${now.desired} replicas (${now.ready} Ready) behind ${now.endpoints} ready endpoints; ${
          state.watchers.length
            ? `the agents of ${state.watchers.join(', ')} are read from their metrics endpoints.`
            : 'no other cluster has a metrics endpoint: the remote status is not known.'
        }`,
      );
      return;
    }
    if (state.stage === 'scale-down') {
      await scaleToZero(ctx, state);
      state.stage = 'observe-down';
      ctx.note(
        `Scaled clustermesh-apiserver \`${target}\` to 0 replicas as coxswain-operator; watching the loss.`,
      );
      return;
    }
    if (state.stage === 'observe-down') {
      const now = await apiserverNow(ctx.ops, ctx.params);
      if (now.ready > 0 || now.endpoints > 0) return;
      const waited = ctx.now() - (state.scaledDownAt ?? ctx.now());
      const since = formatDuration(waited);
      if (!state.apiserverDownNoted) {
        state.apiserverDownNoted = true;
        ctx.note(
          `The clustermesh-apiserver has no Ready replicas and its Service no ready endpoints (after ${since}).`,
        );
      }
      const watchers = state.watchers ?? [];
      if (watchers.length === 0) {
        ctx.finding(
          `The clustermesh-apiserver's Service lost its endpoints after ${since}. No other cluster has a metrics endpoint: whether their agents noticed is not known.`,
        );
        state.stage = 'restore';
        return;
      }
      const views = await viewOf(ctx.peers, watchers, cluster);
      for (const v of views)
        if (v.state === 'unknown' && !(state.unreadNoted ?? []).includes(v.peer)) {
          state.unreadNoted = [...(state.unreadNoted ?? []), v.peer];
          ctx.note(`The metrics of ${v.peer} could not be read: ${escapeChat(v.error)}`);
        }
      const lost = views.filter((v) => v.state === 'not-ready');
      if (lost.length === views.length) {
        ctx.finding(
          `The agents of ${views.length === 1 ? 'the other cluster' : `all ${views.length} other clusters`} report ${cluster} not ready after ${since}: ${lost.map(describeView).join(', ')}.`,
        );
        state.stage = 'restore';
        return;
      }
      if (waited >= NOTICE_MS) {
        const still = views.filter((v) => !lost.includes(v));
        ctx.finding(
          `After ${since}, not every other cluster reported ${cluster} not ready: ${still.map(describeView).join(', ')}. Check their agents' ClusterMesh connection and metrics.`,
        );
        state.stage = 'restore';
      }
      return;
    }
    if (state.stage === 'restore') {
      await restore(ctx, state);
      ctx.disrupted();
      state.stage = 'recover';
      return;
    }
    if (state.stage === 'recover') {
      const now = await apiserverNow(ctx.ops, ctx.params);
      if (now.ready < (state.replicas ?? 1) || now.endpoints === 0) return;
      const views = await viewOf(ctx.peers, state.watchers ?? [], cluster);
      // Recovered only when every watching cluster's agents say so; unknown metrics are not a yes.
      if (views.some((v) => v.state !== 'ready')) return;
      ctx.recovered();
      state.stage = 'done';
      ctx.finding(
        `The clustermesh-apiserver has ${now.ready}/${state.replicas} replicas Ready and ${now.endpoints} ready endpoints${
          views.length ? `; ${views.map(describeView).join(', ')} report ${cluster} ready again` : ''
        }.`,
      );
    }
  },

  async rollback(ctx) {
    const state = ctx.state as ClusterMeshState;
    if (state.scaledDown && !state.restored) await restore(ctx, state);
    else ctx.note('Nothing to undo: the clustermesh-apiserver was not scaled down, or is already back.');
    return true;
  },
};
