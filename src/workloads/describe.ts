/**
 * `kubectl describe` in a few lines per kind, from the full object the API server returns: what
 * an on-call person looks at first (state, replicas, containers and images, conditions, recent
 * events). Environment variables, annotations and volumes are left out: they are where secrets
 * leak into objects.
 */
import type { KubeObject as CachedObject } from '../health/types.js';
import type { KubeObject } from '../kube/cluster-ops.js';
import type { WorkloadKind } from './kinds.js';
import { age } from './tables.js';

type Json = Record<string, unknown>;
const asJson = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

function labels(object: KubeObject): string {
  const entries = Object.entries(object.metadata?.labels ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(', ') : '<none>';
}

function conditions(status: Json): string[] {
  const rows = list(status.conditions).map(
    (c) =>
      `  ${String(c.type)}=${String(c.status)}${c.reason ? ` (${String(c.reason)})` : ''}${c.message ? `: ${String(c.message)}` : ''}`,
  );
  return rows.length ? ['Conditions:', ...rows] : [];
}

function containers(spec: Json, status: Json): string[] {
  const statuses = new Map(list(status.containerStatuses).map((c) => [String(c.name), c]));
  const out: string[] = [];
  for (const c of list(spec.containers)) {
    const s = statuses.get(String(c.name));
    const state = asJson(s?.state);
    const current = Object.keys(state)[0];
    const detail = current ? asJson(state[current]) : {};
    const last = asJson(asJson(s?.lastState).terminated);
    out.push(`  ${String(c.name)}: image ${String(c.image ?? '')}`);
    if (s)
      out.push(
        `    ${current ?? 'unknown'}${detail.reason ? ` (${String(detail.reason)})` : ''}, ready ${String(s.ready)}, restarts ${String(s.restartCount ?? 0)}${last.reason ? `, last terminated: ${String(last.reason)} exit ${String(last.exitCode)}` : ''}`,
      );
    const resources = asJson(c.resources);
    if (Object.keys(resources).length) out.push(`    resources: ${JSON.stringify(resources)}`);
  }
  return out.length ? ['Containers:', ...out] : [];
}

/** The describe text of one object, with the events the cache holds for it (newest last). */
export function describe(
  kind: WorkloadKind,
  object: KubeObject,
  events: readonly CachedObject[],
  now: number,
): string {
  const meta = object.metadata ?? {};
  const spec = asJson(object.spec);
  const status = asJson(object.status);
  const created = (meta as { creationTimestamp?: string | Date }).creationTimestamp;
  const createdText = created instanceof Date ? created.toISOString() : created;
  const lines = [
    `Name:        ${meta.name ?? ''}`,
    ...(meta.namespace ? [`Namespace:   ${meta.namespace}`] : []),
    `Kind:        ${kind.kind}`,
    `Labels:      ${labels(object)}`,
    `Created:     ${createdText ?? '<unknown>'} (${age(createdText, now)} ago)`,
  ];
  switch (kind.word) {
    case 'pods':
      lines.push(
        `Node:        ${String(spec.nodeName ?? '<none>')}`,
        `Status:      ${String(status.phase ?? '')}${status.reason ? ` (${String(status.reason)})` : ''}`,
        `IP:          ${String(status.podIP ?? '<none>')}`,
        ...containers(spec, status),
        ...conditions(status),
      );
      break;
    case 'deploy':
    case 'sts':
      lines.push(
        `Replicas:    ${String(spec.replicas ?? 1)} desired, ${String(status.updatedReplicas ?? 0)} updated, ${String(status.readyReplicas ?? 0)} ready, ${String(status.availableReplicas ?? 0)} available`,
        `Selector:    ${JSON.stringify(asJson(spec.selector).matchLabels ?? {})}`,
        `Strategy:    ${String(asJson(spec.strategy).type ?? asJson(spec.updateStrategy).type ?? '')}`,
        ...containers(asJson(asJson(spec.template).spec), {}),
        ...conditions(status),
      );
      break;
    case 'ds':
      lines.push(
        `Pods:        ${String(status.desiredNumberScheduled ?? 0)} desired, ${String(status.numberReady ?? 0)} ready, ${String(status.numberUnavailable ?? 0)} unavailable`,
        ...containers(asJson(asJson(spec.template).spec), {}),
        ...conditions(status),
      );
      break;
    case 'nodes': {
      const info = asJson(status.nodeInfo);
      lines.push(
        `Unschedulable: ${String(spec.unschedulable === true)}`,
        `Taints:      ${
          list(spec.taints)
            .map((t) => `${String(t.key)}${t.value ? `=${String(t.value)}` : ''}:${String(t.effect)}`)
            .join(', ') || '<none>'
        }`,
        `Addresses:   ${list(status.addresses)
          .map((a) => `${String(a.type)}=${String(a.address)}`)
          .join(', ')}`,
        `Kubelet:     ${String(info.kubeletVersion ?? '')}, ${String(info.osImage ?? '')}`,
        `Capacity:    ${JSON.stringify(status.capacity ?? {})}`,
        `Allocatable: ${JSON.stringify(status.allocatable ?? {})}`,
        ...conditions(status),
      );
      break;
    }
    default:
      lines.push(
        `Status:      ${String(status.phase ?? '')}`,
        `Volume:      ${String(spec.volumeName ?? '')}`,
        `Capacity:    ${String(asJson(status.capacity).storage ?? '')}`,
        `Access:      ${list(spec.accessModes).join(', ')}`,
        `StorageClass: ${String(spec.storageClassName ?? '')}`,
      );
  }
  lines.push('Events:');
  if (events.length === 0) lines.push('  <none>');
  for (const e of events.slice(-15)) lines.push(`  ${eventLine(e, now)}`);
  return lines.join('\n');
}

/** When an event last happened: lastTimestamp, eventTime, or when it was created. */
export function eventTime(e: CachedObject): number {
  const o = e as Json;
  const at = (o.lastTimestamp ?? o.eventTime ?? e.metadata.creationTimestamp) as string | undefined;
  return at ? Date.parse(at) : 0;
}

export function eventLine(e: CachedObject, now: number): string {
  const o = e as Json;
  const when = eventTime(e);
  const count = typeof o.count === 'number' && o.count > 1 ? ` (x${o.count})` : '';
  return `${when ? age(new Date(when).toISOString(), now) : '?'} ago  ${String(o.type ?? '')}  ${String(o.reason ?? '')}${count}: ${String(o.message ?? '').replace(/\s+/g, ' ')}`;
}
