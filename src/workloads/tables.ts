/**
 * The columns `kubectl get` prints for each kind, computed from the cached (trimmed) objects.
 * `wide` adds what kubectl's `-o wide` adds where the cache has it (pod IP and node).
 */
import type { KubeObject } from '../health/types.js';
import type { WorkloadKind } from './kinds.js';

type Json = Record<string, unknown>;

export interface Table {
  headers: string[];
  rows: string[][];
}

/** kubectl's short ages: 45s, 12m, 5h, 3d, 2y. */
export function age(created: string | undefined, now: number): string {
  if (!created) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(created)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  if (seconds < 31_536_000) return `${Math.floor(seconds / 86_400)}d`;
  return `${Math.floor(seconds / 31_536_000)}y`;
}

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const statusOf = (o: KubeObject): Json => (o.status ?? {}) as Json;

function podColumns(o: KubeObject): string[] {
  const status = statusOf(o);
  const containers = (Array.isArray(status.containerStatuses) ? status.containerStatuses : []) as Json[];
  const specContainers = Array.isArray(o.spec?.containers) ? (o.spec.containers as unknown[]).length : 0;
  const ready = containers.filter((c) => c.ready === true).length;
  const restarts = containers.reduce((n, c) => n + num(c.restartCount), 0);
  const waiting = containers
    .map((c) => ((c.state as Json | undefined)?.waiting as Json | undefined)?.reason)
    .find((r) => typeof r === 'string');
  const phase = typeof status.reason === 'string' ? status.reason : String(status.phase ?? 'Unknown');
  return [
    `${ready}/${Math.max(specContainers, containers.length)}`,
    String(waiting ?? phase),
    String(restarts),
  ];
}

function nodeStatus(o: KubeObject): string {
  const conditions = (statusOf(o).conditions ?? []) as Json[];
  const ready = conditions.find((c) => c.type === 'Ready')?.status;
  const base = ready === 'True' ? 'Ready' : ready === 'False' ? 'NotReady' : 'Unknown';
  return o.spec?.unschedulable === true ? `${base},SchedulingDisabled` : base;
}

function nodeRoles(o: KubeObject): string {
  const roles = Object.keys(o.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  return roles.length ? roles.sort().join(',') : '<none>';
}

/** The table of one kind; `namespaced` rows start with the namespace, as `kubectl get -A` does. */
export function tableOf(
  kind: WorkloadKind,
  objects: readonly KubeObject[],
  now: number,
  wide: boolean,
): Table {
  const ns = kind.spec.namespaced ? ['NAMESPACE'] : [];
  const nsOf = (o: KubeObject) => (kind.spec.namespaced ? [o.metadata.namespace ?? ''] : []);
  const created = (o: KubeObject) => age(o.metadata.creationTimestamp, now);
  switch (kind.word) {
    case 'pods':
      return {
        headers: [...ns, 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(wide ? ['IP', 'NODE'] : [])],
        rows: objects.map((o) => [
          ...nsOf(o),
          o.metadata.name,
          ...podColumns(o),
          created(o),
          ...(wide ? [String(statusOf(o).podIP ?? '<none>'), String(o.spec?.nodeName ?? '<none>')] : []),
        ]),
      };
    case 'deploy':
      return {
        headers: [...ns, 'NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
        rows: objects.map((o) => {
          const s = statusOf(o);
          return [
            ...nsOf(o),
            o.metadata.name,
            `${num(s.readyReplicas)}/${num(o.spec?.replicas ?? 1)}`,
            String(num(s.updatedReplicas)),
            String(num(s.availableReplicas)),
            created(o),
          ];
        }),
      };
    case 'sts':
      return {
        headers: [...ns, 'NAME', 'READY', 'AGE'],
        rows: objects.map((o) => [
          ...nsOf(o),
          o.metadata.name,
          `${num(statusOf(o).readyReplicas)}/${num(o.spec?.replicas ?? 1)}`,
          created(o),
        ]),
      };
    case 'ds':
      return {
        headers: [...ns, 'NAME', 'DESIRED', 'READY', 'UNAVAILABLE', 'AGE'],
        rows: objects.map((o) => {
          const s = statusOf(o);
          return [
            ...nsOf(o),
            o.metadata.name,
            String(num(s.desiredNumberScheduled)),
            String(num(s.numberReady)),
            String(num(s.numberUnavailable)),
            created(o),
          ];
        }),
      };
    case 'nodes':
      return {
        headers: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', ...(wide ? ['OS-IMAGE'] : [])],
        rows: objects.map((o) => {
          const info = (statusOf(o).nodeInfo ?? {}) as Json;
          return [
            o.metadata.name,
            nodeStatus(o),
            nodeRoles(o),
            created(o),
            String(info.kubeletVersion ?? ''),
            ...(wide ? [String(info.osImage ?? '')] : []),
          ];
        }),
      };
    default: {
      return {
        headers: [...ns, 'NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'AGE'],
        rows: objects.map((o) => {
          const capacity = (statusOf(o).capacity ?? {}) as Json;
          const modes = Array.isArray(o.spec?.accessModes) ? (o.spec.accessModes as string[]) : [];
          return [
            ...nsOf(o),
            o.metadata.name,
            String(statusOf(o).phase ?? ''),
            String(o.spec?.volumeName ?? ''),
            String(capacity.storage ?? ''),
            modes.map(shortMode).join(','),
            String(o.spec?.storageClassName ?? ''),
            created(o),
          ];
        }),
      };
    }
  }
}

function shortMode(mode: string): string {
  return (
    { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' }[mode] ??
    mode
  );
}

/** Plain text, columns padded as kubectl prints them (for a file or a code block). */
export function plainTable(table: Table): string {
  const widths = table.headers.map((h, i) =>
    Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(table.headers), ...table.rows.map(line)].join('\n');
}
