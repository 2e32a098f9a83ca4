/**
 * deploy/flux as Flux would apply it: every object dry-run on the real API servers (with Flux's,
 * VictoriaMetrics' and external-secrets' CRDs), the HelmRelease's values rendered by the chart
 * into a config coxswain accepts, and the Alertmanager receiver checked by amtool.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { kubectl, kubectlRun } from '../../stack/kubectl.js';
import {
  ensureNamespaces,
  ensureNamespacesFor,
  find,
  helm,
  type Manifest,
  parseManifests,
  render,
  repoRoot,
  run,
} from './support.js';

const flux = `${repoRoot}deploy/flux`;
const workload = `${flux}/kubernetes/workloads/coxswain`;
const SERVER_SIDE = ['apply', '--server-side', '--force-conflicts', '--field-manager=coxswain-deploy-test'];
const work = mkdtempSync(join(tmpdir(), 'coxswain-flux-'));

let env: StackEnv;
let built: Manifest[];

beforeAll(() => {
  env = loadStackEnv();
  ensureNamespaces(env, 'apps', ['coxswain', 'flux-system']);
  ensureNamespaces(env, 'infra', ['monitoring']);
  built = parseManifests(kubectl(env, 'apps', ['kustomize', workload]));
});

function dryRun(cluster: 'apps' | 'infra', text: string) {
  return kubectlRun(env, cluster, [...SERVER_SIDE, '--dry-run=server', '-o', 'name', '-f', '-'], text);
}

const list = (items: Manifest[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

describe('the Flux objects', () => {
  it('build with kustomize and pass a server-side dry run on apps', () => {
    expect(built.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'HelmRelease/coxswain',
      'Namespace/coxswain',
      'OCIRepository/coxswain',
    ]);
    const entry = parseManifests(readFileSync(`${flux}/kubernetes/clusters/apps/coxswain.yaml`, 'utf8'));
    const r = dryRun('apps', list([...built, ...entry]));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([
      'helmrelease.helm.toolkit.fluxcd.io/coxswain',
      'kustomization.kustomize.toolkit.fluxcd.io/coxswain',
      'namespace/coxswain',
      'ocirepository.source.toolkit.fluxcd.io/coxswain',
    ]);
  });

  it('would be refused with a value Flux’s CRD does not allow, so the dry run is a real check', () => {
    const broken = built.map((m) =>
      m.kind === 'HelmRelease' ? { ...m, spec: { ...m.spec, interval: 'soon' } } : m,
    );
    const r = dryRun('apps', list(broken));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('spec.interval');
  });

  it('point at each other: the cluster entry at the workload folder, the release at the chart source', () => {
    const entry = parseManifests(
      readFileSync(`${flux}/kubernetes/clusters/apps/coxswain.yaml`, 'utf8'),
    )[0] as Manifest;
    expect(entry.spec.path).toBe('./kubernetes/workloads/coxswain');
    const release = find(built, 'HelmRelease', 'coxswain');
    const source = find(built, 'OCIRepository', 'coxswain');
    expect(release.spec.chartRef).toEqual({
      kind: 'OCIRepository',
      name: source.metadata.name,
      namespace: source.metadata.namespace,
    });
    expect(source.spec.url).toBe('oci://harbor.apps.k8s.monosense.io/platform/charts/coxswain');
    expect(find(built, 'Namespace', 'coxswain').metadata.labels['pod-security.kubernetes.io/enforce']).toBe(
      'restricted',
    );
  });
});

describe('the HelmRelease values', () => {
  let values: string;
  let rendered: Manifest[];

  beforeAll(() => {
    values = join(work, 'values.yaml');
    writeFileSync(values, stringify(find(built, 'HelmRelease', 'coxswain').spec.values));
    rendered = render(['-f', values]);
  });

  it('pass the chart’s schema and a strict lint', () => {
    const r = run(helm(), ['lint', `${repoRoot}charts/coxswain`, '--strict', '-f', values]);
    expect(r.stdout).toContain('0 chart(s) failed');
    expect(r.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    expect(r.status).toBe(0);
  });

  it('render objects the apps API server accepts', () => {
    ensureNamespacesFor(env, 'apps', rendered);
    const r = dryRun('apps', list(rendered));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('render a config coxswain loads, with infra through the minted kubeconfig', () => {
    const dir = mkdtempSync(join(work, 'config-'));
    const text = (find(rendered, 'ConfigMap', 'coxswain').data['coxswain.yaml'] as string).replace(
      /\/run\/secrets\/coxswain\/([a-z-]+)/g,
      (_match, key: string) => {
        writeFileSync(join(dir, key), `${'t'.repeat(40)}\n`);
        return join(dir, key);
      },
    );
    writeFileSync(join(dir, 'coxswain.yaml'), text);
    const config = loadConfig({ path: join(dir, 'coxswain.yaml'), env: {} });
    expect(config.clusters).toEqual([
      expect.objectContaining({ name: 'apps', inCluster: true }),
      expect.objectContaining({ name: 'infra', kubeconfig: '/run/secrets/coxswain-kube/infra/kubeconfig' }),
    ]);
    expect(config.alerts.webhook.token).toBe('t'.repeat(40));
    expect(config.chat.mattermost?.teams).toEqual(['platform']);
  });

  it('export the Service to infra, where the Alertmanager receiver addresses it', () => {
    const service = find(rendered, 'Service', 'coxswain');
    expect(service.metadata.labels['mirror.linkerd.io/exported']).toBe('true');
    const receiver = parseManifests(
      readFileSync(`${flux}/alertmanager/vmalertmanagerconfig.yaml`, 'utf8'),
    )[0] as Manifest;
    const url = new URL(receiver.spec.receivers[0].webhook_configs[0].url);
    // Linkerd names the mirror <service>-<link name>, in the same namespace.
    expect(url.hostname).toBe(
      `${service.metadata.name}-apps.${service.metadata.namespace}.svc.cluster.local`,
    );
    expect(Number(url.port)).toBe(service.spec.ports[0].port);
    expect(url.pathname).toBe('/hooks/alertmanager');
  });
});

describe('the Alertmanager receiver', () => {
  it('is a VMAlertmanagerConfig and ExternalSecret the infra API server accepts', () => {
    const r = dryRun('infra', readFileSync(`${flux}/alertmanager/vmalertmanagerconfig.yaml`, 'utf8'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([
      'externalsecret.external-secrets.io/coxswain-webhook',
      'vmalertmanagerconfig.operator.victoriametrics.com/coxswain',
    ]);
    const [config, secret] = parseManifests(
      readFileSync(`${flux}/alertmanager/vmalertmanagerconfig.yaml`, 'utf8'),
    ) as [Manifest, Manifest];
    const auth = config.spec.receivers[0].webhook_configs[0].http_config.authorization;
    expect(auth).toEqual({ type: 'Bearer', credentials: { name: secret.spec.target.name, key: 'token' } });
    expect(config.spec.route.continue).toBe(true);
  });

  it('is a plain Alertmanager config amtool accepts, with the token from a file', () => {
    const file = `${flux}/alertmanager/alertmanager.yaml`;
    const r = run(env.AMTOOL, ['check-config', file]);
    expect(r.stdout).toContain('SUCCESS');
    expect(r.status).toBe(0);
    const config = parseManifests(readFileSync(file, 'utf8'))[0] as Manifest;
    const webhook = config.receivers.find((x: Manifest) => x.name === 'coxswain').webhook_configs[0];
    expect(webhook.url).toMatch(/\/hooks\/alertmanager$/);
    expect(webhook.http_config.authorization).toEqual({
      type: 'Bearer',
      credentials_file: '/etc/alertmanager/secrets/coxswain-webhook/token',
    });
  });
});
