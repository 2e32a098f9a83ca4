/**
 * mesh-gateway: scale the Linkerd multicluster gateway Deployment to zero (through the scale
 * subresource) on the cluster that exports services, watch the gateway lose its endpoints and the
 * other clusters' mirrored services report the path down (Linkerd's service mirror moves a mirror
 * Endpoints' addresses to notReadyAddresses when its gateway probe fails), then scale the gateway
 * back and measure until it is Ready and the mirrors are ready again. Rollback restores the
 * recorded replicas.
 *
 * Recovery is measured from the scale-up, not the scale-down: the time the gateway spends at zero
 * is the drill's own choice; what the objective bounds is how fast the path comes back.
 */
import { formatDuration, parseDuration } from '../../duration.js';
import { num } from '../../health/objects.js';
import {
  type ClusterOps,
  type ClusterReader,
  fieldAt,
  KubeError,
  type KubeObject,
} from '../../kube/cluster-ops.js';
import type { DrillKindHandler, StepContext } from '../kind.js';
import {
  deploymentNow,
  deploymentRef,
  endpointAddresses,
  missingDeployment,
  replicasProblem,
  type ScaleRecord,
  scaleBack,
  scaleToZero,
} from './scaled-deployment.js';

/** How long the drill waits for the peers to notice when no Link says how often it probes. */
const DEFAULT_NOTICE_MS = 60_000;
/** Added to the Link's probe period × failure threshold before the drill stops waiting. */
const NOTICE_GRACE_MS = 30_000;
const LINK_VERSIONS = ['v1alpha3', 'v1alpha2', 'v1alpha1'] as const;

/** A mirrored service on a peer cluster, by where its Endpoints live. */
export interface MirrorRef {
  cluster: string;
  namespace: string;
  name: string;
}

interface MeshState extends ScaleRecord {
  stage?: 'scale-down' | 'observe-down' | 'restore' | 'recover' | 'done';
  mirrors?: MirrorRef[];
  /** How long to wait for the peers to report the path down. */
  noticeMs?: number;
  gatewayDownNoted?: boolean;
}

/** The mirror selector for services exported by `cluster` (remote-discovery mirrors have no endpoints by design). */
export function mirrorSelector(cluster: string): string {
  return `mirror.linkerd.io/mirrored-service=true,mirror.linkerd.io/cluster-name=${cluster},!mirror.linkerd.io/remote-discovery`;
}

/** Go duration text as Linkerd writes probe periods ("3s", "1m0s"); undefined when unreadable. */
export function goDurationMs(text: unknown): number | undefined {
  return typeof text === 'string' ? parseDuration(text) : undefined;
}

/**
 * How long to wait for a peer's service mirror to notice: its probe period × failure threshold
 * plus a grace, the longest over the Links that target the cluster.
 */
export function noticeWindowMs(links: readonly KubeObject[]): number {
  let longest: number | undefined;
  for (const link of links) {
    const period = goDurationMs(fieldAt(link, 'spec.probeSpec.period'));
    const threshold = Number(fieldAt(link, 'spec.probeSpec.failureThreshold') ?? 3);
    if (period === undefined || !Number.isFinite(threshold)) continue;
    const window = period * Math.max(1, threshold) + NOTICE_GRACE_MS;
    longest = Math.max(longest ?? 0, window);
  }
  return longest ?? DEFAULT_NOTICE_MS;
}

async function linksTo(reader: ClusterReader, cluster: string): Promise<KubeObject[]> {
  for (const version of LINK_VERSIONS) {
    try {
      const links = await reader.list({ group: 'multicluster.linkerd.io', version, plural: 'links' });
      return links.filter((l) => fieldAt(l, 'spec.targetClusterName') === cluster);
    } catch (error) {
      // An older Linkerd serves only older versions; no Linkerd multicluster at all: no Links.
      if (error instanceof KubeError && error.status === 404) continue;
      throw error;
    }
  }
  return [];
}

interface PeerView {
  links: KubeObject[];
  mirrors: { ref: MirrorRef; ready: number; notReady: number }[];
}

async function viewPeers(peers: readonly ClusterOps[], cluster: string): Promise<PeerView> {
  const view: PeerView = { links: [], mirrors: [] };
  for (const peer of peers) {
    view.links.push(...(await linksTo(peer.reader, cluster)));
    const endpoints = await peer.reader.list(
      { group: '', version: 'v1', plural: 'endpoints' },
      mirrorSelector(cluster),
    );
    for (const e of endpoints) {
      view.mirrors.push({
        ref: {
          cluster: peer.cluster,
          namespace: e.metadata?.namespace ?? '',
          name: e.metadata?.name ?? '',
        },
        ...endpointAddresses(e),
      });
    }
  }
  return view;
}

/** The recorded mirrors as they are now (a mirror that disappeared counts as not ready). */
async function mirrorsNow(
  ctx: StepContext,
  mirrors: readonly MirrorRef[],
): Promise<{ ref: MirrorRef; ready: number }[]> {
  const out: { ref: MirrorRef; ready: number }[] = [];
  for (const ref of mirrors) {
    const peer = ctx.peers.find((p) => p.cluster === ref.cluster);
    const endpoints = await peer?.reader.get({
      group: '',
      version: 'v1',
      plural: 'endpoints',
      namespace: ref.namespace,
      name: ref.name,
    });
    out.push({ ref, ready: endpointAddresses(endpoints).ready });
  }
  return out;
}

function mirrorName(ref: MirrorRef): string {
  return `${ref.cluster}:${ref.namespace}/${ref.name}`;
}

/** The gateway as it is now; `endpoints` is undefined when its Service has no Endpoints object. */
function gatewayNow(ctx: StepContext) {
  return deploymentNow(ctx, 'gateway');
}

