/**
 * app-failover: an application that runs on two clusters and is consumed through Linkerd's
 * failover routing (a TrafficSplit that linkerd-failover rewrites, see traffic-split.ts). The
 * drill scales the primary side's Deployment to zero through the scale subresource, measures until
 * every TrafficSplit whose primary Service selects that Deployment sends its traffic elsewhere, to
 * a backend with ready addresses (for a mirror: and its original Service on the other cluster has
 * ready addresses too), then scales the Deployment back and waits until the splits route to the
 * primary again. Rollback restores the recorded replicas.
 *
 * The recovery measured is the failover: from the scale-down until the consumers' routing points
 * at a healthy backend. The way back is reported as a finding and must happen within the time
 * limit too, or the drill fails.
 */
import { formatDuration } from '../../duration.js';
import { num } from '../../health/objects.js';
import { type ClusterOps, fieldAt, type KubeObject } from '../../kube/cluster-ops.js';
import { inlineCode } from '../../text/escape.js';
import type { DrillKindHandler, StepContext } from '../kind.js';
import { deploymentRef, type ScaleRecord, scaleBack, scaleToZero } from './scaled-deployment.js';
import {
  type FailoverSplit,
  failoverSplits,
  type MirrorOrigin,
  mirrorOrigin,
  PRIMARY_ANNOTATION,
  readSplit,
  readyAddresses,
  type SplitVersion,
  selects,
} from './traffic-split.js';

interface SplitRef {
  namespace: string;
  name: string;
  version: SplitVersion;
  primary: string;
}

interface AppFailoverState extends ScaleRecord {
  stage?: 'scale-down' | 'fail-over' | 'restore' | 'fail-back' | 'done';
  splits?: SplitRef[];
  primaryDownNoted?: boolean;
  restoredAt?: number;
}

/** One backend of a split as it is now. */
interface BackendView {
  service: string;
  weight: number;
  ready: number;
  /** Set for a gateway mirror: the Service on the other cluster it stands for. */
  origin?: MirrorOrigin;
  /** Ready addresses of that original Service; undefined when its cluster is not configured. */
  originReady?: number;
}

interface SplitView {
  ref: SplitRef;
  /** False when the split is gone or lost its primary annotation. */
  found: boolean;
  primaryWeight: number;
  primaryReady: number;
  fallbacks: BackendView[];
}

function splitName(ref: Pick<SplitRef, 'namespace' | 'name'>): string {
  return inlineCode(`${ref.namespace}/${ref.name}`);
}

/** A fallback that can take the traffic: ready addresses here and, for a mirror, on its own cluster. */
function healthy(backend: BackendView): boolean {
  return backend.ready > 0 && (backend.originReady === undefined || backend.originReady > 0);
}

function describeBackend(b: BackendView): string {
  const here = `${inlineCode(b.service)} (${b.ready} ready addresses`;
  if (!b.origin) return `${here})`;
  const there =
    b.originReady === undefined
      ? `cluster ${inlineCode(b.origin.cluster)} is not configured here, not checked`
      : `${b.originReady} behind ${inlineCode(`${b.origin.namespace}/${b.origin.name}`)} on ${inlineCode(b.origin.cluster)}`;
  return `${here}; ${there})`;
}

/** The Deployment's pod template labels, and the failover splits whose primary Service selects them. */
async function splitsOf(ops: ClusterOps, deployment: KubeObject): Promise<FailoverSplit[]> {
  const namespace = deployment.metadata?.namespace ?? '';
  const labels = (fieldAt(deployment, 'spec.template.metadata.labels') ?? {}) as Record<string, string>;
  const services = await ops.reader.list({ group: '', version: 'v1', plural: 'services', namespace });
  const primaries = new Set(services.filter((s) => selects(s, labels)).map((s) => s.metadata?.name));
  return (await failoverSplits(ops.reader, namespace)).filter((s) => primaries.has(s.primary));
}

