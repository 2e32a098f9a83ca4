/**
 * The checks as the bot's own read-only account (a ServiceAccount token, the read rules of the
 * chart's reader ClusterRole): everything it may read is checked; what it may not read is named
 * as a missing permission, never reported as an outage of the cluster.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterReader } from '../../../src/health/types.js';
import { engine, env, k, reader } from './support.js';

const NS = 'coxswain-health-identity';
const ROLE = 'coxswain-health-identity-reader';
let kubeconfig = '';
const readers: ClusterReader[] = [];

const readRules = [
  { apiGroups: [''], resources: ['nodes', 'pods'] },
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'] },
  { apiGroups: ['kustomize.toolkit.fluxcd.io'], resources: ['kustomizations'] },
  { apiGroups: ['helm.toolkit.fluxcd.io'], resources: ['helmreleases'] },
  { apiGroups: ['ceph.rook.io'], resources: ['cephclusters'] },
  { apiGroups: ['postgresql.cnpg.io'], resources: ['clusters'] },
  { apiGroups: ['multicluster.linkerd.io'], resources: ['links'] },
  { apiGroups: ['velero.io'], resources: ['schedules', 'backups'] },
  { apiGroups: ['volsync.backube'], resources: ['replicationsources'] },
  { apiGroups: ['cert-manager.io'], resources: ['certificates'] },
  { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'] },
].map((r) => ({ ...r, verbs: ['get', 'list', 'watch'] }));

beforeAll(() => {
  k('infra', ['create', 'namespace', NS]);
  k('infra', ['create', 'serviceaccount', 'reader', '-n', NS]);
  k(
    'infra',
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: ROLE },
      rules: readRules,
    }),
  );
  k('infra', [
    'create',
    'clusterrolebinding',
    ROLE,
    `--clusterrole=${ROLE}`,
    `--serviceaccount=${NS}:reader`,
  ]);
  const token = k('infra', ['create', 'token', 'reader', '-n', NS, '--duration=1h']).trim();
  kubeconfig = join(tmpdir(), `coxswain-health-identity-${process.pid}.kubeconfig`);
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'infra',
          cluster: { server: env.KUBE_APISERVER_URL_INFRA, 'certificate-authority': env.KUBE_CA_INFRA },
        },
      ],
      users: [{ name: 'reader', user: { token } }],
      contexts: [{ name: 'coxswain@infra', context: { cluster: 'infra', user: 'reader' } }],
      'current-context': 'coxswain@infra',
    }),
  );
});

afterAll(() => {
  for (const r of readers) r.stop();
  k('infra', ['delete', 'clusterrolebinding', ROLE, '--ignore-not-found']);
  k('infra', ['delete', 'clusterrole', ROLE, '--ignore-not-found']);
  k('infra', ['delete', 'namespace', NS, '--wait=false', '--ignore-not-found']);
});

describe('health as the bot’s read-only account', () => {
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
    });
    const missing = report?.components.flatMap((c) => c.findings.map((f) => f.subject)).sort();
    expect(missing).toEqual([
      'backupstoragelocations.velero.io',
      'ciliumnodes.cilium.io',
      'clustersecretstores.external-secrets.io',
      'endpoints',
    ]);
  });
});
