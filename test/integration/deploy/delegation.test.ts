/**
 * The delegation the chart's RBAC promises, proved on the real API servers with the RBAC as
 * shipped (deploy/rbac on apps, deploy/infra on infra; both are the chart's rendering, see
 * chart.test.ts), raw HTTP as the bot sends it: a token from `kubectl create token`, and for
 * writes the headers Impersonate-User and Impersonate-Extra-coxswain.dev%2fchat-user.
 * Writes are dry runs (`?dryRun=All`): the API server authorizes them exactly like real ones and
 * changes nothing, so the shared stack keeps its state. The infra side goes through the
 * kubeconfig deploy/infra/mint-kubeconfig.sh mints.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { deleteNamespaceAndWait, kubectl, kubectlRun } from '../../stack/kubectl.js';
import {
  type ApiCall,
  allFeaturesValues,
  apiCall,
  clusterOf,
  ensureNamespaces,
  ensureNamespacesFor,
  type Manifest,
  NAMESPACE,
  parseManifests,
  render,
  repoRoot,
  run,
} from './support.js';

const OPERATOR = `system:serviceaccount:${NAMESPACE}:coxswain-operator`;
const EXTRA = 'Impersonate-Extra-coxswain.dev%2fchat-user';
const FIXTURES = 'coxswain-deploy-fixtures';
const PROBE = 'coxswain-deploy-probe';
/**
 * Node writes are all dry runs, so they go to a seeded node: a probe Node of its own would get
 * DaemonSet pods that stay Pending after it is deleted and fail later suites' checks.
 */
const NODE = 'apps-01';
const SERVER_SIDE = ['apply', '--server-side', '--force-conflicts', '--field-manager=coxswain-deploy-test'];
const MERGE = 'application/merge-patch+json';

let env: StackEnv;
let apps: { server: string; ca: string; token: string };

const asOperator = { 'Impersonate-User': OPERATOR, [EXTRA]: 'alice' };

function call(c: ApiCall, target = apps) {
  return apiCall(target, c);
}

function fixtures(): Manifest[] {
  const labels = { 'app.kubernetes.io/part-of': 'coxswain-deploy-test' };
  return [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: PROBE, namespace: FIXTURES, labels },
      spec: { containers: [{ name: 'c', image: 'registry.invalid/pause:1' }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: PROBE, namespace: FIXTURES, labels },
      stringData: { token: 'do-not-touch' },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: PROBE, namespace: 'linkerd-multicluster', labels },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: PROBE } },
        template: {
          metadata: { labels: { app: PROBE } },
          spec: { containers: [{ name: 'c', image: 'registry.invalid/pause:1' }] },
        },
      },
    },
    {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: PROBE, namespace: 'flux-system', labels },
      spec: {
        interval: '10m',
        path: './kubernetes/workloads/coxswain',
        prune: true,
        sourceRef: { kind: 'GitRepository', name: 'flux-system' },
      },
    },
    {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: PROBE, namespace: 'flux-system', labels },
      spec: {
        interval: '30m',
        chart: { spec: { chart: 'coxswain', sourceRef: { kind: 'HelmRepository', name: 'coxswain' } } },
      },
    },
    {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: PROBE, namespace: 'harbor', labels },
      spec: {
        interval: '30m',
        chart: { spec: { chart: 'coxswain', sourceRef: { kind: 'HelmRepository', name: 'coxswain' } } },
      },
    },
  ];
}

