/**
 * The chart as the API server sees it: `helm template` with default values and with every
 * optional feature on, applied with `kubectl apply --dry-run=server` to the stack's real
 * kube-apiservers (with the platform's CRDs: ServiceMonitor, PrometheusRule, VMServiceScrape,
 * VMRule, ExternalSecret, HTTPRoute), and the pod checked by the real PodSecurity admission.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { kubectl, kubectlRun } from '../../stack/kubectl.js';
import {
  allFeaturesValues,
  ensureNamespaces,
  ensureNamespacesFor,
  find,
  type Manifest,
  NAMESPACE,
  render,
  renderText,
  repoRoot,
} from './support.js';

let env: StackEnv;

const SERVER_SIDE = ['apply', '--server-side', '--force-conflicts', '--field-manager=coxswain-deploy-test'];

/** Namespaces the rendered objects live in; the stack's seed may or may not have made them. */
const NAMESPACES = [
  NAMESPACE,
  'coxswain-drills',
  'flux-system',
  'linkerd-multicluster',
  'velero',
  'monitoring',
  'mattermost',
  'databases',
];

beforeAll(() => {
  env = loadStackEnv();
  ensureNamespaces(env, 'apps', NAMESPACES);
  ensureNamespaces(env, 'infra', NAMESPACES);
  ensureNamespacesFor(env, 'apps', [...render(), ...render(['-f', allFeaturesValues])]);
  ensureNamespacesFor(env, 'infra', readFileSync(`${repoRoot}deploy/infra/rbac.yaml`, 'utf8'));
  // The pod's service account must exist for the pod to be admitted: the RBAC as shipped.
  kubectl(env, 'apps', [...SERVER_SIDE, '-f', `${repoRoot}deploy/rbac/rbac.yaml`]);
  for (const crd of [
    'servicemonitors.monitoring.coreos.com',
    'prometheusrules.monitoring.coreos.com',
    'vmservicescrapes.operator.victoriametrics.com',
    'vmrules.operator.victoriametrics.com',
    'externalsecrets.external-secrets.io',
    'httproutes.gateway.networking.k8s.io',
    'helmreleases.helm.toolkit.fluxcd.io',
  ])
    kubectl(env, 'apps', ['wait', '--for=condition=established', '--timeout=60s', `crd/${crd}`]);
});

function dryRun(cluster: 'apps' | 'infra', text: string) {
  return kubectlRun(env, cluster, [...SERVER_SIDE, '--dry-run=server', '-o', 'name', '-f', '-'], text);
}

describe('kubectl apply --dry-run=server on the real API server', () => {
  it.each([
    ['default values', [] as string[]],
    ['every optional feature on', ['-f', allFeaturesValues]],
  ])('accepts every object of the chart with %s', (_name, args) => {
    const text = renderText(args);
    const r = dryRun('apps', text);
    expect(r.stderr).not.toMatch(/error|would violate PodSecurity/i);
    expect(r.status).toBe(0);
    const applied = r.stdout.trim().split('\n').sort();
    const rendered = render(args);
    expect(applied).toHaveLength(rendered.length);
    for (const kind of [
      'deployment.apps/coxswain',
      'service/coxswain',
      'networkpolicy.networking.k8s.io/coxswain',
    ])
      expect(applied).toContain(kind);
    if (args.length > 0)
      for (const kind of [
        'servicemonitor.monitoring.coreos.com/coxswain',
        'prometheusrule.monitoring.coreos.com/coxswain',
        'vmservicescrape.operator.victoriametrics.com/coxswain',
        'vmrule.operator.victoriametrics.com/coxswain',
        'externalsecret.external-secrets.io/coxswain',
        'httproute.gateway.networking.k8s.io/coxswain',
        'ingress.networking.k8s.io/coxswain',
      ])
        expect(applied).toContain(kind);
  });

  it('refuses an object the CRD schema does not allow, so the dry run is a real check', () => {
    const broken = render().map((m) =>
      m.kind === 'VMRule' ? { ...m, spec: { groups: [{ name: 'x', rules: [{ alert: 1 }] }] } } : m,
    );
    const r = dryRun('apps', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: broken }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('VMRule');
  });

  it('accepts the plain RBAC in deploy/rbac (apps) and deploy/infra (infra)', () => {
    for (const [cluster, file] of [
      ['apps', 'deploy/rbac/rbac.yaml'],
      ['infra', 'deploy/infra/rbac.yaml'],
    ] as const) {
      const r = kubectlRun(env, cluster, [
        ...SERVER_SIDE,
        '--dry-run=server',
        '-o',
        'name',
        '-f',
        `${repoRoot}${file}`,
      ]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('serviceaccount/coxswain-operator');
    }
  });
});

describe('restricted Pod Security, judged by the API server', () => {
  const podFrom = (deployment: Manifest, mutate: (spec: Manifest) => void = () => {}) => {
    const spec = structuredClone(deployment.spec.template.spec);
    mutate(spec);
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'coxswain-pod-security-probe', namespace: NAMESPACE },
      spec,
    });
  };

  it.each([
    ['default values', [] as string[]],
    ['every optional feature on', ['-f', allFeaturesValues]],
  ])('admits the pod with %s into a namespace that enforces the restricted profile', (_name, args) => {
    const labels = JSON.parse(kubectl(env, 'apps', ['get', 'namespace', NAMESPACE, '-o', 'json'])).metadata
      .labels;
    expect(labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const deployment = find(render(args), 'Deployment', 'coxswain');
    const r = kubectlRun(env, 'apps', ['create', '--dry-run=server', '-f', '-'], podFrom(deployment));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('would refuse the same pod with privilege escalation allowed', () => {
    const deployment = find(render(), 'Deployment', 'coxswain');
    const r = kubectlRun(
      env,
      'apps',
      ['create', '--dry-run=server', '-f', '-'],
      podFrom(deployment, (spec) => {
        spec.containers[0].securityContext.allowPrivilegeEscalation = true;
      }),
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false');
  });
});
