/**
 * Delegation on the real API servers, with the RBAC from deploy/ applied as shipped: the bot's
 * own account only reads; writes work only by impersonating coxswain-operator (with the chat user
 * as impersonation extra, which the audit log records), and only for what its roles list.
 */
import { readFileSync } from 'node:fs';
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClusterOps,
  DEFAULT_OPERATOR,
  impersonation,
  operatorUsername,
  statusOf,
} from '../../../adapters/kube/operator-client.js';
import { KubeError } from '../../../src/kube/cluster-ops.js';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { deleteNamespaceAndWait, kubectl, kubectlRun } from '../../stack/kubectl.js';
import { applyRbac, botKubeConfig, mintToken } from './identities.js';

const NS = 'coxswain-rbac-test';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

async function statusOfCall(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (error) {
    if (error instanceof KubeError) return error.status ?? -1;
    return statusOf(error) ?? -1;
  }
}

function podManifest(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      containers: [{ name: 'c', image: 'registry.invalid/pause:1' }],
      tolerations: [
        { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      ],
    },
  });
}

let env: StackEnv;
let botKc: KubeConfig;

beforeAll(() => {
  env = loadStackEnv();
  applyRbac(env, 'apps');
  applyRbac(env, 'infra');
  kubectlRun(env, 'apps', ['create', 'namespace', NS]);
  botKc = botKubeConfig(env, 'apps', mintToken(env, 'apps'));
});

afterAll(async () => {
  if (env) await deleteNamespaceAndWait(env, 'apps', NS);
});

describe("the bot's own account", () => {
  it('is refused every write it tries directly', async () => {
    kubectl(env, 'apps', ['apply', '-f', '-'], podManifest('direct-target'));
    kubectl(env, 'apps', ['create', 'secret', 'generic', 'direct-secret', '-n', NS, '--from-literal=k=v']);
    const core = botKc.makeApiClient(CoreV1Api);
    const custom = botKc.makeApiClient(CustomObjectsApi);
    expect(await statusOfCall(() => core.deleteNamespacedPod({ name: 'direct-target', namespace: NS }))).toBe(
      403,
    );
    expect(
      await statusOfCall(() =>
        core.createNamespacedPodEviction({
          name: 'direct-target',
          namespace: NS,
          body: {
            apiVersion: 'policy/v1',
            kind: 'Eviction',
            metadata: { name: 'direct-target', namespace: NS },
          },
        }),
      ),
    ).toBe(403);
    expect(
      await statusOfCall(() =>
        core.patchNode({ name: 'apps-01', body: { spec: { unschedulable: true } } }, merge),
      ),
    ).toBe(403);
    expect(
      await statusOfCall(() =>
        custom.patchNamespacedCustomObject(
          {
            group: 'kustomize.toolkit.fluxcd.io',
            version: 'v1',
            namespace: 'flux-system',
            plural: 'kustomizations',
            name: 'harbor',
            body: { spec: { suspend: true } },
          },
          merge,
        ),
      ),
    ).toBe(403);
    expect(
      await statusOfCall(() => core.deleteNamespacedSecret({ name: 'direct-secret', namespace: NS })),
    ).toBe(403);
    // ...while it can read, which is all it is for.
    expect((await core.listNode()).items.length).toBeGreaterThan(0);
    // Nothing changed.
    expect(kubectl(env, 'apps', ['get', 'pod', 'direct-target', '-n', NS, '-o', 'name']).trim()).toBe(
      'pod/direct-target',
    );
  });
});

