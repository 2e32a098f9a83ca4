/**
 * The Helm chart rendered by a real helm (v3.22, from the Go module proxy): lint, the values
 * schema, restricted Pod Security, leader election, the delegation RBAC (exact rules, and
 * deploy/rbac and deploy/infra agreeing with it), alert rules checked by promtool, the dashboard.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import {
  allFeaturesValues,
  chartDir,
  find,
  helm,
  type Manifest,
  NAMESPACE,
  parseManifests,
  RBAC_KINDS,
  render,
  repoRoot,
  run,
} from './support.js';

const work = mkdtempSync(join(tmpdir(), 'coxswain-chart-'));
const infraValues = `${repoRoot}deploy/infra/values.yaml`;

let defaults: Manifest[];
let allOn: Manifest[];

beforeAll(() => {
  helm();
  defaults = render();
  allOn = render(['-f', allFeaturesValues]);
}, 900_000);

describe('helm lint', () => {
  it.each([
    ['default values', []],
    ['every optional feature on', ['-f', allFeaturesValues]],
    ['the infra cluster (RBAC only)', ['-f', infraValues]],
  ])('is clean with %s, in strict mode', (_name, args) => {
    const r = run(helm(), ['lint', chartDir, '--strict', ...(args as string[])]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  });
});

describe('values.schema.json', () => {
  const refuse = (args: string[]) => run(helm(), ['template', 'x', chartDir, ...args]);

  it.each([
    [['--set', 'replicaCount=0'], "at '/replicaCount'"],
    [['--set', 'nosuchkey=1'], "additional properties 'nosuchkey' not allowed"],
    [['--set', 'image.digest=latest'], "at '/image/digest'"],
    [['--set', 'leaderElection.enabled=true'], "at '/leaderElection'"],
    [['--set', 'operator.name=Bad_Name'], "at '/operator/name'"],
    [['--set', 'mode=everything'], "at '/mode'"],
    [['--set', 'persistence.size=lots'], "at '/persistence/size'"],
    [['--set', 'httpRoute.enabled=true'], "at '/httpRoute/parentRefs': minItems"],
  ])('refuses %j', (args, message) => {
    const r = refuse(args);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  it('refuses several replicas on SQLite, saying what to change', () => {
    const r = refuse(['--set', 'replicaCount=2']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('replicaCount > 1 needs config.store.driver: postgres');
  });
});

function deployment(manifests: Manifest[]): Manifest {
  return find(manifests, 'Deployment', 'coxswain', NAMESPACE);
}

describe('restricted Pod Security', () => {
  it.each([
    ['default values', () => defaults],
    ['every optional feature on', () => allOn],
  ])('holds in the Deployment with %s', (_name, manifests) => {
    const pod = deployment(manifests()).spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.hostPID ?? false).toBe(false);
    for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
      expect(container.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        privileged: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container.resources.requests).toMatchObject({
        cpu: expect.any(String),
        memory: expect.any(String),
      });
      expect(container.resources.limits.memory).toEqual(expect.any(String));
      // The root file system is read-only: state and scratch space are volumes.
      const mounts = Object.fromEntries(container.volumeMounts.map((m: Manifest) => [m.mountPath, m]));
      expect(mounts['/data']).toBeDefined();
      expect(mounts['/tmp']).toBeDefined();
      expect(mounts['/etc/coxswain'].readOnly).toBe(true);
      expect(mounts['/run/secrets/coxswain'].readOnly).toBe(true);
    }
    // Only volume types the restricted profile allows.
    for (const volume of pod.volumes) {
      const types = Object.keys(volume).filter((k) => k !== 'name');
      expect(['configMap', 'secret', 'emptyDir', 'persistentVolumeClaim', 'projected']).toEqual(
        expect.arrayContaining(types),
      );
    }
  });

  it('cannot be weakened through values', () => {
    const r = run(helm(), [
      'template',
      'x',
      chartDir,
      '--set',
      'containerSecurityContext.readOnlyRootFilesystem=false',
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("additional properties 'containerSecurityContext' not allowed");
  });

  it('probes /healthz and /readyz on the config port', () => {
    const container = deployment(defaults).spec.template.spec.containers[0];
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.args).toEqual(['--config', '/etc/coxswain/coxswain.yaml']);
  });
});

describe('the config file the ConfigMap carries', () => {
  it.each([
    ['default values', () => defaults],
    ['every optional feature on', () => allOn],
  ])('is a valid coxswain config with %s, reading its secrets from the mounted files', (name, manifests) => {
    const dir = mkdtempSync(join(work, 'config-'));
    const text = (find(manifests(), 'ConfigMap', 'coxswain').data['coxswain.yaml'] as string).replace(
      /\/run\/secrets\/coxswain\/([a-z-]+)/g,
      (_match, key: string) => {
        const file = join(dir, key);
        writeFileSync(
          file,
          key === 'database-url' ? 'postgres://coxswain:pw@db:5432/coxswain\n' : `${'s'.repeat(40)}\n`,
        );
        return file;
      },
    );
    const path = join(dir, 'coxswain.yaml');
    writeFileSync(path, text);
    const config = loadConfig({ path, env: {} });
    expect(config.http.port).toBe(8080);
    expect(config.chat.mattermost?.token).toBe('s'.repeat(40));
    expect(config.alerts.webhook.token).toBe('s'.repeat(40));
    expect(config.security.signingKey).toBe('s'.repeat(40));
    expect(config.leaderElection.lease).toBe('coxswain-leader');
    if (name === 'default values')
      expect(config.store).toMatchObject({ driver: 'sqlite', sqlite: { path: '/data/coxswain.db' } });
    else expect(config.store.postgres?.url).toBe('postgres://coxswain:pw@db:5432/coxswain');
  });
});

describe('replicas and leader election', () => {
  const config = (manifests: Manifest[]) =>
    parseManifests(find(manifests, 'ConfigMap', 'coxswain').data['coxswain.yaml'])[0] as Manifest;

  it('runs one replica on SQLite with a kept volume, Recreate, and no Lease', () => {
    const d = deployment(defaults);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(config(defaults).leaderElection).toEqual({
      replicas: 1,
      cluster: 'apps',
      namespace: NAMESPACE,
      lease: 'coxswain-leader',
    });
    expect(defaults.some((m) => m.kind === 'Role' && m.metadata.name.endsWith('leader-election'))).toBe(
      false,
    );
    const pvc = find(defaults, 'PersistentVolumeClaim', 'coxswain');
    expect(pvc.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
    expect(config(defaults).store.sqlite.path).toBe('/data/coxswain.db');
    expect(config(defaults).clusters).toEqual([{ name: 'apps', inCluster: true }]);
  });

  it('elects a leader among two replicas, with a Role for exactly the Lease the config names', () => {
    const d = deployment(allOn);
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.strategy.type).toBe('RollingUpdate');
    expect(config(allOn).leaderElection).toMatchObject({
      replicas: 2,
      namespace: NAMESPACE,
      lease: 'coxswain-leader',
    });
    const role = find(allOn, 'Role', 'coxswain-leader-election', NAMESPACE);
    expect(role.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['coxswain-leader'],
        verbs: ['get', 'watch', 'update', 'patch'],
      },
    ]);
    expect(d.spec.template.spec.topologySpreadConstraints).toHaveLength(1);
    // PostgreSQL holds the state: no claim, an emptyDir for /data.
    expect(allOn.some((m) => m.kind === 'PersistentVolumeClaim')).toBe(false);
  });

  it('lists this cluster and each remote one, through its mounted kubeconfig', () => {
    expect(config(allOn).clusters).toEqual([
      { name: 'apps', inCluster: true },
      { name: 'infra', kubeconfig: '/run/secrets/coxswain-kube/infra/kubeconfig' },
    ]);
  });

  it('pins the image by digest when one is given', () => {
    expect(deployment(defaults).spec.template.spec.containers[0].image).toBe(
      'harbor.apps.k8s.monosense.io/platform/coxswain:0.1.0',
    );
    expect(deployment(allOn).spec.template.spec.containers[0].image).toMatch(
      /^harbor\.apps\.k8s\.monosense\.io\/platform\/coxswain@sha256:[0-9a-f]{64}$/,
    );
  });
});

/** Every (apiGroup, resource, verb, namespace, resourceName) a role grants a subject, flattened. */
function grants(manifests: Manifest[], subject: string): string[] {
  const out: string[] = [];
  const roles = new Map<string, Manifest>();
  for (const m of manifests)
    if (m.kind === 'Role' || m.kind === 'ClusterRole')
      roles.set(`${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`, m);
  for (const b of manifests) {
    if (b.kind !== 'RoleBinding' && b.kind !== 'ClusterRoleBinding') continue;
    if (!b.subjects.some((s: Manifest) => `${s.namespace}/${s.name}` === subject)) continue;
    const ns = b.kind === 'RoleBinding' ? b.metadata.namespace : '';
    const role = roles.get(`${b.roleRef.kind}/${b.roleRef.kind === 'Role' ? ns : ''}/${b.roleRef.name}`);
    if (!role) throw new Error(`${b.metadata.name} binds a role that is not rendered: ${b.roleRef.name}`);
    for (const rule of role.rules)
      for (const group of rule.apiGroups)
        for (const resource of rule.resources)
          for (const verb of rule.verbs)
            out.push(
              `${verb} ${group || 'core'}/${resource}${ns ? ` in ${ns}` : ''}${rule.resourceNames ? ` named ${rule.resourceNames.join(',')}` : ''}`,
            );
  }
  return out.sort();
}