async function restore(ctx: StepContext, state: MeshState): Promise<void> {
  await scaleBack(ctx, state);
  ctx.note(
    `Scaled gateway \`${ctx.params.namespace}/${ctx.params.workload}\` back to ${state.replicas} replicas as coxswain-operator.`,
  );
}

export const meshGateway: DrillKindHandler = {
  required: ['namespace', 'workload'],

  async inspect(params, ops, definition, peers) {
    const ref = deploymentRef(params);
    const target = `${ref.namespace}/${ref.name}`;
    const deployment = await ops.reader.get(ref);
    if (!deployment) return { lines: [], problems: [missingDeployment('gateway', params)] };
    const replicas = num(fieldAt(deployment, 'spec.replicas'));
    const ready = num(fieldAt(deployment, 'status.readyReplicas'));
    const problems: string[] = [];
    const replicasWrong = replicasProblem({ desired: replicas, ready }, 'gateway', target);
    if (replicasWrong) problems.push(replicasWrong);
    const view = await viewPeers(peers, params.cluster);
    const down = view.mirrors.filter((m) => m.ready === 0);
    if (down.length)
      problems.push(
        `Mirrored services of ${params.cluster} already report the path down: ${down.map((m) => mirrorName(m.ref)).join(', ')}.`,
      );
    const watched = view.mirrors.length
      ? `watch the ${view.mirrors.length} mirrored services of ${params.cluster} on the other clusters (${view.mirrors.map((m) => mirrorName(m.ref)).join(', ')}) report the path down, for up to ${formatDuration(noticeWindowMs(view.links))}`
      : `no other cluster mirrors services of ${params.cluster} (no Endpoints labelled mirror.linkerd.io/cluster-name=${params.cluster}): only the gateway itself is watched`;
    return {
      lines: [
        `scale the gateway Deployment ${target} on ${params.cluster} from ${replicas} to 0 replicas (scale subresource)`,
        watched,
        `scale it back to ${replicas} and measure until it is Ready and the mirrors are ready again; objective ${formatDuration(definition.objective)}`,
      ],
      problems,
    };
  },

  async step(ctx) {
    const state = ctx.state as MeshState;
    const target = `${ctx.params.namespace}/${ctx.params.workload}`;
    if (state.stage === undefined) {
      const gateway = await gatewayNow(ctx);
      if (gateway.desired === 0) throw new Error(`the gateway ${target} is already at zero replicas`);
      const view = await viewPeers(ctx.peers, ctx.params.cluster);
      state.replicas = gateway.desired;
      state.mirrors = view.mirrors.map((m) => m.ref);
      state.noticeMs = noticeWindowMs(view.links);
      state.stage = 'scale-down';
      ctx.note(
        `Gateway \`${target}\` runs ${gateway.desired} replicas (${gateway.ready} Ready); ${view.links.length} Links and ${view.mirrors.length} mirrored services on other clusters point at it.`,
      );
      return;
    }
    if (state.stage === 'scale-down') {
      await scaleToZero(ctx, state);
      state.stage = 'observe-down';
      ctx.note(`Scaled gateway \`${target}\` to 0 replicas as coxswain-operator; watching the path go down.`);
      return;
    }
    if (state.stage === 'observe-down') {
      const gateway = await gatewayNow(ctx);
      const gatewayDown = gateway.ready === 0 && (gateway.endpoints ?? 0) === 0;
      if (!gatewayDown) return;
      const since = formatDuration(ctx.now() - (state.scaledDownAt ?? ctx.now()));
      if (!state.gatewayDownNoted) {
        state.gatewayDownNoted = true;
        ctx.note(`The gateway has no Ready replicas and its Service no ready endpoints (after ${since}).`);
      }
      const mirrors = await mirrorsNow(ctx, state.mirrors ?? []);
      const stillUp = mirrors.filter((m) => m.ready > 0);
      if (mirrors.length && stillUp.length === 0) {
        ctx.finding(
          `All ${mirrors.length} mirrored services report the path down (no ready addresses) after ${since}: ${mirrors.map((m) => mirrorName(m.ref)).join(', ')}.`,
        );
        state.stage = 'restore';
        return;
      }
      const waited = ctx.now() - (state.scaledDownAt ?? ctx.now());
      if (mirrors.length === 0 || waited >= (state.noticeMs ?? DEFAULT_NOTICE_MS)) {
        if (mirrors.length === 0)
          ctx.finding('No other cluster mirrors services of this one: only the gateway itself was watched.');
        else
          ctx.finding(
            `After ${since}, ${stillUp.length} of ${mirrors.length} mirrored services still report ready addresses: ${stillUp.map((m) => mirrorName(m.ref)).join(', ')}. Their service mirror did not notice the gateway was down; check its probe.`,
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
      const gateway = await gatewayNow(ctx);
      if (gateway.ready < (state.replicas ?? 1) || (gateway.endpoints ?? 1) === 0) return;
      const mirrors = await mirrorsNow(ctx, state.mirrors ?? []);
      if (mirrors.some((m) => m.ready === 0)) return;
      ctx.recovered();
      state.stage = 'done';
      ctx.finding(
        `The gateway has ${gateway.ready}/${state.replicas} replicas Ready${mirrors.length ? ` and all ${mirrors.length} mirrored services have ready addresses again` : ''}.`,
      );
    }
  },

  async rollback(ctx) {
    const state = ctx.state as MeshState;
    if (state.scaledDown && !state.restored) await restore(ctx, state);
    else ctx.note('Nothing to undo: the gateway was not scaled down, or is already back.');
    return true;
  },
};
