/**
 * cnpg-failover: delete the CloudNativePG primary pod (status.currentPrimary) and measure until
 * the Cluster reports another primary, all instances ready and a healthy phase. The operator
 * promotes a replica and rebuilds the old primary; coxswain has nothing to undo.
 */
import { formatDuration } from '../../duration.js';
import { type ClusterReader, fieldAt, type KubeObject } from '../../kube/cluster-ops.js';
import type { DrillKindHandler } from '../kind.js';

const HEALTHY = 'Cluster in healthy state';

interface CnpgState {
  stage?: 'kill' | 'recover' | 'done';
  primary?: string;
}

function cnpgCluster(
  reader: ClusterReader,
  namespace: string,
  name: string,
): Promise<KubeObject | undefined> {
  return reader.get({ group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters', namespace, name });
}

function summary(cluster: KubeObject) {
  return {
    phase: fieldAt(cluster, 'status.phase'),
    primary: fieldAt(cluster, 'status.currentPrimary'),
    ready: fieldAt(cluster, 'status.readyInstances'),
    instances: fieldAt(cluster, 'spec.instances'),
  };
}

export const cnpgFailover: DrillKindHandler = {
  required: ['namespace', 'workload'],

  async inspect(params, ops, definition) {
    const namespace = params.namespace as string;
    const name = params.workload as string;
    const cluster = await cnpgCluster(ops.reader, namespace, name);
    if (!cluster)
      return {
        lines: [],
        problems: [
          `There is no CloudNativePG Cluster ${namespace}/${name} on ${params.cluster}; name it with --namespace and --workload.`,
        ],
      };
    const s = summary(cluster);
    const problems: string[] = [];
    if (s.phase !== HEALTHY || s.ready !== s.instances)
      problems.push(
        `CNPG Cluster ${namespace}/${name} is "${String(s.phase)}" with ${String(s.ready)}/${String(s.instances)} instances ready; a failover drill needs a healthy cluster.`,
      );
    if (typeof s.primary !== 'string')
      problems.push(`CNPG Cluster ${namespace}/${name} reports no current primary.`);
    return {
      lines: [
        `delete the primary pod ${String(s.primary)} of CNPG Cluster ${namespace}/${name} on ${params.cluster}`,
        `measure until another instance is primary and ${String(s.instances)}/${String(s.instances)} instances are ready; objective ${formatDuration(definition.objective)}`,
      ],
      problems,
    };
  },

  async step(ctx) {
    const state = ctx.state as CnpgState;
    const namespace = ctx.params.namespace as string;
    const name = ctx.params.workload as string;
    if (state.stage === undefined) {
      const cluster = await cnpgCluster(ctx.ops.reader, namespace, name);
      const primary = cluster ? summary(cluster).primary : undefined;
      if (typeof primary !== 'string')
        throw new Error(`CNPG Cluster ${namespace}/${name} reports no current primary`);
      state.primary = primary;
      state.stage = 'kill';
      ctx.note(`The primary of CNPG Cluster ${namespace}/${name} is \`${primary}\`.`);
      return;
    }
    if (state.stage === 'kill') {
      const result = await ctx.writer.deletePod(namespace, state.primary as string);
      ctx.disrupted();
      state.stage = 'recover';
      ctx.note(
        result === 'deleted'
          ? `Deleted the primary pod \`${state.primary}\` as coxswain-operator; watching for a new primary.`
          : `The primary pod \`${state.primary}\` was already gone; watching for a new primary.`,
      );
      return;
    }
    if (state.stage === 'recover') {
      const cluster = await cnpgCluster(ctx.ops.reader, namespace, name);
      if (!cluster) return;
      const s = summary(cluster);
      if (
        typeof s.primary === 'string' &&
        s.primary !== state.primary &&
        s.phase === HEALTHY &&
        s.ready === s.instances
      ) {
        ctx.recovered();
        state.stage = 'done';
        ctx.note(
          `\`${s.primary}\` is the new primary; ${String(s.ready)}/${String(s.instances)} instances ready.`,
        );
      }
    }
  },

  async rollback(ctx) {
    ctx.note('Nothing to undo: the CNPG operator promotes a replica and rebuilds the old primary.');
    return true;
  },
};