describe('delegation RBAC', () => {
  const helmReleaseGrants = (namespaces: string[]) =>
    namespaces.map((ns) => `patch helm.toolkit.fluxcd.io/helmreleases in ${ns}`);

  it('gives the operator account exactly what phases, drills and the chat writes do, and nothing else', () => {
    const values = parseManifests(readFileSync(`${chartDir}/values.yaml`, 'utf8'))[0] as Manifest;
    expect(grants(allOn, `${NAMESPACE}/coxswain-operator`)).toEqual(
      [
        'patch kustomize.toolkit.fluxcd.io/kustomizations in flux-system',
        'patch helm.toolkit.fluxcd.io/helmreleases in flux-system',
        ...helmReleaseGrants(values.operator.helmReleaseNamespaces),
        'delete core/pods',
        'create core/pods/eviction',
        'patch core/nodes',
        'patch apps/deployments/scale in linkerd-multicluster',
        // clustermesh-resilience: Cilium's clustermesh-apiserver and no other Deployment there.
        'patch apps/deployments/scale in kube-system named clustermesh-apiserver',
        // `/ops rollout restart` and `/ops scale`, only where the values list.
        ...values.operator.workloadNamespaces.flatMap((ns: string) => [
          `patch apps/deployments in ${ns}`,
          `patch apps/deployments/scale in ${ns}`,
        ]),
        'create velero.io/restores in velero',
        'delete velero.io/restores in velero',
        'delete core/namespaces named coxswain-drill-restore',
        'create volsync.backube/replicationdestinations in coxswain-drills',
        'delete volsync.backube/replicationdestinations in coxswain-drills',
        // volsync-restore's scratch PVC, in the scratch namespace only.
        'create core/persistentvolumeclaims in coxswain-drills',
        'delete core/persistentvolumeclaims in coxswain-drills',
        'patch postgresql.cnpg.io/clusters in databases',
        'patch postgresql.cnpg.io/clusters/status in databases',
      ].sort(),
    );
  });

  it.each([
    ['apps', []],
    ['infra', ['-f', `${repoRoot}deploy/infra/values.yaml`]],
  ])('lets the operator patch every Flux object the phases touch on %s, and no others', (cluster, args) => {
    const phases = parseManifests(readFileSync(`${repoRoot}src/phases/phases.yaml`, 'utf8'))[0] as Manifest;
    const wanted = new Set<string>();
    for (const phase of phases.phases)
      for (const f of phase.flux ?? [])
        if ((f.clusters ?? []).includes(cluster)) {
          const kind = f.kind ?? 'Kustomization';
          const resource =
            kind === 'HelmRelease'
              ? 'helm.toolkit.fluxcd.io/helmreleases'
              : 'kustomize.toolkit.fluxcd.io/kustomizations';
          wanted.add(`patch ${resource} in ${f.namespace ?? 'flux-system'}`);
        }
    const flux = grants(render(args as string[]), `${NAMESPACE}/coxswain-operator`).filter((g) =>
      /helmreleases|kustomizations/.test(g),
    );
    for (const grant of wanted) expect(flux).toContain(grant);
    // Nothing beyond them, except HelmReleases in flux-system, which the Role there covers too.
    expect(flux.filter((g) => !wanted.has(g))).toEqual(
      wanted.has('patch helm.toolkit.fluxcd.io/helmreleases in flux-system')
        ? []
        : ['patch helm.toolkit.fluxcd.io/helmreleases in flux-system'],
    );
  });

  it('lets the bot read what health reads, impersonate the operator account only, and write nothing', () => {
    const bot = grants(defaults, `${NAMESPACE}/coxswain`);
    const writes = bot.filter((g) => !/^(get|list|watch|impersonate) /.test(g));
    expect(writes).toEqual([]);
    expect(bot.filter((g) => g.startsWith('impersonate '))).toEqual([
      'impersonate authentication.k8s.io/userextras/coxswain.dev/chat-user',
      `impersonate core/serviceaccounts in ${NAMESPACE} named coxswain-operator`,
    ]);
    for (const read of [
      'core/nodes',
      'core/pods',
      'core/events',
      'apps/deployments',
      'apps/statefulsets',
      'apps/daemonsets',
      'kustomize.toolkit.fluxcd.io/kustomizations',
      'helm.toolkit.fluxcd.io/helmreleases',
      'ceph.rook.io/cephclusters',
      'postgresql.cnpg.io/clusters',
      'multicluster.linkerd.io/links',
      'split.smi-spec.io/trafficsplits',
      'velero.io/schedules',
      'velero.io/backups',
      'volsync.backube/replicationsources',
      'volsync.backube/replicationdestinations',
      'cert-manager.io/certificates',
      'external-secrets.io/externalsecrets',
      'core/persistentvolumeclaims',
      'source.toolkit.fluxcd.io/gitrepositories',
      'source.toolkit.fluxcd.io/ocirepositories',
      'source.toolkit.fluxcd.io/helmrepositories',
    ])
      for (const verb of ['get', 'list', 'watch']) expect(bot).toContain(`${verb} ${read}`);
    expect(bot).toContain('get core/pods/log');
    // Reading Secrets would expose every token on the cluster.
    expect(bot.some((g) => g.includes('core/secrets'))).toBe(false);
  });

  const normalise = (manifests: Manifest[]) =>
    manifests
      .filter((m) => RBAC_KINDS.has(m.kind) && !(m.kind === 'Namespace' && m.metadata.name === NAMESPACE))
      .map((m) => {
        const copy = structuredClone(m);
        delete copy.metadata.labels?.['helm.sh/chart'];
        delete copy.metadata.labels?.['app.kubernetes.io/managed-by'];
        return copy;
      })
      .sort((a, b) => key(a).localeCompare(key(b)));
  const key = (m: Manifest) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;

  it.each([
    ['deploy/rbac/rbac.yaml', ['--set', 'mode=full']],
    ['deploy/infra/rbac.yaml', ['-f', infraValues]],
  ])('%s is what the chart renders (rerun deploy/generate.sh after changing the chart)', (file, args) => {
    const plain = parseManifests(readFileSync(`${repoRoot}${file}`, 'utf8'));
    expect(find(plain, 'Namespace', NAMESPACE).metadata.labels['pod-security.kubernetes.io/enforce']).toBe(
      'restricted',
    );
    expect(normalise(plain)).toEqual(normalise(render(args)));
  });

  it('renders no workload in RBAC-only mode', () => {
    const infra = render(['-f', infraValues]);
    expect([...new Set(infra.map((m) => m.kind))].sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'Namespace', 'Role', 'RoleBinding', 'ServiceAccount'].sort(),
    );
    expect(find(infra, 'ServiceAccount', 'coxswain').automountServiceAccountToken).toBe(false);
  });
});