async function viewBackend(
  ops: ClusterOps,
  peers: readonly ClusterOps[],
  namespace: string,
  service: string,
  weight: number,
): Promise<BackendView> {
  const view: BackendView = { service, weight, ready: await readyAddresses(ops.reader, namespace, service) };
  const origin = mirrorOrigin(
    await ops.reader.get({ group: '', version: 'v1', plural: 'services', namespace, name: service }),
  );
  if (origin) {
    view.origin = origin;
    const peer = peers.find((p) => p.cluster === origin.cluster);
    if (peer) view.originReady = await readyAddresses(peer.reader, origin.namespace, origin.name);
  }
  return view;
}

async function viewSplit(ops: ClusterOps, peers: readonly ClusterOps[], ref: SplitRef): Promise<SplitView> {
  const split = await readSplit(ops.reader, ref);
  const primaryReady = await readyAddresses(ops.reader, ref.namespace, ref.primary);
  if (!split || split.primary !== ref.primary)
    return { ref, found: false, primaryWeight: 0, primaryReady, fallbacks: [] };
  const fallbacks: BackendView[] = [];
  for (const b of split.backends)
    if (b.service !== ref.primary)
      fallbacks.push(await viewBackend(ops, peers, ref.namespace, b.service, b.weight));
  const primaryWeight = split.backends.find((b) => b.service === ref.primary)?.weight ?? 0;
  return { ref, found: true, primaryWeight, primaryReady, fallbacks };
}

/** Traffic has left the primary for a fallback that can serve it. */
function failedOver(view: SplitView): boolean {
  return (
    view.found &&
    view.primaryReady === 0 &&
    view.primaryWeight === 0 &&
    view.fallbacks.some((b) => b.weight > 0 && healthy(b))
  );
}

/** Traffic is back on the primary alone, as linkerd-failover routes while the primary is ready. */
function failedBack(view: SplitView): boolean {
  return (
    view.found &&
    view.primaryReady > 0 &&
    view.primaryWeight > 0 &&
    view.fallbacks.every((b) => b.weight === 0)
  );
}

async function restore(ctx: StepContext, state: AppFailoverState): Promise<void> {
  await scaleBack(ctx, state);
  state.restoredAt = ctx.now();
  ctx.note(
    `Scaled \`${ctx.params.namespace}/${ctx.params.workload}\` back to ${state.replicas} replicas as coxswain-operator.`,
  );
}

