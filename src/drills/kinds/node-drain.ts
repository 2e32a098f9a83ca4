/**
 * node-drain: cordon a node, evict its pods through the Eviction API (so PodDisruptionBudgets
 * are honoured: a 429 is retried on the next pass), measure until every evicted pod's controller
 * has as many Ready pods on other nodes as it had before, then uncordon. Rollback uncordons,
 * and only when this drill did the cordoning.
 */
import { formatDuration } from '../../duration.js';
import type { PodInfo } from '../../kube/cluster-ops.js';
import type { DrillKindHandler, StepContext } from '../kind.js';

interface OwnerBaseline {
  namespace: string;
  kind: string;
  name: string;
  /** Ready pods of this controller before the drain. */
  ready: number;
}

interface NodeDrainState {
  stage?: 'evict' | 'recover' | 'uncordon' | 'done';
  cordoned?: boolean;
  uncordoned?: boolean;
  owners?: Record<string, OwnerBaseline>;
  evicted?: string[];
  blockedNoted?: string[];
}

/** Pods a drain moves: controlled, not DaemonSet, not static, not finished. */
function movable(pod: PodInfo): boolean {
  return (
    pod.owner !== undefined &&
    pod.owner.kind !== 'DaemonSet' &&
    !pod.mirror &&
    pod.phase !== 'Succeeded' &&
    pod.phase !== 'Failed'
  );
}

async function uncordon(ctx: StepContext, state: NodeDrainState): Promise<void> {
  if (state.cordoned && !state.uncordoned) {
    await ctx.writer.setUnschedulable(ctx.params.node as string, false);
    state.uncordoned = true;
    ctx.note(`Uncordoned node \`${ctx.params.node}\`.`);
  }
}

export const nodeDrain: DrillKindHandler = {
  required: ['node'],

  async inspect(params, ops, definition) {
    const name = params.node as string;
    const node = await ops.reader.getNode(name);
    if (!node)
      return {
        lines: [],
        problems: [
          `There is no node ${name} on cluster ${params.cluster}; see the node names in /ops health.`,
        ],
      };
    const problems: string[] = [];
    if (!node.ready) problems.push(`Node ${name} is not Ready; draining it measures nothing.`);
    if (node.unschedulable)
      problems.push(
        `Node ${name} is already cordoned; uncordon it first (coxswain only undoes its own cordon).`,
      );
    const others = (await ops.reader.listNodes()).filter(
      (n) => n.name !== name && n.ready && !n.unschedulable,
    );
    if (others.length === 0)
      problems.push(`No other schedulable Ready node on ${params.cluster} would take the pods.`);
    const pods = await ops.reader.listPods({ nodeName: name });
    const moving = pods.filter(movable);
    if (node.ready && moving.length === 0)
      problems.push(`Node ${name} runs no pods a drain would move; pick a node that runs workloads.`);
    const staying = pods.filter((p) => !movable(p) && p.phase !== 'Succeeded' && p.phase !== 'Failed');
    return {
      lines: [
        `cordon node ${name} on ${params.cluster}`,
        `evict ${moving.length} pods through the Eviction API: ${moving.map((p) => `${p.namespace}/${p.name}`).join(', ') || 'none'}`,
        ...(staying.length
          ? [
              `leave ${staying.length} DaemonSet, static or unmanaged pods: ${staying.map((p) => `${p.namespace}/${p.name}`).join(', ')}`,
            ]
          : []),
        `measure until their controllers have as many Ready pods elsewhere as before; objective ${formatDuration(definition.objective)}`,
        `uncordon node ${name}`,
      ],
      problems,
    };
  },

  async step(ctx) {
    const state = ctx.state as NodeDrainState;
    const node = ctx.params.node as string;
    if (state.stage === undefined) {
      // The baseline is taken before the cordon, so a retry after a crash does not recount.
      const onNode = (await ctx.ops.reader.listPods({ nodeName: node })).filter(movable);
      const owners: Record<string, OwnerBaseline> = {};
      for (const pod of onNode) {
        const owner = pod.owner as NonNullable<PodInfo['owner']>;
        if (owners[owner.uid]) continue;
        const siblings = (await ctx.ops.reader.listPods({ namespace: pod.namespace })).filter(
          (p) => p.owner?.uid === owner.uid && p.ready && !p.deleting,
        );
        owners[owner.uid] = {
          namespace: pod.namespace,
          kind: owner.kind,
          name: owner.name,
          ready: siblings.length,
        };
      }
      state.owners = owners;
      state.evicted = [];
      await ctx.writer.setUnschedulable(node, true);
      state.cordoned = true;
      ctx.disrupted();
      state.stage = 'evict';
      ctx.note(`Cordoned node \`${node}\`; ${onNode.length} pods to evict.`);
      return;
    }
    if (state.stage === 'evict') {
      const remaining = (await ctx.ops.reader.listPods({ nodeName: node })).filter(
        (p) => movable(p) && !p.deleting,
      );
      const blocked: string[] = [];
      for (const pod of remaining) {
        const result = await ctx.writer.evictPod(pod.namespace, pod.name);
        const id = `${pod.namespace}/${pod.name}`;
        if (result === 'blocked') {
          blocked.push(id);
          if (!(state.blockedNoted ?? []).includes(id)) {
            state.blockedNoted = [...(state.blockedNoted ?? []), id];
            ctx.note(`Eviction of \`${id}\` refused by its PodDisruptionBudget (HTTP 429); retrying.`);
          }
        } else if (result === 'evicted') {
          state.evicted = [...(state.evicted ?? []), id];
        }
      }
      if (remaining.length === 0 || blocked.length === 0) {
        state.stage = 'recover';
        ctx.note(
          `Evicted ${(state.evicted ?? []).length} pods from \`${node}\` through the Eviction API; waiting for them to be Ready elsewhere.`,
        );
      }
      return;
    }
    if (state.stage === 'recover') {
      const pending: string[] = [];
      const byNamespace = new Map<string, PodInfo[]>();
      for (const [uid, owner] of Object.entries(state.owners ?? {})) {
        let pods = byNamespace.get(owner.namespace);
        if (!pods) {
          pods = await ctx.ops.reader.listPods({ namespace: owner.namespace });
          byNamespace.set(owner.namespace, pods);
        }
        const ready = pods.filter(
          (p) => p.owner?.uid === uid && p.ready && !p.deleting && p.nodeName !== node,
        );
        if (ready.length < owner.ready)
          pending.push(`${owner.kind} ${owner.namespace}/${owner.name} ${ready.length}/${owner.ready}`);
      }
      // Pods that reappeared on the node (the cordon was lifted by someone) still count as not moved.
      const back = (await ctx.ops.reader.listPods({ nodeName: node })).filter(
        (p) => movable(p) && !p.deleting,
      );
      if (pending.length === 0 && back.length === 0) {
        ctx.recovered();
        state.stage = 'uncordon';
        ctx.note(`All ${Object.keys(state.owners ?? {}).length} evicted workloads are Ready on other nodes.`);
      }
      return;
    }
    if (state.stage === 'uncordon') {
      await uncordon(ctx, state);
      state.stage = 'done';
    }
  },

  async rollback(ctx) {
    await uncordon(ctx, ctx.state as NodeDrainState);
    return true;
  },
};
