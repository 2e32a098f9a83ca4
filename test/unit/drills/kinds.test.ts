/** The pure parts of the mesh-gateway and backup-restore drills. */
import { describe, expect, it } from 'vitest';
import {
  backupCovers,
  newestCompleted,
  RESTORE_NAMESPACE,
  restoreObject,
} from '../../../src/drills/kinds/backup-restore.js';
import { peerView } from '../../../src/drills/kinds/clustermesh-resilience.js';
import { goDurationMs, mirrorSelector, noticeWindowMs } from '../../../src/drills/kinds/mesh-gateway.js';
import { endpointAddresses, replicasProblem } from '../../../src/drills/kinds/scaled-deployment.js';
import {
  replicationDestination,
  SCRATCH_NAMESPACE,
  scratchName,
  scratchPvc,
} from '../../../src/drills/kinds/volsync-restore.js';
import type { KubeObject } from '../../../src/kube/cluster-ops.js';

function backup(
  name: string,
  phase: string,
  completed: string | undefined,
  spec: Record<string, unknown> = {},
) {
  return {
    metadata: { name },
    spec,
    status: { phase, ...(completed ? { completionTimestamp: completed } : {}) },
  } as KubeObject;
}

describe('mesh-gateway', () => {
  it('counts ready and not-ready addresses over all subsets', () => {
    expect(endpointAddresses(undefined)).toEqual({ ready: 0, notReady: 0 });
    expect(endpointAddresses({ subsets: [] } as KubeObject)).toEqual({ ready: 0, notReady: 0 });
    expect(
      endpointAddresses({
        subsets: [
          { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }] },
          { notReadyAddresses: [{ ip: '10.0.0.3' }] },
        ],
      } as KubeObject),
    ).toEqual({ ready: 2, notReady: 1 });
  });

  it('selects the mirrors of one cluster, leaving out remote-discovery mirrors (no endpoints by design)', () => {
    expect(mirrorSelector('infra')).toBe(
      'mirror.linkerd.io/mirrored-service=true,mirror.linkerd.io/cluster-name=infra,!mirror.linkerd.io/remote-discovery',
    );
  });

  it('waits for the peers as long as their Links probe: period × failure threshold + 30s, the longest', () => {
    expect(goDurationMs('3s')).toBe(3000);
    expect(goDurationMs('1m0s')).toBe(60_000);
    expect(goDurationMs(7)).toBeUndefined();
    const link = (period: string, failureThreshold?: string) =>
      ({ spec: { probeSpec: { period, ...(failureThreshold ? { failureThreshold } : {}) } } }) as KubeObject;
    expect(noticeWindowMs([])).toBe(60_000);
    expect(noticeWindowMs([link('3s', '3')])).toBe(39_000);
    // Unset threshold: Linkerd's default of 3.
    expect(noticeWindowMs([link('10s')])).toBe(60_000);
    expect(noticeWindowMs([link('3s', '3'), link('1m0s', '2')])).toBe(150_000);
    expect(noticeWindowMs([link('soon', '3')])).toBe(60_000);
  });
});

describe('backup-restore', () => {
  it('knows which namespaces a Backup includes', () => {
    expect(backupCovers(backup('a', 'Completed', undefined), 'harbor')).toBe(true);
    expect(backupCovers(backup('a', 'Completed', undefined, { includedNamespaces: ['*'] }), 'harbor')).toBe(
      true,
    );
    expect(
      backupCovers(
        backup('a', 'Completed', undefined, { includedNamespaces: ['*'], excludedNamespaces: ['harbor'] }),
        'harbor',
      ),
    ).toBe(false);
    expect(
      backupCovers(backup('a', 'Completed', undefined, { includedNamespaces: ['gitlab'] }), 'harbor'),
    ).toBe(false);
    expect(
      backupCovers(
        backup('a', 'Completed', undefined, { includedNamespaces: ['gitlab', 'harbor'] }),
        'harbor',
      ),
    ).toBe(true);
  });

  it('picks the newest Completed Backup that includes the namespace', () => {
    const backups = [
      backup('old', 'Completed', '2026-11-20T02:00:00Z'),
      backup('failed-newer', 'Failed', '2026-11-23T02:00:00Z'),
      backup('other-ns', 'Completed', '2026-11-23T03:00:00Z', { includedNamespaces: ['gitlab'] }),
      backup('newest', 'Completed', '2026-11-22T02:00:00Z'),
      backup('running', 'InProgress', undefined),
    ];
    expect(newestCompleted(backups, 'harbor')?.metadata?.name).toBe('newest');
    expect(newestCompleted(backups, 'gitlab')?.metadata?.name).toBe('other-ns');
    expect(newestCompleted([backup('x', 'Failed', '2026-11-23T02:00:00Z')], 'harbor')).toBeUndefined();
  });

  it('restores one namespace of the backup into the scratch namespace', () => {
    expect(restoreObject('coxswain-drill-1', 'apps-daily-1', 'harbor')).toEqual({
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: {
        name: 'coxswain-drill-1',
        namespace: 'velero',
        labels: { 'app.kubernetes.io/managed-by': 'coxswain', 'coxswain.dev/drill': 'backup-restore' },
      },
      spec: {
        backupName: 'apps-daily-1',
        includedNamespaces: ['harbor'],
        namespaceMapping: { harbor: RESTORE_NAMESPACE },
      },
    });
  });

  it('the chart lets the operator delete the same scratch namespace the drill restores into', async () => {
    const { readFileSync } = await import('node:fs');
    const values = readFileSync(new URL('../../../charts/coxswain/values.yaml', import.meta.url), 'utf8');
    expect(values).toMatch(new RegExp(`^  restoreNamespace: ${RESTORE_NAMESPACE}$`, 'm'));
  });
});

