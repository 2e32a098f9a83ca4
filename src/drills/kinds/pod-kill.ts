/**
 * pod-kill: delete one Ready pod of a workload, measure until a replacement (a new uid) is Ready
 * and the workload has all its replicas Ready again. Nothing to roll back: the controller heals.
 */
import { formatDuration } from '../../duration.js';
import type { DrillKindHandler } from '../kind.js';
import { findWorkload } from './workload.js';

interface PodKillState {
  stage?: 'kill' | 'recover' | 'done';
  target?: { name: string; uid: string };
  before?: string[];
  selector?: string;
  desired?: number;
}

export const podKill: DrillKindHandler = {
  required: ['namespace', 'workload'],

  async inspect(params, ops, definition) {
    const namespace = params.namespace as string;
    const name = params.workload as string;
    const workload = await findWorkload(ops.reader, namespace, name);
    if (!workload)
      return {
        lines: [],
        problems: [
          `There is no Deployment or StatefulSet ${namespace}/${name} (selecting by matchLabels) on cluster ${params.cluster}; pick one with --namespace and --workload.`,
        ],
      };
    const pods = await ops.reader.listPods({ namespace, labelSelector: workload.selector });
    const ready = pods.filter((p) => p.ready && !p.deleting);
    const problems =
      ready.length < workload.replicas
        ? [
            `${workload.kind} ${namespace}/${name} has ${ready.length} of ${workload.replicas} replicas Ready; a drill on a degraded workload measures nothing. Wait until it is healthy.`,
          ]
        : [];
    return {
      lines: [
        `delete one of the ${ready.length} Ready pods of ${workload.kind} ${namespace}/${name} on ${params.cluster} (${ready.map((p) => p.name).join(', ') || 'none'})`,
        `measure until a new pod is Ready and ${workload.replicas}/${workload.replicas} replicas are Ready; objective ${formatDuration(definition.objective)}`,
      ],
      problems,
    };
  },

  async step(ctx) {
    const state = ctx.state as PodKillState;
    const namespace = ctx.params.namespace as string;
    if (state.stage === undefined) {
      const workload = await findWorkload(ctx.ops.reader, namespace, ctx.params.workload as string);
      if (!workload) throw new Error(`the workload ${namespace}/${ctx.params.workload} is gone`);
      const pods = await ctx.ops.reader.listPods({ namespace, labelSelector: workload.selector });
      const target = pods
        .filter((p) => p.ready && !p.deleting)
        .sort((a, b) => a.name.localeCompare(b.name))[0];
      if (!target) throw new Error(`no Ready pod of ${namespace}/${workload.name} to delete`);
      state.target = { name: target.name, uid: target.uid };
      state.before = pods.map((p) => p.uid);
      state.selector = workload.selector;
      state.desired = workload.replicas;
      state.stage = 'kill';
      ctx.note(`Picked pod \`${target.name}\` of ${workload.kind} ${namespace}/${workload.name}.`);
      return;
    }
    if (state.stage === 'kill') {
      const target = state.target as { name: string; uid: string };
      const result = await ctx.writer.deletePod(namespace, target.name);
      ctx.disrupted();
      state.stage = 'recover';
      ctx.note(
        result === 'deleted'
          ? `Deleted pod \`${target.name}\` as coxswain-operator; watching for a Ready replacement.`
          : `Pod \`${target.name}\` was already gone; watching for a Ready replacement.`,
      );
      return;
    }
    if (state.stage === 'recover') {
      const pods = await ctx.ops.reader.listPods({ namespace, labelSelector: state.selector as string });
      const ready = pods.filter((p) => p.ready && !p.deleting);
      const replacement = ready.find((p) => !(state.before ?? []).includes(p.uid));
      if (replacement && ready.length >= (state.desired ?? 1)) {
        ctx.recovered();
        state.stage = 'done';
        ctx.note(
          `Replacement pod \`${replacement.name}\` is Ready; ${ready.length}/${state.desired} replicas Ready.`,
        );
      }
    }
  },

  async rollback(ctx) {
    ctx.note('Nothing to undo: the workload controller replaces the deleted pod by itself.');
    return true;
  },
};
