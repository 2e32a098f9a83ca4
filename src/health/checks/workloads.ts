/** Workloads: Deployments, StatefulSets and DaemonSets not ready or stuck; pods crash-looping. */
import { KINDS } from '../kinds.js';
import { condition, num, objectsOf, oneLine, ref, result } from '../objects.js';
import type { Check, Finding, KubeObject } from '../types.js';

/** Waiting reasons that mean a container will not start without a change. */
const BAD_WAITING = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
  'RunContainerError',
]);
/** Restarts at or above this are worth a warning even when the pod is ready now. */
export const RESTART_WARNING = 5;

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string } };
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
}

/** One workload's readiness. Exported for the checks that name their workloads (monitoring, external-dns). */
export function workload(kind: string, object: KubeObject): Finding | undefined {
  const spec = object.spec ?? {};
  const status = object.status ?? {};
  const subject = `${kind} ${ref(object)}`;
  const progressing = condition(object, 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded')
    return {
      status: 'fail',
      subject,
      reason: `rollout stuck: ${oneLine(progressing.message ?? 'ProgressDeadlineExceeded')}`,
    };
  const [ready, wanted] =
    kind === 'daemonset'
      ? [num(status.numberReady), num(status.desiredNumberScheduled)]
      : [num(status.readyReplicas), spec.replicas === undefined ? 1 : num(spec.replicas)];
  if (ready < wanted)
    return { status: ready === 0 ? 'fail' : 'warn', subject, reason: `${ready}/${wanted} ready` };
  const generation = object.metadata.generation;
  if (generation !== undefined && num(status.observedGeneration) < generation)
    return { status: 'warn', subject, reason: 'the controller has not observed the latest change yet' };
  return { status: 'ok', subject, reason: `${ready}/${wanted} ready` };
}

/** The problem with one pod, if any. Exported for the mesh and ceph checks. */
export function podProblem(pod: KubeObject): Finding | undefined {
  const status = pod.status ?? {};
  const subject = `pod ${ref(pod)}`;
  const statuses = [
    ...((status.initContainerStatuses as ContainerStatus[] | undefined) ?? []),
    ...((status.containerStatuses as ContainerStatus[] | undefined) ?? []),
  ];
  for (const c of statuses) {
    const waiting = c.state?.waiting?.reason;
    if (waiting && BAD_WAITING.has(waiting)) {
      const last = c.lastState?.terminated?.reason;
      return {
        status: 'fail',
        subject,
        reason: `${c.name}: ${waiting}, ${num(c.restartCount)} restarts${last ? `, last terminated: ${last}` : ''}`,
      };
    }
  }
  if (status.phase === 'Failed')
    return { status: 'warn', subject, reason: `Failed${status.reason ? ` (${status.reason})` : ''}` };
  for (const c of statuses) {
    if (num(c.restartCount) >= RESTART_WARNING) {
      const last = c.lastState?.terminated?.reason;
      return {
        status: 'warn',
        subject,
        reason: `${c.name}: ${num(c.restartCount)} restarts${last ? `, last terminated: ${last}` : ''}`,
      };
    }
  }
  return undefined;
}

export const workloadsCheck: Check = {
  component: 'workloads',
  kinds: [KINDS.deployments, KINDS.statefulsets, KINDS.daemonsets, KINDS.pods],
  run({ kinds, wide }) {
    const findings: Finding[] = [];
    let total = 0;
    for (const [id, kind] of [
      ['deployments', 'deployment'],
      ['statefulsets', 'statefulset'],
      ['daemonsets', 'daemonset'],
    ] as const) {
      for (const object of objectsOf(kinds, id)) {
        total++;
        const finding = workload(kind, object);
        if (finding) findings.push(finding);
      }
    }
    const pods = objectsOf(kinds, 'pods');
    let badPods = 0;
    for (const pod of pods) {
      const problem = podProblem(pod);
      if (problem) {
        badPods++;
        findings.push(problem);
      }
    }
    const notReady = findings.filter((f) => f.status !== 'ok' && !f.subject.startsWith('pod ')).length;
    const summary = `${total - notReady}/${total} workloads ready; ${pods.length} pods, ${badPods} with problems`;
    return result('workloads', findings, summary, wide);
  },
};