describe('the operator account, impersonated with the chat user as extra', () => {
  it('can do each action its roles list, and the audit log names the chat user', async () => {
    const ops = createClusterOps('apps', botKc);
    const writer = ops.writer('alice');
    kubectl(env, 'apps', ['apply', '-f', '-'], podManifest('op-delete'));
    kubectl(env, 'apps', ['apply', '-f', '-'], podManifest('op-evict'));

    expect(await writer.deletePod(NS, 'op-delete')).toBe('deleted');
    expect(await writer.evictPod(NS, 'op-evict')).toBe('evicted');
    await writer.setUnschedulable('apps-01', true);
    expect((await ops.reader.getNode('apps-01'))?.unschedulable).toBe(true);
    await writer.setUnschedulable('apps-01', false);
    expect((await ops.reader.getNode('apps-01'))?.unschedulable).toBe(false);
    const stamp = new Date().toISOString();
    const patched = await writer.mergePatch(
      {
        group: 'kustomize.toolkit.fluxcd.io',
        version: 'v1',
        plural: 'kustomizations',
        namespace: 'flux-system',
        name: 'harbor',
      },
      { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': stamp } } },
    );
    expect(patched.metadata?.annotations?.['reconcile.fluxcd.io/requestedAt']).toBe(stamp);

    // On infra, the CNPG switchover role (clusters and clusters/status in databases).
    const infra = createClusterOps('infra', botKubeConfig(env, 'infra', mintToken(env, 'infra')));
    const cnpg = await infra.writer('alice').mergePatch(
      {
        group: 'postgresql.cnpg.io',
        version: 'v1',
        plural: 'clusters',
        namespace: 'databases',
        name: 'postgres',
      },
      { metadata: { annotations: { 'coxswain.dev/rbac-test': stamp } } },
    );
    expect(cnpg.metadata?.annotations?.['coxswain.dev/rbac-test']).toBe(stamp);

    // The API server's audit log: the bot's account, impersonating the operator, for alice.
    const audit = await waitForAudit(
      env.AUDIT_LOG_APPS,
      // kwok's own final delete of the pod follows; the impersonated one is the bot's.
      (e) =>
        e.verb === 'delete' &&
        e.objectRef?.resource === 'pods' &&
        e.objectRef?.name === 'op-delete' &&
        e.impersonatedUser !== undefined,
    );
    expect(audit.user?.username).toBe('system:serviceaccount:coxswain:coxswain');
    expect(audit.impersonatedUser?.username).toBe(operatorUsername(DEFAULT_OPERATOR));
    expect(audit.impersonatedUser?.extra?.['coxswain.dev/chat-user']).toEqual(['alice']);
    expect(audit.responseStatus?.code).toBe(200);
  });

  it('is refused what its roles do not list: deleting a Secret, patching a ClusterRole, deleting a Deployment', async () => {
    kubectlRun(env, 'apps', ['create', 'secret', 'generic', 'op-secret', '-n', NS, '--from-literal=k=v']);
    const options = impersonation(DEFAULT_OPERATOR, 'alice');
    const core = botKc.makeApiClient(CoreV1Api);
    const rbac = botKc.makeApiClient(RbacAuthorizationV1Api);
    expect(
      await statusOfCall(() => core.deleteNamespacedSecret({ name: 'op-secret', namespace: NS }, options)),
    ).toBe(403);
    expect(
      await statusOfCall(() =>
        rbac.patchClusterRole(
          { name: 'coxswain-read', body: { metadata: { labels: { pwned: 'yes' } } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch, options),
        ),
      ),
    ).toBe(403);
    const custom = botKc.makeApiClient(CustomObjectsApi);
    expect(
      await statusOfCall(() =>
        custom.deleteNamespacedCustomObject(
          { group: 'apps', version: 'v1', namespace: 'harbor', plural: 'deployments', name: 'harbor-core' },
          options,
        ),
      ),
    ).toBe(403);
    expect(kubectl(env, 'apps', ['get', 'secret', 'op-secret', '-n', NS, '-o', 'name']).trim()).toBe(
      'secret/op-secret',
    );
  });
});

describe('the drills added for the mesh gateway and restores', () => {
  it('the operator may scale only the gateway, the clustermesh-apiserver (and the workload namespaces) through the scale subresource, and delete only the restore scratch namespace', async () => {
    const infraKc = botKubeConfig(env, 'infra', mintToken(env, 'infra'));
    const infra = createClusterOps('infra', infraKc);
    const writer = infra.writer('alice');
    const gateway = {
      group: 'apps',
      version: 'v1',
      plural: 'deployments',
      namespace: 'linkerd-multicluster',
      name: 'linkerd-gateway',
    };
    // Scaled to what it already has: allowed, and changes nothing.
    await writer.scale(gateway, 1);
    expect((await infra.reader.get(gateway))?.spec?.replicas).toBe(1);
    // A Deployment outside linkerd-multicluster and outside operator.workloadNamespaces (where
    // `/ops scale` may scale; infra's is monitoring): refused.
    await expect(
      writer.scale({ ...gateway, namespace: 'kube-system', name: 'coredns' }, 1),
    ).rejects.toMatchObject({ status: 403 });
    // kube-system's clustermesh-apiserver, by name, for the clustermesh-resilience drill.
    const clustermesh = { ...gateway, namespace: 'kube-system', name: 'clustermesh-apiserver' };
    await writer.scale(clustermesh, 1);
    expect((await infra.reader.get(clustermesh))?.spec?.replicas).toBe(1);

    const apps = createClusterOps('apps', botKc).writer('alice');
    kubectlRun(env, 'apps', ['create', 'namespace', 'coxswain-drill-restore']);
    expect(
      await apps.remove({ group: '', version: 'v1', plural: 'namespaces', name: 'coxswain-drill-restore' }),
    ).toBe('deleted');
    // Any other namespace: refused (here the test's own).
    await expect(
      apps.remove({ group: '', version: 'v1', plural: 'namespaces', name: NS }),
    ).rejects.toMatchObject({ status: 403 });
    await deleteNamespaceAndWait(env, 'apps', 'coxswain-drill-restore');
  });

  it('the bot reads Velero Restores and namespaces, and may not create a Restore itself', async () => {
    const ops = createClusterOps('apps', botKc);
    expect(
      await ops.reader.get({ group: '', version: 'v1', plural: 'namespaces', name: 'velero' }),
    ).toBeDefined();
    expect(
      await ops.reader.list({ group: 'velero.io', version: 'v1', plural: 'restores', namespace: 'velero' }),
    ).toEqual(expect.any(Array));
    const custom = botKc.makeApiClient(CustomObjectsApi);
    expect(
      await statusOfCall(() =>
        custom.createNamespacedCustomObject({
          group: 'velero.io',
          version: 'v1',
          namespace: 'velero',
          plural: 'restores',
          body: {
            apiVersion: 'velero.io/v1',
            kind: 'Restore',
            metadata: { name: 'direct' },
            spec: { backupName: 'x' },
          },
        }),
      ),
    ).toBe(403);
  });
});

describe('impersonating anyone but the operator', () => {
  it.each([
    ['a service account in another namespace', 'system:serviceaccount:kube-system:default'],
    ['an account named like the operator elsewhere', 'system:serviceaccount:default:coxswain-operator'],
    ['the bot itself as a plain user', 'admin'],
    ['the controller manager', 'system:kube-controller-manager'],
  ])('is refused: %s', async (_label, user) => {
    const core = botKc.makeApiClient(CoreV1Api);
    const options = impersonation(DEFAULT_OPERATOR, 'alice', user);
    expect(await statusOfCall(() => core.listNamespacedPod({ namespace: 'harbor' }, options))).toBe(403);
  });
});

interface AuditEvent {
  verb?: string;
  objectRef?: { resource?: string; name?: string; namespace?: string };
  user?: { username?: string };
  impersonatedUser?: { username?: string; extra?: Record<string, string[]> };
  responseStatus?: { code?: number };
  stage?: string;
}

async function waitForAudit(file: string, match: (e: AuditEvent) => boolean): Promise<AuditEvent> {
  for (let i = 0; i < 50; i++) {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    for (const line of lines.reverse()) {
      const event = JSON.parse(line) as AuditEvent;
      if (event.stage === 'ResponseComplete' && match(event)) return event;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no matching audit event in ${file}`);
}
