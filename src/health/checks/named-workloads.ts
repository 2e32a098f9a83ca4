/**
 * Workloads found by name, for components that have no API of their own to ask (or whose operator
 * creates the workloads under predictable names): every Deployment, StatefulSet and DaemonSet whose
 * name matches a role's pattern, in any namespace, with its readiness.
 */
import { objectsOf } from '../objects.js';
import type { Finding, KindState, KubeObject } from '../types.js';
import { workload } from './workloads.js';

export interface Role {
  /** How a report names it, e.g. `VMAlert`. */
  name: string;
  pattern: RegExp;
}

const KINDS = [
  ['deployments', 'deployment'],
  ['statefulsets', 'statefulset'],
  ['daemonsets', 'daemonset'],
] as const;

/** Each matching workload's readiness, its subject prefixed with the role; and which roles were found. */
export function namedWorkloads(
  kinds: Map<string, KindState>,
  roles: readonly Role[],
): { findings: Finding[]; found: string[] } {
  const findings: Finding[] = [];
  const found = new Set<string>();
  for (const [id, kind] of KINDS) {
    for (const object of objectsOf(kinds, id)) {
      const role = roleOf(object, roles);
      if (!role) continue;
      found.add(role.name);
      const finding = workload(kind, object);
      if (finding) findings.push({ ...finding, subject: `${role.name}: ${finding.subject}` });
    }
  }
  return { findings, found: roles.filter((r) => found.has(r.name)).map((r) => r.name) };
}

function roleOf(object: KubeObject, roles: readonly Role[]): Role | undefined {
  return roles.find((r) => r.pattern.test(object.metadata.name));
}