beforeAll(() => {
  env = loadStackEnv();
  ensureNamespaces(env, 'apps', [
    NAMESPACE,
    FIXTURES,
    'flux-system',
    'linkerd-multicluster',
    'velero',
    'harbor',
  ]);
  ensureNamespacesFor(env, 'apps', readFileSync(`${repoRoot}deploy/rbac/rbac.yaml`, 'utf8'));
  kubectl(env, 'apps', [...SERVER_SIDE, '-f', `${repoRoot}deploy/rbac/rbac.yaml`]);
  kubectl(
    env,
    'apps',
    [...SERVER_SIDE, '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: fixtures() }),
  );
  const token = kubectl(env, 'apps', [
    'create',
    'token',
    'coxswain',
    '-n',
    NAMESPACE,
    '--duration',
    '1h',
  ]).trim();
  apps = { ...clusterOf(env.KUBECONFIG_APPS), token };
});

afterAll(async () => {
  if (!env) return;
  for (const m of fixtures())
    kubectlRun(env, 'apps', [
      'delete',
      m.kind.toLowerCase(),
      m.metadata.name,
      ...(m.metadata.namespace ? ['-n', m.metadata.namespace] : []),
      '--ignore-not-found',
      '--wait=false',
    ]);
  await deleteNamespaceAndWait(env, 'apps', FIXTURES);
});

const kustomization = `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/${PROBE}`;
const helmRelease = `/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases/${PROBE}`;
const pod = `/api/v1/namespaces/${FIXTURES}/pods/${PROBE}`;
const secret = `/api/v1/namespaces/${FIXTURES}/secrets/${PROBE}`;

describe("the bot's own account (token from kubectl create token)", () => {
  it('reads what health reads', async () => {
    for (const path of [
      '/api/v1/nodes',
      '/api/v1/pods',
      '/apis/apps/v1/deployments',
      '/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations',
      '/apis/velero.io/v1/backups',
      '/apis/multicluster.linkerd.io/v1alpha3/links',
    ])
      expect({ path, status: (await call({ method: 'GET', path })).status }).toEqual({ path, status: 200 });
  });

  it('is refused every write (403), and cannot read Secrets', async () => {
    const suspend = { spec: { suspend: true } };
    expect(
      (
        await call({
          method: 'PATCH',
          path: `${kustomization}?dryRun=All`,
          body: suspend,
          contentType: MERGE,
        })
      ).status,
    ).toBe(403);
    expect((await call({ method: 'DELETE', path: `${pod}?dryRun=All` })).status).toBe(403);
    expect(
      (
        await call({
          method: 'PATCH',
          path: `/api/v1/nodes/${NODE}?dryRun=All`,
          body: { spec: { unschedulable: true } },
          contentType: MERGE,
        })
      ).status,
    ).toBe(403);
    expect((await call({ method: 'GET', path: secret })).status).toBe(403);
  });
});

describe('leader election with two replicas (the chart’s Lease RBAC)', () => {
  const leases = `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases`;
  const lease = (name: string) => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: NAMESPACE },
    spec: { holderIdentity: 'coxswain-0', leaseDurationSeconds: 15 },
  });

  beforeAll(async () => {
    const rbac = render(['-f', allFeaturesValues]).filter(
      (m) =>
        (m.kind === 'Role' || m.kind === 'RoleBinding') && m.metadata.name === 'coxswain-leader-election',
    );
    expect(rbac).toHaveLength(2);
    kubectl(
      env,
      'apps',
      [...SERVER_SIDE, '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rbac }),
    );
    // The API server's RBAC authorizer learns of a new Role through its informer, a moment after
    // the apply returns (a 403 in one CI run): wait until it answers for the bot's account.
    const end = Date.now() + 10_000;
    const canCreate = () =>
      kubectlRun(env, 'apps', [
        'auth',
        'can-i',
        'create',
        'leases',
        '-n',
        NAMESPACE,
        '--as',
        `system:serviceaccount:${NAMESPACE}:coxswain`,
      ]).stdout.trim() === 'yes';
    while (!canCreate() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 200));
  });

  it('lets the bot take and renew its own Lease, with its own account', async () => {
    const create = await call({
      method: 'POST',
      path: `${leases}?dryRun=All`,
      body: lease('coxswain-leader'),
    });
    expect(create.status).toBe(201);
    // Allowed to read it (it does not exist: the create above was a dry run).
    expect((await call({ method: 'GET', path: `${leases}/coxswain-leader` })).status).toBe(404);
    // Leases may be created by an update: allowed (a dry run again), where another name is 403.
    expect(
      (
        await call({
          method: 'PUT',
          path: `${leases}/coxswain-leader?dryRun=All`,
          body: lease('coxswain-leader'),
        })
      ).status,
    ).toBe(201);
  });

  it('refuses it any other Lease', async () => {
    expect((await call({ method: 'GET', path: `${leases}/someone-else` })).status).toBe(403);
    expect(
      (await call({ method: 'PUT', path: `${leases}/someone-else?dryRun=All`, body: lease('someone-else') }))
        .status,
    ).toBe(403);
    expect(
      (await call({ method: 'GET', path: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases' }))
        .status,
    ).toBe(403);
  });
});

describe('impersonating coxswain-operator with the chat user as extra', () => {
  const allowed: [string, ApiCall, number[]][] = [
    [
      'suspend a Flux Kustomization',
      {
        method: 'PATCH',
        path: `${kustomization}?dryRun=All`,
        body: { spec: { suspend: true } },
        contentType: MERGE,
      },
      [200],
    ],
    [
      'suspend a Flux HelmRelease',
      {
        method: 'PATCH',
        path: `${helmRelease}?dryRun=All`,
        body: { spec: { suspend: true } },
        contentType: MERGE,
      },
      [200],
    ],
    [
      'suspend a HelmRelease next to its app (harbor)',
      {
        method: 'PATCH',
        path: `/apis/helm.toolkit.fluxcd.io/v2/namespaces/harbor/helmreleases/${PROBE}?dryRun=All`,
        body: { spec: { suspend: true } },
        contentType: MERGE,
      },
      [200],
    ],
    ['delete a pod', { method: 'DELETE', path: `${pod}?dryRun=All` }, [200]],
    [
      'evict a pod',
      {
        method: 'POST',
        path: `${pod}/eviction?dryRun=All`,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: PROBE, namespace: FIXTURES } },
      },
      [200, 201],
    ],
    [
      'cordon a node',
      {
        method: 'PATCH',
        path: `/api/v1/nodes/${NODE}?dryRun=All`,
        body: { spec: { unschedulable: true } },
        contentType: MERGE,
      },
      [200],
    ],
    [
      'scale the Linkerd gateway (deployments/scale in linkerd-multicluster)',
      {
        method: 'PATCH',
        path: `/apis/apps/v1/namespaces/linkerd-multicluster/deployments/${PROBE}/scale?dryRun=All`,
        body: { spec: { replicas: 1 } },
        contentType: MERGE,
      },
      [200],
    ],
    [
      'create a Velero Restore',
      {
        method: 'POST',
        path: '/apis/velero.io/v1/namespaces/velero/restores?dryRun=All',
        body: {
          apiVersion: 'velero.io/v1',
          kind: 'Restore',
          metadata: { name: PROBE, namespace: 'velero' },
          spec: { backupName: 'daily', namespaceMapping: { gitlab: 'coxswain-drills' } },
        },
      },
      [201],
    ],
    // Authorized, then not found: the refusal would be 403.
    [
      'delete a Velero Restore',
      { method: 'DELETE', path: `/apis/velero.io/v1/namespaces/velero/restores/${PROBE}` },
      [404],
    ],
    [
      'create a VolSync ReplicationDestination in the scratch namespace',
      {
        method: 'POST',
        path: '/apis/volsync.backube/v1alpha1/namespaces/coxswain-drills/replicationdestinations?dryRun=All',
        body: {
          apiVersion: 'volsync.backube/v1alpha1',
          kind: 'ReplicationDestination',
          metadata: { name: PROBE, namespace: 'coxswain-drills' },
          spec: { trigger: { manual: 'drill' } },
        },
      },
      [201],
    ],
  ];

  it.each(allowed)('may %s', async (_what, c, statuses) => {
    const r = await call({ ...c, headers: asOperator });
    expect(statuses, `status ${r.status}: ${r.body.message}`).toContain(r.status);
  });

  const refused: [string, ApiCall][] = [
    ['delete a Secret', { method: 'DELETE', path: `${secret}?dryRun=All` }],
    ['read a Secret', { method: 'GET', path: secret }],
    [
      'patch a ClusterRole',
      {
        method: 'PATCH',
        path: '/apis/rbac.authorization.k8s.io/v1/clusterroles/coxswain-read?dryRun=All',
        body: { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
        contentType: MERGE,
      },
    ],
    [
      'patch a whole Deployment (only its scale)',
      {
        method: 'PATCH',
        path: `/apis/apps/v1/namespaces/linkerd-multicluster/deployments/${PROBE}?dryRun=All`,
        body: { spec: { replicas: 1 } },
        contentType: MERGE,
      },
    ],
    [
      'delete a Deployment',
      {
        method: 'DELETE',
        path: `/apis/apps/v1/namespaces/linkerd-multicluster/deployments/${PROBE}?dryRun=All`,
      },
    ],
    ['delete a Kustomization', { method: 'DELETE', path: `${kustomization}?dryRun=All` }],
    [
      'patch a Kustomization outside flux-system',
      {
        method: 'PATCH',
        path: `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${FIXTURES}/kustomizations/${PROBE}?dryRun=All`,
        body: { spec: { suspend: true } },
        contentType: MERGE,
      },
    ],
    ['delete a node', { method: 'DELETE', path: `/api/v1/nodes/${NODE}?dryRun=All` }],
    [
      'patch a HelmRelease in a namespace no phase uses',
      {
        method: 'PATCH',
        path: `/apis/helm.toolkit.fluxcd.io/v2/namespaces/${FIXTURES}/helmreleases/${PROBE}?dryRun=All`,
        body: { spec: { suspend: true } },
        contentType: MERGE,
      },
    ],
    [
      'create a Velero Restore outside Velero’s namespace',
      {
        method: 'POST',
        path: `/apis/velero.io/v1/namespaces/${FIXTURES}/restores?dryRun=All`,
        body: {
          apiVersion: 'velero.io/v1',
          kind: 'Restore',
          metadata: { name: PROBE },
          spec: { backupName: 'x' },
        },
      },
    ],
    [
      'bind itself a role',
      {
        method: 'POST',
        path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/rolebindings?dryRun=All`,
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: PROBE },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: 'coxswain-operator', namespace: NAMESPACE }],
        },
      },
    ],
  ];

  it.each(refused)('is refused (403) to %s', async (_what, c) => {
    const r = await call({ ...c, headers: asOperator });
    expect(r.status).toBe(403);
    expect(r.body.message).toContain(`User "${OPERATOR}" cannot`);
  });

  it('is recorded in the audit log with the bot, the operator and the chat user', async () => {
    const marker = `${PROBE}-audit-${Date.now()}`;
    const r = await call({
      method: 'PATCH',
      path: `${kustomization}?dryRun=All`,
      body: { metadata: { annotations: { 'coxswain.dev/marker': marker } } },
      contentType: MERGE,
      headers: { 'Impersonate-User': OPERATOR, [EXTRA]: 'alice' },
    });
    expect(r.status).toBe(200);
    let event: Manifest | undefined;
    for (let i = 0; i < 50 && !event; i++) {
      event = readFileSync(env.AUDIT_LOG_APPS, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Manifest)
        .reverse()
        .find(
          (e) =>
            e.stage === 'ResponseComplete' &&
            e.verb === 'patch' &&
            e.objectRef?.resource === 'kustomizations' &&
            e.objectRef?.name === PROBE &&
            e.impersonatedUser?.extra?.['coxswain.dev/chat-user']?.[0] === 'alice',
        );
      if (!event) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(event?.user?.username).toBe(`system:serviceaccount:${NAMESPACE}:coxswain`);
    expect(event?.impersonatedUser?.username).toBe(OPERATOR);
    expect(event?.responseStatus?.code).toBe(200);
  });
});

describe('impersonating anyone else', () => {
  it.each([
    [
      'the default account of the same namespace',
      { 'Impersonate-User': `system:serviceaccount:${NAMESPACE}:default` },
    ],
    [
      'an account named coxswain-operator in another namespace',
      { 'Impersonate-User': 'system:serviceaccount:kube-system:coxswain-operator' },
    ],
    ['a cluster admin user', { 'Impersonate-User': 'admin' }],
    [
      'the operator with the system:masters group',
      { 'Impersonate-User': OPERATOR, 'Impersonate-Group': 'system:masters' },
    ],
    [
      'the operator with an extra other than the chat user',
      { 'Impersonate-User': OPERATOR, 'Impersonate-Extra-scopes': 'all' },
    ],
  ])('is refused: %s', async (_who, headers) => {
    const r = await call({ method: 'GET', path: '/api/v1/namespaces/flux-system/pods', headers });
    expect(r.status).toBe(403);
    expect(r.body.message).toMatch(/cannot impersonate/);
  });
});

describe('the infra cluster, through the kubeconfig deploy/infra/mint-kubeconfig.sh mints', () => {
  const work = mkdtempSync(join(tmpdir(), 'coxswain-infra-'));
  const minted = join(work, 'infra.kubeconfig');
  const CLUSTER_NAME = 'coxswain-deploy-probe';

  beforeAll(() => {
    ensureNamespacesFor(env, 'infra', readFileSync(`${repoRoot}deploy/infra/rbac.yaml`, 'utf8'));
    ensureNamespaces(env, 'infra', ['databases']);
    kubectl(env, 'infra', [...SERVER_SIDE, '-f', `${repoRoot}deploy/infra/rbac.yaml`]);
    kubectl(
      env,
      'infra',
      [...SERVER_SIDE, '-f', '-'],
      JSON.stringify({
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name: CLUSTER_NAME, namespace: 'databases' },
        spec: { instances: 2, storage: { size: '1Gi' } },
      }),
    );
    const r = run(
      'bash',
      [
        `${repoRoot}deploy/infra/mint-kubeconfig.sh`,
        '--kubeconfig',
        env.KUBECONFIG_INFRA,
        '--duration',
        '1h',
        '--out',
        minted,
      ],
      { env: { ...process.env, KUBECTL: env.KUBECTL } },
    );
    if (r.status !== 0) throw new Error(`mint-kubeconfig.sh failed: ${r.stderr}`);
  });

  afterAll(() => {
    if (env)
      kubectlRun(env, 'infra', [
        'delete',
        'clusters.postgresql.cnpg.io',
        CLUSTER_NAME,
        '-n',
        'databases',
        '--ignore-not-found',
      ]);
  });

  const k = (args: string[]) => run(env.KUBECTL, ['--kubeconfig', minted, ...args]);

  it('writes a private kubeconfig whose token is the read-only account’s', () => {
    expect(statSync(minted).mode & 0o777).toBe(0o600);
    const r = k(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    expect(r.stdout).toBe(`system:serviceaccount:${NAMESPACE}:coxswain`);
    expect(k(['get', 'nodes', '-o', 'name']).status).toBe(0);
    expect(
      k(['auth', 'can-i', 'patch', 'clusters.postgresql.cnpg.io', '-n', 'databases']).stdout.trim(),
    ).toBe('no');
  });

  it('stores the kubeconfig as the Secret the chart mounts, with --apps-context', () => {
    const secretName = 'coxswain-deploy-probe-kubeconfig';
    const context = kubectl(env, 'apps', ['config', 'current-context']).trim();
    const r = run(
      'bash',
      [
        `${repoRoot}deploy/infra/mint-kubeconfig.sh`,
        '--kubeconfig',
        env.KUBECONFIG_INFRA,
        '--duration',
        '1h',
        '--apps-context',
        context,
        '--secret',
        secretName,
      ],
      { env: { ...process.env, KUBECTL: env.KUBECTL, KUBECONFIG: env.KUBECONFIG_APPS } },
    );
    try {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const secret = JSON.parse(
        kubectl(env, 'apps', ['get', 'secret', secretName, '-n', NAMESPACE, '-o', 'json']),
      );
      const file = join(work, 'from-secret.kubeconfig');
      writeFileSync(file, Buffer.from(secret.data.kubeconfig, 'base64'));
      const whoami = run(env.KUBECTL, [
        '--kubeconfig',
        file,
        'auth',
        'whoami',
        '-o',
        'jsonpath={.status.userInfo.username}',
      ]);
      expect(whoami.stdout).toBe(`system:serviceaccount:${NAMESPACE}:coxswain`);
      expect(run(env.KUBECTL, ['--kubeconfig', file, 'get', 'nodes', '-o', 'name']).stdout).toContain(
        'node/',
      );
    } finally {
      kubectlRun(env, 'apps', ['delete', 'secret', secretName, '-n', NAMESPACE, '--ignore-not-found']);
    }
  });

  it('switches a CloudNativePG primary over only by impersonating the operator', async () => {
    // As the bot does it: raw PATCHes with the minted kubeconfig's token (kubectl patch would
    // first GET with the operator's identity, which only reads through the bot's own account).
    const doc = parseManifests(readFileSync(minted, 'utf8'))[0] as Manifest;
    const infra = { ...clusterOf(minted), token: doc.users[0].user.token as string };
    const path = `/apis/postgresql.cnpg.io/v1/namespaces/databases/clusters/${CLUSTER_NAME}`;
    const annotate = { metadata: { annotations: { 'coxswain.dev/probe': 'x' } } };
    const promote = { status: { targetPrimary: `${CLUSTER_NAME}-2` } };
    const patch = (suffix: string, body: unknown, headers: Record<string, string> = {}) =>
      call(
        { method: 'PATCH', path: `${path}${suffix}?dryRun=All`, body, contentType: MERGE, headers },
        infra,
      );
    expect((await patch('', annotate)).status).toBe(403);
    expect((await patch('/status', promote)).status).toBe(403);
    expect((await patch('', annotate, asOperator)).status).toBe(200);
    const promoted = await patch('/status', promote, asOperator);
    expect(promoted.status).toBe(200);
    expect(promoted.body.status?.targetPrimary).toBe(`${CLUSTER_NAME}-2`);
    const secret = await call(
      {
        method: 'DELETE',
        path: '/api/v1/namespaces/databases/secrets/anything?dryRun=All',
        headers: asOperator,
      },
      infra,
    );
    expect(secret.status).toBe(403);
  });
});
