import { describe, expect, it } from 'vitest';
import { unmet } from '../../../src/phases/checks.js';
import { loadPhases, parsePhases } from '../../../src/phases/definitions.js';

describe('phases.yaml', () => {
  it('ships the six phases of the platform plan, each depending only on earlier ones', () => {
    const file = loadPhases();
    expect(file.phases.map((p) => p.name)).toEqual([
      'foundation',
      'mesh-observability',
      'storage-backup',
      'platform-services',
      'security-networking',
      'applications-validation',
    ]);
    expect(file.timeout).toBe(600_000);
    expect(file.phases.find((p) => p.name === 'storage-backup')?.dependsOn).toEqual(['foundation']);
    expect(file.phases.every((p) => p.checks.length > 0)).toBe(true);
  });

  it('brings up every component the overview puts in each phase (docs/platform/multi-cluster-overview.md)', () => {
    const kustomizations = (phase: string) =>
      loadPhases()
        .phases.find((p) => p.name === phase)
        ?.flux.filter((f) => f.kind === 'Kustomization')
        .map((f) => f.name);
    expect(kustomizations('foundation')).toEqual([
      'cluster-infra',
      'cluster-apps',
      'cilium',
      'victoria-metrics',
    ]);
    expect(kustomizations('mesh-observability')).toEqual([
      'linkerd',
      'linkerd-multicluster',
      'linkerd-viz',
      'jaeger',
    ]);
    expect(kustomizations('storage-backup')).toEqual(['rook-ceph', 'openebs', 'volsync', 'velero']);
    expect(kustomizations('platform-services')).toEqual([
      'external-secrets',
      'cloudnative-pg',
      'databases',
      'dragonfly',
      'minio',
      'keycloak',
    ]);
    expect(kustomizations('security-networking')).toEqual([
      'cert-manager',
      'cloudflare-tunnel',
      'network-policies',
      'linkerd-authorization',
      'actions-runner-controller',
      'external-dns',
    ]);
    expect(kustomizations('applications-validation')).toEqual([
      'gitlab',
      'harbor',
      'mattermost',
      'alert-rules',
    ]);
  });

  it('refuses a dependency on a phase not defined before it', () => {
    expect(() =>
      parsePhases('phases:\n  - name: a\n    title: A\n    dependsOn: [b]\n  - name: b\n    title: B\n'),
    ).toThrow('phases.yaml: phase a depends on b, which is not defined before it');
  });

  const plan = (checkPhase: string, installPhase: string, extra = '') =>
    [
      'phases:',
      '  - name: a',
      '    title: A',
      ...(installPhase === 'a'
        ? [
            '    flux:',
            '      - name: mm',
            '        clusters: [apps]',
            '        installs:',
            `          - { apiVersion: volsync.backube/v1alpha1, plural: replicationsources, namespace: mattermost, name: mattermost-data${extra} }`,
          ]
        : []),
      ...(checkPhase === 'a' ? check() : []),
      '  - name: b',
      '    title: B',
      '    dependsOn: [a]',
      ...(installPhase === 'b'
        ? [
            '    flux:',
            '      - name: mm',
            '        clusters: [apps]',
            '        installs:',
            `          - { apiVersion: volsync.backube/v1alpha1, plural: replicationsources, namespace: mattermost, name: mattermost-data${extra} }`,
          ]
        : []),
      ...(checkPhase === 'b' ? check() : []),
      '',
    ].join('\n');
  const check = () => [
    '    checks:',
    '      - name: VolSync within RPO',
    '        clusters: [apps]',
    '        object: { apiVersion: volsync.backube/v1alpha1, plural: replicationsources, namespace: mattermost, name: mattermost-data }',
    '        expect: [{ path: status.lastSyncTime, maxAge: 6h }]',
  ];

  it('refuses a check naming an object a later phase installs (the storage-backup deadlock)', () => {
    expect(() => parsePhases(plan('a', 'b'))).toThrow(
      'phases.yaml: phase a: check "VolSync within RPO" reads replicationsources.volsync.backube mattermost/mattermost-data on apps, which phase b installs, which runs after it: a check may only name what its own phase or one it depends on installs, or the plan deadlocks on a fresh platform',
    );
    expect(parsePhases(plan('b', 'a')).phases).toHaveLength(2);
    expect(parsePhases(plan('a', 'a')).phases).toHaveLength(2);
  });

  it('refuses a check naming an object no phase installs', () => {
    expect(() => parsePhases(plan('a', 'b', '-other'))).toThrow(
      'phases.yaml: phase a: check "VolSync within RPO" reads replicationsources.volsync.backube mattermost/mattermost-data on apps, which no phase installs; list it under installs: of the Flux object that applies it',
    );
  });

  it('refuses a check naming what a phase it does not depend on installs', () => {
    const text = plan('b', 'a').replace('    dependsOn: [a]\n', '');
    expect(() => parsePhases(text)).toThrow(/which phase a installs, which b does not depend on/);
  });

  it('refuses a check with an unknown comparison', () => {
    expect(() =>
      parsePhases(
        'phases:\n  - name: a\n    title: A\n    checks:\n      - name: x\n        clusters: [apps]\n        object: { apiVersion: apps/v1, plural: deployments, name: d }\n        expect: [{ path: status.x, greaterThan: 1 }]\n',
      ),
    ).toThrow(/^phases\.yaml: phases\.0\.checks\.0/);
  });
});

