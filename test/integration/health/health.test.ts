/**
 * `/ops health` on the test stack's two real API servers: the healthy seed is all ok; each
 * degradation shows with its reason (and is restored after); an unreachable cluster is reported
 * as such without hiding the other.
 */
import { describe, expect, it } from 'vitest';
import { renderHealth, renderMesh } from '../../../src/health/render.js';
import { component, eventually, getJson, k, patchStatus, problems, seededHealth } from './support.js';

const { health, restore } = seededHealth();

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

describe('health on the healthy seed', () => {
  it('reports every installed component of both clusters ok, and cnpg absent on apps', async () => {
    const reports = await health.check({});
    expect(reports.map((r) => [r.cluster, r.reachable])).toEqual([
      ['infra', true],
      ['apps', true],
    ]);
    for (const report of reports)
      for (const c of report.components)
        expect([report.cluster, c.component, c.status, c.findings]).toEqual([
          report.cluster,
          c.component,
          report.cluster === 'apps' && c.component === 'cnpg' ? 'absent' : 'ok',
          [],
        ]);
    expect(component(reports, 'infra', 'nodes').summary).toBe('3/3 Ready; v1.34.1, Talos (v1.11.2)');
    expect(component(reports, 'infra', 'ceph').summary).toMatch(/^HEALTH_OK; 3\/3 OSD pods running$/);
    const message = renderHealth(reports);
    expect(message.severity).toBe('ok');
    expect(message.text).toContain('#### infra: ok');
  });

  it('answers one cluster and one component, with every check listed in wide output', async () => {
    const [report, ...rest] = await health.check({ cluster: 'infra', components: ['cnpg'], wide: true });
    expect(rest).toEqual([]);
    expect(report?.components.map((c) => c.component)).toEqual(['cnpg']);
    expect(report?.components[0]?.findings).toEqual([
      {
        status: 'ok',
        subject: 'Cluster databases/postgres',
        reason: '3/3 instances ready, primary postgres-1, phase "Cluster in healthy state"',
      },
      {
        status: 'ok',
        subject: 'backups of databases/postgres (postgres-daily)',
        reason: expect.stringMatching(/^newest completed \d+h(\d+m)?(\d+s)? ago, scheduled every 1d$/),
      },
    ]);
  });
});