describe('volsync-restore', () => {
  const state = {
    target: scratchName('harbor-registry-data'),
    repository: 'harbor-registry-data-volsync-secret',
    capacity: '20Gi',
    storageClassName: 'ceph-block',
    accessModes: ['ReadWriteOnce'],
    trigger: 'coxswain-abc',
  };

  it('names the scratch objects by the source, within a Kubernetes name', () => {
    expect(scratchName('harbor-registry-data')).toBe('coxswain-drill-harbor-registry-data');
    const long = scratchName('x'.repeat(70));
    expect(long.length).toBe(63);
    expect(scratchName(`${'y'.repeat(47)}-z`)).toBe(`coxswain-drill-${'y'.repeat(47)}`);
  });

  it('sizes the scratch PVC like the source volume, in the scratch namespace', () => {
    expect(scratchPvc(state)).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'coxswain-drill-harbor-registry-data',
        namespace: SCRATCH_NAMESPACE,
        labels: { 'app.kubernetes.io/managed-by': 'coxswain', 'coxswain.dev/drill': 'volsync-restore' },
      },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '20Gi' } },
        storageClassName: 'ceph-block',
      },
    });
  });

  it('asks VolSync for one manual restic restore of the repository straight into that PVC', () => {
    expect(replicationDestination(state).spec).toEqual({
      trigger: { manual: 'coxswain-abc' },
      restic: {
        repository: 'harbor-registry-data-volsync-secret',
        destinationPVC: 'coxswain-drill-harbor-registry-data',
        copyMethod: 'Direct',
      },
    });
  });

  it('the chart lets the operator create PVCs and ReplicationDestinations in the same scratch namespace', async () => {
    const { readFileSync } = await import('node:fs');
    const values = readFileSync(new URL('../../../charts/coxswain/values.yaml', import.meta.url), 'utf8');
    expect(values).toMatch(new RegExp(`^  scratchNamespace:\n    name: ${SCRATCH_NAMESPACE}$`, 'm'));
    const rbac = readFileSync(new URL('../../../deploy/rbac/rbac.yaml', import.meta.url), 'utf8');
    const role = rbac.split('\n---\n').find((doc) => doc.includes('name: coxswain-operator-scratch'));
    expect(role).toContain(`namespace: ${SCRATCH_NAMESPACE}`);
    expect(role).toMatch(
      /resources:\s*\n\s*- persistentvolumeclaims\s*\n\s*verbs:\s*\n\s*- create\s*\n\s*- delete/,
    );
  });
});

describe('clustermesh-resilience', () => {
  const known = (remotes: { cluster: string; agents: number; ready: number }[]) =>
    ({ state: 'known', remotes }) as const;

  it("reads one peer's agents for the drilled cluster: ready only when every agent says so", () => {
    expect(peerView('apps', known([{ cluster: 'infra', agents: 3, ready: 3 }]), 'infra')).toEqual({
      peer: 'apps',
      state: 'ready',
      ready: 3,
      agents: 3,
    });
    expect(peerView('apps', known([{ cluster: 'infra', agents: 3, ready: 2 }]), 'infra').state).toBe(
      'not-ready',
    );
    expect(peerView('apps', known([{ cluster: 'infra', agents: 3, ready: 0 }]), 'infra').state).toBe(
      'not-ready',
    );
  });

  it('tells a remote the agents do not know, and metrics it cannot read, from a remote that is down', () => {
    expect(peerView('apps', known([{ cluster: 'edge', agents: 3, ready: 3 }]), 'infra')).toEqual({
      peer: 'apps',
      state: 'absent',
    });
    expect(peerView('apps', { state: 'unreachable', error: 'no answer within 5000 ms' }, 'infra')).toEqual({
      peer: 'apps',
      state: 'unknown',
      error: 'no answer within 5000 ms',
    });
    expect(peerView('apps', { state: 'not-configured' }, 'infra').state).toBe('unknown');
  });

  it('the generated RBAC lets the operator scale exactly the drilled Deployment, on both clusters', async () => {
    const { readFileSync } = await import('node:fs');
    const { loadDrills } = await import('../../../src/drills/definitions.js');
    const defaults = loadDrills().find((d) => d.name === 'clustermesh-resilience')?.defaults;
    for (const file of ['../../../deploy/rbac/rbac.yaml', '../../../deploy/infra/rbac.yaml']) {
      const rbac = readFileSync(new URL(file, import.meta.url), 'utf8');
      const role = rbac
        .split('\n---\n')
        .find((doc) => doc.includes('kind: Role\n') && doc.includes('name: coxswain-operator-clustermesh'));
      expect(role, file).toContain(`namespace: ${defaults?.namespace}`);
      expect(role, file).toMatch(
        new RegExp(
          `resourceNames:\\s*\\n\\s*- ${defaults?.workload}\\s*\\n\\s*resources:\\s*\\n\\s*- deployments/scale\\s*\\n\\s*verbs:\\s*\\n\\s*- patch`,
        ),
      );
    }
  });
});

describe('scaled-deployment', () => {
  it('refuses a Deployment already at zero or not all Ready, and takes one that is', () => {
    expect(replicasProblem({ desired: 0, ready: 0 }, 'gateway', 'ns/gw')).toBe(
      'The gateway ns/gw is already scaled to zero; scale it up before the drill.',
    );
    expect(replicasProblem({ desired: 3, ready: 2 }, 'gateway', 'ns/gw')).toBe(
      'The gateway ns/gw has 2 of 3 replicas Ready; a drill on a degraded gateway measures nothing.',
    );
    expect(replicasProblem({ desired: 2, ready: 2 }, 'gateway', 'ns/gw')).toBeUndefined();
  });
});
