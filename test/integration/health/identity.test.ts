/**
 * The checks as the bot's own read-only account (a ServiceAccount token, the read rules of the
 * chart's reader ClusterRole): everything it may read is checked; what it may not read is named
 * as a missing permission, never reported as an outage of the cluster.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ClusterReader } from '../../../src/health/types.js';
import { engine, env, k, reader } from './support.js';

const NS = 'coxswain-health-identity';
const ROLE = 'coxswain-health-identity-reader';
const SHIPPED_ROLE = 'coxswain-health-identity-shipped';
const TRUST_ROOTS_ROLE = 'coxswain-health-identity-trust-roots';
let kubeconfig = '';
let shippedKubeconfig = '';
const readers: ClusterReader[] = [];

/** The read rules the chart ships (deploy/rbac/rbac.yaml is rendered from it and kept in step by a test). */
function shippedDocs(): Record<string, unknown>[] {
  const path = new URL('../../../deploy/rbac/rbac.yaml', import.meta.url).pathname;
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
}

function shippedReadRules(): unknown[] {
  const docs = shippedDocs();
  const role = docs.find(
    (d) => d?.kind === 'ClusterRole' && String((d.metadata as { name: string }).name).endsWith('-read'),
  );
  if (!role) throw new Error('no reader ClusterRole in deploy/rbac/rbac.yaml');
  return role.rules as unknown[];
}

/** A ServiceAccount bound to a ClusterRole with these rules, and a kubeconfig with its token. */
function account(name: string, role: string, rules: unknown[]): string {
  k('infra', ['create', 'serviceaccount', name, '-n', NS]);
  k(
    'infra',
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: role },
      rules,
    }),
  );
  k('infra', [
    'create',
    'clusterrolebinding',
    role,
    `--clusterrole=${role}`,
    `--serviceaccount=${NS}:${name}`,
  ]);
  const token = k('infra', ['create', 'token', name, '-n', NS, '--duration=1h']).trim();
  const path = join(tmpdir(), `coxswain-health-identity-${name}-${process.pid}.kubeconfig`);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'infra',
          cluster: { server: env.KUBE_APISERVER_URL_INFRA, 'certificate-authority': env.KUBE_CA_INFRA },
        },
      ],
      users: [{ name, user: { token } }],
      contexts: [{ name: 'coxswain@infra', context: { cluster: 'infra', user: name } }],
      'current-context': 'coxswain@infra',
    }),
  );
  return path;
}

/** Deliberately short of the shipped rules: no services, endpoints, ciliumnodes, BSLs, ClusterSecretStores. */
const readRules = [
  { apiGroups: [''], resources: ['nodes', 'pods'] },
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'] },
  { apiGroups: ['kustomize.toolkit.fluxcd.io'], resources: ['kustomizations'] },
  { apiGroups: ['helm.toolkit.fluxcd.io'], resources: ['helmreleases'] },
  { apiGroups: ['ceph.rook.io'], resources: ['cephclusters'] },
  { apiGroups: ['postgresql.cnpg.io'], resources: ['clusters', 'backups', 'scheduledbackups'] },
  {
    apiGroups: ['source.toolkit.fluxcd.io'],
    resources: ['gitrepositories', 'ocirepositories', 'helmrepositories'],
  },
  { apiGroups: ['cilium.io'], resources: ['ciliumbgpnodeconfigs', 'ciliumloadbalancerippools'] },
  { apiGroups: ['multicluster.linkerd.io'], resources: ['links'] },
  { apiGroups: ['velero.io'], resources: ['schedules', 'backups'] },
  { apiGroups: ['volsync.backube'], resources: ['replicationsources'] },
  { apiGroups: ['cert-manager.io'], resources: ['certificates'] },
  { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'] },
].map((r) => ({ ...r, verbs: ['get', 'list', 'watch'] }));

beforeAll(() => {
  k('infra', ['create', 'namespace', NS]);
  kubeconfig = account('reader', ROLE, readRules);
  shippedKubeconfig = account('shipped', SHIPPED_ROLE, shippedReadRules());
  // The shipped Role for Linkerd's trust roots ConfigMap, bound to the shipped account.
  const trustRoots = shippedDocs().find(
    (d) => d?.kind === 'Role' && d.metadata && (d.metadata as { namespace?: string }).namespace === 'linkerd',
  );
  if (!trustRoots) throw new Error('no Role in namespace linkerd in deploy/rbac/rbac.yaml');
  k(
    'infra',
    ['create', '-f', '-'],
    JSON.stringify({ ...trustRoots, metadata: { name: TRUST_ROOTS_ROLE, namespace: 'linkerd' } }),
  );
  k('infra', [
    'create',
    'rolebinding',
    TRUST_ROOTS_ROLE,
    '-n',
    'linkerd',
    `--role=${TRUST_ROOTS_ROLE}`,
    `--serviceaccount=${NS}:shipped`,
  ]);
});

afterAll(() => {
  for (const r of readers) r.stop();
  for (const role of [ROLE, SHIPPED_ROLE]) {
    k('infra', ['delete', 'clusterrolebinding', role, '--ignore-not-found']);
    k('infra', ['delete', 'clusterrole', role, '--ignore-not-found']);
  }
  k('infra', ['delete', 'rolebinding', TRUST_ROOTS_ROLE, '-n', 'linkerd', '--ignore-not-found']);
  k('infra', ['delete', 'role', TRUST_ROOTS_ROLE, '-n', 'linkerd', '--ignore-not-found']);
  k('infra', ['delete', 'namespace', NS, '--wait=false', '--ignore-not-found']);
});

describe('health as the bot’s read-only account', () => {
  it('with the read rules the chart ships, every component of infra is ok', async () => {
    const infra = reader('infra', { kubeconfig: shippedKubeconfig });
    readers.push(infra);
    const [report] = await engine([infra]).check({});
    expect(report?.reachable).toBe(true);
    const statuses = Object.fromEntries(report?.components.map((c) => [c.component, c.status]) ?? []);
    expect(
      Object.values(statuses).every((status) => status === 'ok'),
      JSON.stringify(statuses),
    ).toBe(true);
    expect(Object.keys(statuses)).toHaveLength(14);
  });

  it('checks what it may read and names each permission it lacks, without calling the cluster unreachable', async () => {
    const infra = reader('infra', { kubeconfig });
    readers.push(infra);
    const [report] = await engine([infra]).check({});
    expect(report?.reachable).toBe(true);
    const byComponent = Object.fromEntries(report?.components.map((c) => [c.component, c.status]) ?? []);
    expect(byComponent).toEqual({
      nodes: 'ok',
      workloads: 'ok',
      flux: 'ok',
      cilium: 'warn',
      linkerd: 'warn',
      ceph: 'ok',
      cnpg: 'ok',
      velero: 'warn',
      volsync: 'ok',
      'cert-manager': 'ok',
      'external-secrets': 'warn',
      monitoring: 'warn',
      'external-dns': 'ok',
      credentials: 'ok',
    });
    const missing = report?.components.flatMap((c) => c.findings.map((f) => f.subject)).sort();
    expect(missing).toEqual([
      'backupstoragelocations.velero.io',
      'ciliumnodes.cilium.io',
      'clustersecretstores.external-secrets.io',
      'configmaps linkerd/linkerd-identity-trust-roots',
      'endpoints',
      'services',
      'vlogs.operator.victoriametrics.com',
      'vlsingles.operator.victoriametrics.com',
      'vmalertmanagers.operator.victoriametrics.com',
      'vmalerts.operator.victoriametrics.com',
      'vmclusters.operator.victoriametrics.com',
    ]);
  });
});
