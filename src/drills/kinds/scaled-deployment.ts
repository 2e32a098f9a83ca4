/**
 * The Deployment a scale drill takes to zero and back (app-failover, clustermesh-resilience,
 * mesh-gateway): where it is, how many replicas it wants and has, how many ready endpoints its
 * Service has, and the two scale writes with the record that rollback reads.
 *
 * The Deployment and its Service share the name the drill is given (--namespace, --workload).
 */
import { num } from '../../health/objects.js';
import { fieldAt, type KubeObject, type ResourceRef } from '../../kube/cluster-ops.js';
import type { DrillParams, StepContext } from '../kind.js';

/** What a scale drill keeps in its state so that rollback knows whether, and to what, to scale back. */
export interface ScaleRecord {
  replicas?: number;
  scaledDown?: boolean;
  scaledDownAt?: number;
  restored?: boolean;
}

export function deploymentRef(params: DrillParams): ResourceRef {
  return {
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    namespace: params.namespace as string,
    name: params.workload as string,
  };
}

/** Ready and not-ready addresses of an Endpoints object. */
export function endpointAddresses(endpoints: KubeObject | undefined): { ready: number; notReady: number } {
  const subsets = (endpoints as { subsets?: { addresses?: unknown[]; notReadyAddresses?: unknown[] }[] })
    ?.subsets;
  let ready = 0;
  let notReady = 0;
  for (const subset of subsets ?? []) {
    ready += subset.addresses?.length ?? 0;
    notReady += subset.notReadyAddresses?.length ?? 0;
  }
  return { ready, notReady };
}

export interface DeploymentNow {
  desired: number;
  ready: number;
  /** Ready endpoints of the Service of the same name; undefined when it has no Endpoints object. */
  endpoints: number | undefined;
}

/**
 * The Deployment as it is now, with its Service's ready endpoints. `what` names it in the error
 * thrown when it is gone (a drill cannot go on without it).
 */
export async function deploymentNow(
  ctx: Pick<StepContext, 'ops' | 'params'>,
  what: string,
): Promise<DeploymentNow> {
  const { ops, params } = ctx;
  const deployment = await ops.reader.get(deploymentRef(params));
  if (!deployment) throw new Error(`the ${what} Deployment ${params.namespace}/${params.workload} is gone`);
  const endpoints = await ops.reader.get({
    group: '',
    version: 'v1',
    plural: 'endpoints',
    namespace: params.namespace as string,
    name: params.workload as string,
  });
  return {
    desired: num(fieldAt(deployment, 'spec.replicas')),
    ready: num(fieldAt(deployment, 'status.readyReplicas')),
    endpoints: endpoints ? endpointAddresses(endpoints).ready : undefined,
  };
}

/** Scales the Deployment to zero through the scale subresource and records when. */
export async function scaleToZero(ctx: StepContext, record: ScaleRecord): Promise<void> {
  // Marked before the write: a crash right after it must still scale back on rollback.
  record.scaledDown = true;
  await ctx.writer.scale(deploymentRef(ctx.params), 0);
  record.scaledDownAt = ctx.now();
}

/** Scales the Deployment back to the replicas recorded before the drill. */
export async function scaleBack(ctx: StepContext, record: ScaleRecord): Promise<void> {
  await ctx.writer.scale(deploymentRef(ctx.params), record.replicas as number);
  record.restored = true;
}

/** The plan's problem when the Deployment the drill is to scale is not there. */
export function missingDeployment(what: string, params: DrillParams): string {
  return `There is no ${what} Deployment ${params.namespace}/${params.workload} on ${params.cluster}; name it with --namespace and --workload.`;
}

/** Why the Deployment cannot be scaled down for a drill as it is now (already at zero, or not all Ready); undefined when it can. */
export function replicasProblem(
  now: Pick<DeploymentNow, 'desired' | 'ready'>,
  what: string,
  target: string,
): string | undefined {
  if (now.desired === 0)
    return `The ${what} ${target} is already scaled to zero; scale it up before the drill.`;
  if (now.ready < now.desired)
    return `The ${what} ${target} has ${now.ready} of ${now.desired} replicas Ready; a drill on a degraded ${what} measures nothing.`;
  return undefined;
}
