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

  it('refuses a dependency on a phase not defined before it', () => {
    expect(() =>
      parsePhases('phases:\n  - name: a\n    title: A\n    dependsOn: [b]\n  - name: b\n    title: B\n'),
    ).toThrow('phases.yaml: phase a depends on b, which is not defined before it');
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
});