describe('check expectations', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  const cnpg = {
    spec: { instances: 3 },
    status: {
      phase: 'Cluster in healthy state',
      readyInstances: 2,
      lastSyncTime: '2026-11-23T05:00:00Z',
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };

  it('equals, equalsPath, atLeast, condition and maxAge say what is wrong', () => {
    expect(unmet(cnpg, { path: 'status.phase', equals: 'Cluster in healthy state' }, now)).toBeUndefined();
    expect(unmet(cnpg, { path: 'status.readyInstances', equalsPath: 'spec.instances' }, now)).toBe(
      'status.readyInstances is 2, spec.instances is 3',
    );
    expect(unmet(cnpg, { path: 'status.readyInstances', atLeast: 3 }, now)).toBe(
      'status.readyInstances is 2, want at least 3',
    );
    expect(unmet(cnpg, { condition: 'Ready', status: 'True' }, now)).toBeUndefined();
    expect(unmet(cnpg, { condition: 'Stalled', status: 'False' }, now)).toBe(
      'condition Stalled is missing, want False',
    );
    expect(unmet(cnpg, { path: 'status.lastSyncTime', maxAge: 6 * 3_600_000 }, now)).toBe(
      'status.lastSyncTime is 7h old, more than 6h',
    );
    expect(unmet(cnpg, { path: 'status.lastSyncTime', maxAge: 8 * 3_600_000 }, now)).toBeUndefined();
    expect(unmet(cnpg, { path: 'status.missing', equalsPath: 'status.alsoMissing' }, now)).toBe(
      'status.missing is unset, status.alsoMissing is unset',
    );
  });

  it('present, array indexes and bracketed keys with dots', () => {
    const ns = {
      metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } },
      subsets: [{ addresses: [{ ip: '10.0.0.1' }] }],
      status: { empty: '' },
    };
    expect(
      unmet(ns, { path: 'metadata.labels[pod-security.kubernetes.io/enforce]', equals: 'baseline' }, now),
    ).toBeUndefined();
    expect(
      unmet(ns, { path: 'metadata.labels[pod-security.kubernetes.io/warn]', equals: 'baseline' }, now),
    ).toBe('metadata.labels[pod-security.kubernetes.io/warn] is unset, want baseline');
    expect(unmet(ns, { path: 'subsets.0.addresses.0.ip', present: true }, now)).toBeUndefined();
    expect(unmet(ns, { path: 'subsets.1.addresses.0.ip', present: true }, now)).toBe(
      'subsets.1.addresses.0.ip is unset',
    );
    expect(unmet(ns, { path: 'status.empty', present: true }, now)).toBe('status.empty is unset');
  });
});
