/**
 * Real servers: two kube-apiservers (infra, apps) with etcd, kube-controller-manager,
 * kube-scheduler and kwok (fake kubelets), started by test/stack/global-setup.ts. Read-only:
 * checks the seed the bot's health checks rely on.
 */
import { describe, expect, it } from 'vitest';
import { loadStackEnv, type StackCluster } from '../../stack/env.js';
import { kubectlJson, kubectlRun } from '../../stack/kubectl.js';

const env = loadStackEnv();

interface Condition {
  type: string;
  status: string;
  reason?: string;
}
interface Obj {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: status shapes differ per kind
  status?: any;
}
interface List {
  items: Obj[];
}

const ready = (o: Obj) =>
  (o.status?.conditions as Condition[] | undefined)?.find((c) => c.type === 'Ready')?.status;

describe.each<[StackCluster, string]>([
  ['infra', 'infra'],
  ['apps', 'apps'],
])('%s cluster', (cluster, prefix) => {
  it(`has Ready Talos control-plane nodes ${prefix}-01..03`, () => {
    const nodes = kubectlJson<List>(env, cluster, ['get', 'nodes']).items;
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual([
      `${prefix}-01`,
      `${prefix}-02`,
      `${prefix}-03`,
    ]);
    for (const n of nodes) {
      expect(ready(n), n.metadata.name).toBe('True');
      expect(n.metadata.labels?.['node-role.kubernetes.io/control-plane']).toBe('');
      expect(n.status.nodeInfo.osImage).toMatch(/^Talos \(v1\.11/);
    }
  });

  it('has node leases renewed by kwok, so the nodes stay Ready past the grace period', () => {
    const leases = kubectlJson<List>(env, cluster, ['-n', 'kube-node-lease', 'get', 'leases']).items;
    expect(leases.map((l) => l.metadata.name).sort()).toEqual([
      `${prefix}-01`,
      `${prefix}-02`,
      `${prefix}-03`,
    ]);
    for (const l of leases) {
      const renewed = Date.parse(l.spec?.renewTime as string);
      expect(Date.now() - renewed, l.metadata.name).toBeLessThan(40_000);
    }
    const nodes = kubectlJson<List>(env, cluster, ['get', 'nodes']).items;
    for (const n of nodes) expect(n.spec?.taints ?? [], n.metadata.name).toEqual([]);
  });

  it('answers for Flux Kustomizations, all Ready', () => {
    const ks = kubectlJson<List>(env, cluster, [
      'get',
      'kustomizations.kustomize.toolkit.fluxcd.io',
      '-A',
    ]).items;
    expect(ks.length).toBeGreaterThan(5);
    for (const k of ks) expect(ready(k), k.metadata.name).toBe('True');
    const hrs = kubectlJson<List>(env, cluster, ['get', 'helmreleases.helm.toolkit.fluxcd.io', '-A']).items;
    expect(hrs.length).toBeGreaterThan(5);
    for (const h of hrs) expect(ready(h), h.metadata.name).toBe('True');
  });

  it('runs every seeded Deployment, StatefulSet and DaemonSet fully ready', () => {
    const all = kubectlJson<List>(env, cluster, ['get', 'deployments,statefulsets,daemonsets', '-A']).items;
    expect(all.length).toBeGreaterThan(20);
    for (const o of all) {
      const s = o.status ?? {};
      const want = s.desiredNumberScheduled ?? o.spec?.replicas;
      const have = s.numberReady ?? s.readyReplicas ?? 0;
      expect(have, `${o.metadata.namespace}/${o.metadata.name}`).toBe(want);
    }
  });

  it('has a CephCluster in HEALTH_OK and RBAC authorization on', () => {
    const cc = kubectlJson<Obj>(env, cluster, [
      '-n',
      'rook-ceph',
      'get',
      'cephclusters.ceph.rook.io',
      'rook-ceph',
    ]);
    expect(cc.status.ceph.health).toBe('HEALTH_OK');
    // RBAC is on: an unbound service account may not list secrets.
    // (kubectl auth can-i exits 1 when the answer is no)
    const can = kubectlRun(env, cluster, [
      'auth',
      'can-i',
      'list',
      'secrets',
      '--as=system:serviceaccount:default:nobody',
      '-n',
      'kube-system',
    ]).stdout.trim();
    expect(can).toBe('no');
  });
});

describe('infra platform objects', () => {
  it('answers for clusters.postgresql.cnpg.io: postgres healthy with 3 instances on infra-01..03', () => {
    const pg = kubectlJson<Obj>(env, 'infra', [
      '-n',
      'databases',
      'get',
      'clusters.postgresql.cnpg.io',
      'postgres',
    ]);
    expect(pg.spec?.instances).toBe(3);
    expect(pg.status.phase).toBe('Cluster in healthy state');
    expect(pg.status.readyInstances).toBe(3);
    expect(pg.status.currentPrimary).toBe('postgres-1');
    const pods = kubectlJson<List>(env, 'infra', [
      '-n',
      'databases',
      'get',
      'pods',
      '-l',
      'cnpg.io/cluster=postgres',
    ]).items;
    expect(pods.map((p) => p.spec?.nodeName).sort()).toEqual(['infra-01', 'infra-02', 'infra-03']);
  });

  it('answers for cephclusters, Velero backups and VolSync sources with recent times', () => {
    expect(kubectlJson<List>(env, 'infra', ['get', 'cephclusters.ceph.rook.io', '-A']).items).toHaveLength(1);
    const backups = kubectlJson<List>(env, 'infra', ['-n', 'velero', 'get', 'backups.velero.io']).items;
    const newest = Math.max(...backups.map((b) => Date.parse(b.status.completionTimestamp)));
    expect(Date.now() - newest).toBeLessThan(24 * 3600e3);
    const rs = kubectlJson<List>(env, 'infra', ['get', 'replicationsources.volsync.backube', '-A']).items;
    expect(rs.length).toBeGreaterThan(0);
    for (const r of rs) expect(Date.now() - Date.parse(r.status.lastSyncTime)).toBeLessThan(6 * 3600e3);
  });
});

describe('apps platform objects', () => {
  it('answers for links.multicluster.linkerd.io and has the mirrored postgres-rw-infra service', () => {
    const link = kubectlJson<Obj>(env, 'apps', [
      '-n',
      'linkerd-multicluster',
      'get',
      'links.multicluster.linkerd.io',
      'infra',
    ]);
    expect(link.spec?.targetClusterName).toBe('infra');
    const svc = kubectlJson<Obj>(env, 'apps', ['-n', 'databases', 'get', 'service', 'postgres-rw-infra']);
    expect(svc.metadata.labels?.['mirror.linkerd.io/mirrored-service']).toBe('true');
    expect(svc.metadata.labels?.['mirror.linkerd.io/cluster-name']).toBe('infra');
  });
});