describe('health shows each degradation with its reason', () => {
  it('a Kustomization Ready=False', async () => {
    const ks = getJson<{ status: { conditions: Condition[] } }>('infra', [
      'get',
      'kustomization',
      'cilium',
      '-n',
      'flux-system',
    ]);
    restore.push(() =>
      patchStatus('infra', 'kustomization', 'cilium', 'flux-system', { conditions: ks.status.conditions }),
    );
    patchStatus('infra', 'kustomization', 'cilium', 'flux-system', {
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'ReconciliationFailed',
          message: 'kustomize build failed: missing Resource metadata',
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z/, 'Z'),
        },
      ],
    });
    const flux = await eventually('flux to fail', async () => {
      const c = component(await health.check({ cluster: 'infra', components: ['flux'] }), 'infra', 'flux');
      return c.status === 'fail' && c;
    });
    expect(problems(flux)).toEqual([
      'fail Kustomization flux-system/cilium: Ready=False (ReconciliationFailed): kustomize build failed: missing Resource metadata',
    ]);
  });

  it('a CephCluster in HEALTH_WARN', async () => {
    const ceph = getJson<{ status: { ceph: Record<string, unknown> } }>('infra', [
      'get',
      'cephcluster',
      'rook-ceph',
      '-n',
      'rook-ceph',
    ]);
    restore.push(() =>
      patchStatus('infra', 'cephcluster', 'rook-ceph', 'rook-ceph', {
        ceph: { ...ceph.status.ceph, details: null },
      }),
    );
    patchStatus('infra', 'cephcluster', 'rook-ceph', 'rook-ceph', {
      ceph: {
        health: 'HEALTH_WARN',
        details: { OSD_DOWN: { message: '1 osds down', severity: 'HEALTH_WARN' } },
      },
    });
    const result = await eventually('ceph to warn', async () => {
      const c = component(await health.check({ cluster: 'infra', components: ['ceph'] }), 'infra', 'ceph');
      return c.status === 'warn' && c;
    });
    expect(problems(result)).toEqual([
      'warn CephCluster rook-ceph/rook-ceph: HEALTH_WARN: OSD_DOWN: 1 osds down',
    ]);
  });

  it('a CloudNativePG instance not ready', async () => {
    const pg = getJson<{ status: Record<string, unknown> }>('infra', [
      'get',
      'clusters.postgresql.cnpg.io',
      'postgres',
      '-n',
      'databases',
    ]);
    restore.push(() =>
      patchStatus('infra', 'clusters.postgresql.cnpg.io', 'postgres', 'databases', {
        readyInstances: pg.status.readyInstances,
        phase: pg.status.phase,
        instancesStatus: { ...(pg.status.instancesStatus as object), failed: null },
      }),
    );
    patchStatus('infra', 'clusters.postgresql.cnpg.io', 'postgres', 'databases', {
      readyInstances: 2,
      phase: 'Waiting for the instances to become active',
      instancesStatus: { healthy: ['postgres-1', 'postgres-2'], failed: ['postgres-3'] },
    });
    const result = await eventually('cnpg to warn', async () => {
      const c = component(await health.check({ cluster: 'infra', components: ['cnpg'] }), 'infra', 'cnpg');
      return c.status === 'warn' && c;
    });
    expect(problems(result)).toEqual([
      'warn Cluster databases/postgres: 2/3 instances ready, primary postgres-1, phase "Waiting for the instances to become active"; postgres-3 failed',
    ]);
  });

  it('a VolSync backup older than the RPO', async () => {
    const list = getJson<{
      items: { metadata: { name: string; namespace: string }; status: { lastSyncTime: string } }[];
    }>('apps', ['get', 'replicationsources', '-A']);
    const target = list.items[0];
    if (!target) throw new Error('the seed has no ReplicationSource on apps');
    const { name, namespace } = target.metadata;
    restore.push(() =>
      patchStatus('apps', 'replicationsource', name, namespace, { lastSyncTime: target.status.lastSyncTime }),
    );
    const stale = new Date(Date.now() - 7 * 3_600_000).toISOString().replace(/\.\d+Z/, 'Z');
    patchStatus('apps', 'replicationsource', name, namespace, { lastSyncTime: stale });
    const result = await eventually('volsync to fail', async () => {
      const c = component(
        await health.check({ cluster: 'apps', components: ['volsync'] }),
        'apps',
        'volsync',
      );
      return c.status === 'fail' && c;
    });
    expect(problems(result)).toHaveLength(1);
    expect(problems(result)[0]).toMatch(
      new RegExp(
        `^fail ReplicationSource ${namespace}/${name}: last sync 7h(\\d+s)? ago, older than the RPO of 6h$`,
      ),
    );
  });

  it('a Link whose gateway is gone: the mesh says the path is down, and why', async () => {
    restore.push(() =>
      k('infra', ['scale', 'deployment', 'linkerd-gateway', '-n', 'linkerd-multicluster', '--replicas=1']),
    );
    k('infra', ['scale', 'deployment', 'linkerd-gateway', '-n', 'linkerd-multicluster', '--replicas=0']);
    const mesh = await eventually('the path to be down', async () => {
      const report = await health.mesh();
      return report.paths.some((p) => !p.up) && report;
    });
    expect(mesh.paths.map((p) => [p.from, p.to, p.up, p.problems])).toEqual([
      [
        'apps',
        'infra',
        false,
        ['gateway linkerd-multicluster/linkerd-gateway on infra has 0/0 ready replicas'],
      ],
    ]);
    expect(renderMesh(mesh).text.split('\n')[0]).toBe('Up: none. Down: apps → infra.');
    // Restored, the path is up again.
    restore.pop()?.();
    await eventually('the path to be up', async () => (await health.mesh()).paths.every((p) => p.up), 60_000);
  });

  it('a node NotReady', async () => {
    // A node no kwok manages, so nothing heartbeats it back to Ready; its taint keeps the
    // DaemonSets from scheduling pods onto it (which would degrade the workloads check too).
    k(
      'infra',
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'health-test-node' },
        spec: { taints: [{ key: 'coxswain.dev/health-test', effect: 'NoSchedule' }] },
      }),
    );
    restore.push(() =>
      k('infra', ['delete', 'node', 'health-test-node', '--ignore-not-found', '--wait=false']),
    );
    patchStatus('infra', 'node', 'health-test-node', undefined, {
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'KubeletNotReady',
          message: 'container runtime network not ready',
          lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z/, 'Z'),
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z/, 'Z'),
        },
      ],
    });
    const result = await eventually('nodes to fail', async () => {
      const c = component(await health.check({ cluster: 'infra', components: ['nodes'] }), 'infra', 'nodes');
      return c.status === 'fail' && c;
    });
    expect(result.summary.startsWith('3/4 Ready')).toBe(true);
    expect(problems(result)[0]).toMatch(/^fail health-test-node: NotReady: Ready=(False|Unknown) \(/);
  });

  it('a crash-looping pod, with its restarts and last termination reason', async () => {
    k('apps', ['create', 'namespace', 'health-test']);
    restore.push(() => k('apps', ['delete', 'namespace', 'health-test', '--wait=false']));
    // No kubelet will confirm the deletion of a pod on a node nobody runs: force it.
    restore.push(() =>
      k('apps', [
        'delete',
        'pod',
        'crasher',
        '-n',
        'health-test',
        '--grace-period=0',
        '--force',
        '--ignore-not-found',
      ]),
    );
    // Bound to a node no kwok manages, so its status stays as the test writes it.
    k(
      'apps',
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'crasher', namespace: 'health-test' },
        spec: {
          nodeName: 'health-test-ghost',
          containers: [{ name: 'app', image: 'registry.example/app:1' }],
        },
      }),
    );
    patchStatus('apps', 'pod', 'crasher', 'health-test', {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          image: 'registry.example/app:1',
          imageID: '',
          ready: false,
          started: false,
          restartCount: 9,
          state: {
            waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' },
          },
          lastState: {
            terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: null, finishedAt: null },
          },
        },
      ],
    });
    const result = await eventually('workloads to fail', async () => {
      const c = component(
        await health.check({ cluster: 'apps', components: ['workloads'] }),
        'apps',
        'workloads',
      );
      return c.status === 'fail' && c;
    });
    expect(problems(result)).toEqual([
      'fail pod health-test/crasher: app: CrashLoopBackOff, 9 restarts, last terminated: OOMKilled',
    ]);
  });
});
