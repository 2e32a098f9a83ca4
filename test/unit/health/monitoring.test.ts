import { describe, expect, it } from 'vitest';
import { externalDnsCheck } from '../../../src/health/checks/external-dns.js';
import { monitoringCheck } from '../../../src/health/checks/monitoring.js';
import { deployment, input } from './fixtures.js';

const statefulset = (namespace: string, name: string, replicas: number, readyReplicas: number) => ({
  ...deployment(namespace, name, replicas, readyReplicas),
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
});
const vmResource = (kind: string, name: string, updateStatus?: string, reason?: string) => ({
  apiVersion: 'operator.victoriametrics.com/v1beta1',
  kind,
  metadata: { name, namespace: 'monitoring', generation: 1 },
  spec: {},
  ...(updateStatus ? { status: { updateStatus, ...(reason ? { reason } : {}) } } : {}),
});

/** The platform's monitoring on infra as the VM operator names it (docs/platform/implementation-timeline.md). */
const stack = (overrides: { vmselectReady?: number; alertmanager?: string } = {}) =>
  input(
    {
      deployments: [
        deployment('monitoring', 'vminsert-vmcluster', 2, 2),
        deployment('monitoring', 'vmalert-vmalert', 1, 1),
        deployment('monitoring', 'gatus', 1, 1),
        deployment('external-dns', 'external-dns', 1, 1),
        deployment('kube-system', 'coredns', 2, 2),
      ],
      statefulsets: [
        statefulset('monitoring', 'vmselect-vmcluster', 2, overrides.vmselectReady ?? 2),
        statefulset('monitoring', 'vmstorage-vmcluster', 3, 3),
        statefulset('monitoring', 'vmalertmanager-alertmanager', 1, 1),
        statefulset('monitoring', 'vlogs-victoria-logs', 1, 1),
      ],
      vmclusters: [vmResource('VMCluster', 'vmcluster', 'operational')],
      vmalertmanagers: [
        vmResource('VMAlertmanager', 'alertmanager', overrides.alertmanager ?? 'operational'),
      ],
    },
    { wide: true },
  );

describe('monitoring', () => {
  it('is absent when none of its workloads or resources exist', () => {
    expect(
      monitoringCheck.run(input({ deployments: [deployment('kube-system', 'coredns', 1, 1)] })).status,
    ).toBe('absent');
  });

  it('lists every part of the stack ready and the operator resources operational', () => {
    const r = monitoringCheck.run(stack());
    expect(r.status).toBe('ok');
    expect(r.summary).toBe('VictoriaMetrics, VMAlert, Alertmanager, Victoria Logs, Gatus: all ready');
    expect(r.findings.map((f) => f.subject)).toEqual([
      'VMCluster monitoring/vmcluster',
      'VMAlertmanager monitoring/alertmanager',
      'VictoriaMetrics: deployment monitoring/vminsert-vmcluster',
      'VMAlert: deployment monitoring/vmalert-vmalert',
      'Gatus: deployment monitoring/gatus',
      'VictoriaMetrics: statefulset monitoring/vmselect-vmcluster',
      'VictoriaMetrics: statefulset monitoring/vmstorage-vmcluster',
      'Alertmanager: statefulset monitoring/vmalertmanager-alertmanager',
      'Victoria Logs: statefulset monitoring/vlogs-victoria-logs',
    ]);
  });

  it('warns for vmselect partly ready and fails for one not ready at all', () => {
    expect(monitoringCheck.run(stack({ vmselectReady: 1 })).findings).toContainEqual({
      status: 'warn',
      subject: 'VictoriaMetrics: statefulset monitoring/vmselect-vmcluster',
      reason: '1/2 ready',
    });
    expect(monitoringCheck.run(stack({ vmselectReady: 0 })).status).toBe('fail');
  });

  it('fails a failed operator resource with its reason and warns while it expands', () => {
    const failed = monitoringCheck.run(stack({ alertmanager: 'failed' }));
    expect(failed.status).toBe('fail');
    expect(
      monitoringCheck.run(
        input({
          vmalertmanagers: [vmResource('VMAlertmanager', 'am', 'failed', 'cannot create statefulset')],
        }),
      ).findings,
    ).toEqual([
      {
        status: 'fail',
        subject: 'VMAlertmanager monitoring/am',
        reason: 'failed: cannot create statefulset',
      },
    ]);
    expect(monitoringCheck.run(stack({ alertmanager: 'expanding' })).status).toBe('warn');
  });
});

describe('external-dns', () => {
  it('is absent without its workload, ok when ready, failing when not', () => {
    expect(
      externalDnsCheck.run(input({ deployments: [deployment('monitoring', 'gatus', 1, 1)] })).status,
    ).toBe('absent');
    expect(externalDnsCheck.run(stack()).status).toBe('ok');
    const down = externalDnsCheck.run(
      input({ deployments: [deployment('external-dns', 'external-dns', 1, 0)] }),
    );
    expect(down.status).toBe('fail');
    expect(down.findings).toEqual([
      { status: 'fail', subject: 'external-dns: deployment external-dns/external-dns', reason: '0/1 ready' },
    ]);
  });
});