describe('the bot’s own alerts', () => {
  it('are the same in the PrometheusRule and the VMRule, and promtool accepts them', () => {
    const prom = find(allOn, 'PrometheusRule', 'coxswain');
    const vm = find(allOn, 'VMRule', 'coxswain');
    expect(vm.spec).toEqual(prom.spec);
    const alerts = prom.spec.groups.flatMap((g: Manifest) => g.rules.map((r: Manifest) => r.alert));
    expect(alerts).toEqual([
      'CoxswainDown',
      'CoxswainOutboxBacklog',
      'CoxswainAlertDeliveryFailed',
      'CoxswainChatDisconnected',
      'CoxswainLeaderMissing',
    ]);
    const exprs = Object.fromEntries(
      prom.spec.groups.flatMap((g: Manifest) => g.rules.map((r: Manifest) => [r.alert, r.expr])),
    );
    expect(exprs.CoxswainOutboxBacklog).toContain(
      'coxswain_outbox_pending{job="coxswain", namespace="coxswain"}',
    );
    expect(exprs.CoxswainAlertDeliveryFailed).toContain(
      'coxswain_outbox_failed{job="coxswain", namespace="coxswain"}',
    );
    expect(exprs.CoxswainChatDisconnected).toContain(
      'coxswain_chat_connected{job="coxswain", namespace="coxswain"}',
    );
    expect(exprs.CoxswainLeaderMissing).toContain('coxswain_leader{job="coxswain", namespace="coxswain"}');

    const file = join(work, 'rules.json');
    writeFileSync(file, JSON.stringify({ groups: prom.spec.groups }));
    const r = run('promtool', ['check', 'rules', file]);
    expect(r.stdout + r.stderr).toContain('SUCCESS: 5 rules found');
    expect(r.status).toBe(0);
  });

  it('select the series the scrape objects produce (job is the release name)', () => {
    for (const kind of ['ServiceMonitor', 'VMServiceScrape']) {
      const scrape = find(allOn, kind, 'coxswain');
      expect(scrape.spec.jobLabel).toBe('app.kubernetes.io/instance');
      expect(scrape.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
      expect(scrape.spec.selector.matchLabels).toEqual(find(allOn, 'Service', 'coxswain').spec.selector);
    }
    expect(find(allOn, 'Service', 'coxswain').metadata.labels['app.kubernetes.io/instance']).toBe('coxswain');
  });
});

describe('the Grafana dashboard', () => {
  it('is JSON the sidecar picks up, charting the bot’s metrics', () => {
    const cm = find(defaults, 'ConfigMap', 'coxswain-dashboard');
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    const dashboard = JSON.parse(cm.data['coxswain.json']);
    expect(dashboard.uid).toBe('coxswain');
    const exprs = dashboard.panels
      .flatMap((p: Manifest) => p.targets.map((t: Manifest) => t.expr))
      .join('\n');
    for (const metric of [
      'coxswain_chat_connected',
      'coxswain_outbox_pending',
      'coxswain_commands_total',
      'coxswain_command_duration_seconds_bucket',
      'coxswain_leader',
    ])
      expect(exprs).toContain(metric);
  });
});

describe('network policy', () => {
  it('admits only the chat server, Alertmanager and monitoring, and lets out only DNS, them and the API servers', () => {
    const np = find(defaults, 'NetworkPolicy', 'coxswain');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const namespaces = (peers: Manifest[]) =>
      peers.map((p) => p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] ?? p.ipBlock?.cidr);
    expect(np.spec.ingress).toHaveLength(1);
    expect(namespaces(np.spec.ingress[0].from)).toEqual([
      'mattermost',
      'monitoring',
      'linkerd-multicluster',
      'monitoring',
    ]);
    expect(np.spec.ingress[0].ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
    expect(np.spec.egress.map((rule: Manifest) => namespaces(rule.to))).toEqual([
      ['kube-system'],
      ['mattermost'],
      ['monitoring', 'linkerd-multicluster'],
      ['10.25.11.0/24'],
    ]);
    expect(np.spec.egress[0].ports).toEqual([
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ]);
  });

  it('lets the bot reach a remote cluster’s API server and mounts its kubeconfig', () => {
    const np = find(allOn, 'NetworkPolicy', 'coxswain');
    expect(np.spec.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '10.25.11.0/24' } }],
      ports: [{ port: 6443, protocol: 'TCP' }],
    });
    const pod = deployment(allOn).spec.template.spec;
    expect(pod.volumes).toContainEqual({
      name: 'kube-infra',
      secret: { secretName: 'coxswain-infra-kubeconfig', defaultMode: 0o440 },
    });
    expect(pod.containers[0].volumeMounts).toContainEqual({
      name: 'kube-infra',
      mountPath: '/run/secrets/coxswain-kube/infra',
      readOnly: true,
    });
  });
});