export const appFailover: DrillKindHandler = {
  required: ['namespace', 'workload'],

  async inspect(params, ops, definition, peers) {
    const target = `${params.namespace}/${params.workload}`;
    const deployment = await ops.reader.get(deploymentRef(params));
    if (!deployment)
      return {
        lines: [],
        problems: [
          `There is no Deployment ${target} on ${params.cluster}; name the primary side of the application with --namespace and --workload.`,
        ],
      };
    const replicas = num(fieldAt(deployment, 'spec.replicas'));
    const ready = num(fieldAt(deployment, 'status.readyReplicas'));
    const problems: string[] = [];
    if (replicas === 0) problems.push(`${target} is already scaled to zero; scale it up before the drill.`);
    else if (ready < replicas)
      problems.push(
        `${target} has ${ready} of ${replicas} replicas Ready; a failover drill on a degraded primary measures nothing.`,
      );
    const splits = await splitsOf(ops, deployment);
    if (splits.length === 0)
      problems.push(
        `No TrafficSplit (split.smi-spec.io) in ${params.namespace} on ${params.cluster} names a Service of ${target} in its ${PRIMARY_ANNOTATION} annotation: nothing fails over.`,
      );
    for (const split of splits) {
      const view = await viewSplit(ops, peers, split);
      if (view.primaryWeight === 0 || view.primaryReady === 0)
        problems.push(
          `TrafficSplit ${splitName(split)} does not route to its primary ${inlineCode(split.primary)} now (weight ${view.primaryWeight}, ${view.primaryReady} ready addresses).`,
        );
      if (!view.fallbacks.some(healthy))
        problems.push(
          `TrafficSplit ${splitName(split)} has no healthy backend besides ${inlineCode(split.primary)} to fail over to: ${view.fallbacks.map(describeBackend).join(', ') || 'none'}.`,
        );
    }
    const routes = splits.map(
      (s) =>
        `${splitName(s)} (primary ${inlineCode(s.primary)}, fallbacks ${
          s.backends
            .filter((b) => b.service !== s.primary)
            .map((b) => inlineCode(b.service))
            .join(', ') || 'none'
        })`,
    );
    return {
      lines: [
        `scale the Deployment ${target} on ${params.cluster} from ${replicas} to 0 replicas (scale subresource)`,
        `measure until the TrafficSplits ${routes.join('; ') || '(none found)'} give the primary weight 0 and a fallback with ready addresses (for a mirror: also on its own cluster) a weight above 0; objective ${formatDuration(definition.objective)}`,
        `scale it back to ${replicas} and wait until the splits route to the primary alone again`,
      ],
      problems,
    };
  },

  async step(ctx) {
    const state = ctx.state as AppFailoverState;
    const target = `${ctx.params.namespace}/${ctx.params.workload}`;
    if (state.stage === undefined) {
      const deployment = await ctx.ops.reader.get(deploymentRef(ctx.params));
      if (!deployment) throw new Error(`the Deployment ${target} is gone`);
      const replicas = num(fieldAt(deployment, 'spec.replicas'));
      if (replicas === 0) throw new Error(`the Deployment ${target} is already at zero replicas`);
      const splits = await splitsOf(ctx.ops, deployment);
      if (splits.length === 0) throw new Error(`no failover TrafficSplit routes to ${target}`);
      state.replicas = replicas;
      state.splits = splits.map(({ namespace, name, version, primary }) => ({
        namespace,
        name,
        version,
        primary,
      }));
      state.stage = 'scale-down';
      ctx.note(
        `\`${target}\` runs ${replicas} replicas; it is the primary of ${splits.length} TrafficSplits: ${splits.map(splitName).join(', ')}.`,
      );
      return;
    }
    if (state.stage === 'scale-down') {
      await scaleToZero(ctx, state);
      ctx.disrupted();
      state.stage = 'fail-over';
      ctx.note(`Scaled \`${target}\` to 0 replicas as coxswain-operator; watching the traffic fail over.`);
      return;
    }
    if (state.stage === 'restore') {
      await restore(ctx, state);
      state.stage = 'fail-back';
      return;
    }
    const splits = state.splits ?? [];
    const views: SplitView[] = [];
    for (const ref of splits) views.push(await viewSplit(ctx.ops, ctx.peers, ref));
    if (state.stage === 'fail-over') {
      const since = formatDuration(ctx.now() - (state.scaledDownAt ?? ctx.now()));
      if (!state.primaryDownNoted && views.every((v) => v.primaryReady === 0)) {
        state.primaryDownNoted = true;
        ctx.note(`The primary Services have no ready addresses (after ${since}).`);
      }
      if (!views.every(failedOver)) return;
      ctx.recovered();
      for (const view of views)
        ctx.finding(
          `${splitName(view.ref)} failed over after ${since}: traffic goes to ${view.fallbacks
            .filter((b) => b.weight > 0)
            .map(describeBackend)
            .join(', ')}.`,
        );
      state.stage = 'restore';
      return;
    }
    if (state.stage === 'fail-back') {
      const deployment = await ctx.ops.reader.get(deploymentRef(ctx.params));
      if (num(fieldAt(deployment, 'status.readyReplicas')) < (state.replicas ?? 1)) return;
      if (!views.every(failedBack)) return;
      state.stage = 'done';
      ctx.finding(
        `Traffic is back on the primary ${formatDuration(ctx.now() - (state.restoredAt ?? ctx.now()))} after the scale-up: ${views.map((v) => `${splitName(v.ref)} → ${inlineCode(v.ref.primary)} (${v.primaryReady} ready addresses)`).join(', ')}.`,
      );
    }
  },

  async rollback(ctx) {
    const state = ctx.state as AppFailoverState;
    if (state.scaledDown && !state.restored) await restore(ctx, state);
    else ctx.note('Nothing to undo: the Deployment was not scaled down, or is already back.');
    return true;
  },
};
