/**
 * The monitoring stack itself (docs/platform/implementation-timeline.md, week 6: the VictoriaMetrics
 * operator with a VMCluster of vmstorage, vminsert and vmselect, VMAgent on both clusters, VMAlert
 * and Alertmanager, Victoria Logs; docs/platform/multi-cluster-overview.md: Gatus for external
 * endpoints). Read two ways: the operator's resources report `status.updateStatus` (operational,
 * expanding, failed, paused), and the workloads it creates (vmselect-<name>, vmalert-<name>,
 * vmalertmanager-<name>, vlogs-<name> …) by readiness. A plain Alertmanager or the Victoria Logs
 * Helm chart have no operator resource, so the workloads alone speak for them.
 */
import { KINDS } from '../kinds.js';
import { absent, objectsOf, ref, result } from '../objects.js';
import type { Check, Finding, KubeObject } from '../types.js';
import { namedWorkloads, type Role } from './named-workloads.js';

export const MONITORING_ROLES: readonly Role[] = [
  { name: 'VictoriaMetrics', pattern: /^(vmselect|vminsert|vmstorage|vmsingle)-/ },
  { name: 'VM operator', pattern: /^victoria-metrics-operator$/ },
  // vmagent-<name> from the operator, plain vmagent from the Helm chart.
  { name: 'VMAgent', pattern: /^vmagent(-|$)/ },
  { name: 'VMAlert', pattern: /^vmalert-/ },
  { name: 'Alertmanager', pattern: /^(vmalertmanager-|alertmanager)/ },
  { name: 'Victoria Logs', pattern: /^(vlogs-|vlsingle-|vlstorage-|vlselect-|vlinsert-)|victoria-logs/ },
  { name: 'Gatus', pattern: /^gatus/ },
];

const OPERATOR_KINDS = [
  ['vmclusters', 'VMCluster'],
  ['vmalerts', 'VMAlert'],
  ['vmalertmanagers', 'VMAlertmanager'],
  ['vlogs', 'VLogs'],
  ['vlsingles', 'VLSingle'],
] as const;

function operatorFinding(kind: string, object: KubeObject): Finding {
  const subject = `${kind} ${ref(object)}`;
  const state = typeof object.status?.updateStatus === 'string' ? object.status.updateStatus : undefined;
  const reason =
    typeof object.status?.reason === 'string' && object.status.reason ? `: ${object.status.reason}` : '';
  if (state === 'operational') return { status: 'ok', subject, reason: 'operational' };
  if (state === 'failed') return { status: 'fail', subject, reason: `failed${reason}` };
  // expanding (a rollout in progress), paused, or no status yet: not broken, worth a look.
  return { status: 'warn', subject, reason: state ? `${state}${reason}` : 'no status from the operator yet' };
}

export const monitoringCheck: Check = {
  component: 'monitoring',
  kinds: [
    KINDS.deployments,
    KINDS.statefulsets,
    KINDS.daemonsets,
    KINDS.vmclusters,
    KINDS.vmalerts,
    KINDS.vmalertmanagers,
    KINDS.vlogs,
    KINDS.vlsingles,
  ],
  run({ kinds, wide }) {
    const findings: Finding[] = [];
    for (const [id, kind] of OPERATOR_KINDS)
      for (const object of objectsOf(kinds, id)) findings.push(operatorFinding(kind, object));
    const workloads = namedWorkloads(kinds, MONITORING_ROLES);
    findings.push(...workloads.findings);
    if (findings.length === 0)
      return absent('monitoring', 'no VictoriaMetrics, Alertmanager, Victoria Logs or Gatus found');
    const bad = findings.filter((f) => f.status !== 'ok').length;
    const summary = `${workloads.found.join(', ') || 'operator resources only'}: ${
      bad === 0 ? 'all ready' : `${bad} of ${findings.length} not ready`
    }`;
    return result('monitoring', findings, summary, wide);
  },
};