describe('hooks from outside', () => {
  it('expose only /hooks through the Ingress and the HTTPRoute', () => {
    const ingress = find(allOn, 'Ingress', 'coxswain');
    expect(ingress.spec.rules[0].http.paths.map((p: Manifest) => p.path)).toEqual(['/hooks']);
    const route = find(allOn, 'HTTPRoute', 'coxswain');
    expect(route.spec.rules[0].matches).toEqual([{ path: { type: 'PathPrefix', value: '/hooks' } }]);
    expect(route.spec.rules[0].backendRefs).toEqual([{ name: 'coxswain', port: 8080 }]);
    expect(defaults.some((m) => m.kind === 'Ingress' || m.kind === 'HTTPRoute')).toBe(false);
  });

  it('mount the tokens the ExternalSecret writes', () => {
    const es = find(allOn, 'ExternalSecret', 'coxswain');
    expect(es.spec.target.name).toBe('coxswain');
    const volume = deployment(allOn).spec.template.spec.volumes.find((v: Manifest) => v.name === 'secrets');
    expect(volume.secret.secretName).toBe('coxswain');
    const keys = es.spec.data.map((d: Manifest) => d.secretKey);
    const config = find(allOn, 'ConfigMap', 'coxswain').data['coxswain.yaml'] as string;
    for (const file of config.matchAll(/File: \/run\/secrets\/coxswain\/([a-z-]+)/g))
      expect(keys).toContain(file[1]);
  });
});
