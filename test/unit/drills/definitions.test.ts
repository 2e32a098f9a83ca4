import { describe, expect, it } from 'vitest';
import { expectedAlertMatchers, loadDrills, parseDrills } from '../../../src/drills/definitions.js';
import { DRILL_HANDLERS } from '../../../src/drills/handlers.js';

describe('drills.yaml', () => {
  it('ships the seven drills with the DR plan objectives: pod < 1 min, node < 5 min', () => {
    const drills = loadDrills();
    expect(drills.map((d) => d.name)).toEqual([
      'pod-kill',
      'node-drain',
      'cnpg-failover',
      'mesh-gateway',
      'backup-restore',
      'volsync-restore',
      'clustermesh-resilience',
      'app-failover',
    ]);
    expect(drills.find((d) => d.name === 'pod-kill')?.objective).toBe(60_000);
    expect(drills.find((d) => d.name === 'node-drain')?.objective).toBe(300_000);
    for (const d of drills) expect(d.timeLimit).toBeGreaterThanOrEqual(d.objective);
  });

  it('takes objectives and tiers from the DR plan, and marks what the plan does not give as chosen', () => {
    // docs/platform/multi-cluster-overview.md: pod < 1 min, node < 5 min, cluster restore < 4 h;
    // Tier 1 (pod/PVC) weekly, Tier 2 (node/cluster) monthly.
    const row = (name: string) => {
      const d = loadDrills().find((x) => x.name === name);
      return [d?.objective, d?.tier, d?.chosen];
    };
    expect(row('pod-kill')).toEqual([60_000, 'weekly', []]);
    expect(row('cnpg-failover')).toEqual([60_000, 'weekly', []]);
    expect(row('node-drain')).toEqual([300_000, 'monthly', []]);
    expect(row('backup-restore')).toEqual([4 * 3_600_000, 'monthly', []]);
    expect(row('mesh-gateway')).toEqual([60_000, 'monthly', ['objective', 'tier']]);
    // A PVC is Tier 1 (weekly); the plan gives no recovery time for one.
    expect(row('volsync-restore')).toEqual([30 * 60_000, 'weekly', ['objective']]);
    // The plan's week-10 "Test 3: ClusterMesh resilience" has neither a recovery time nor a tier.
    expect(row('clustermesh-resilience')).toEqual([2 * 60_000, 'monthly', ['objective', 'tier']]);
    // An application lost on one cluster is Tier 2 (cluster); the plan's < 4 h is a restore, not a failover.
    expect(row('app-failover')).toEqual([60_000, 'monthly', ['objective']]);
  });

  it('every kind has code that runs it', () => {
    expect(Object.keys(DRILL_HANDLERS).sort()).toEqual([
      'app-failover',
      'backup-restore',
      'clustermesh-resilience',
      'cnpg-failover',
      'mesh-gateway',
      'node-drain',
      'pod-kill',
      'volsync-restore',
    ]);
  });

  it('refuses an unknown kind and a duplicate name', () => {
    const one = (name: string, kind: string) =>
      `  - name: ${name}\n    kind: ${kind}\n    summary: s\n    objective: 1m\n    timeLimit: 2m\n    steps: [x]\n    rollback: r\n`;
    expect(() => parseDrills(`drills:\n${one('a', 'reboot')}`)).toThrow(/^drills\.yaml: drills\.0\.kind/);
    expect(() => parseDrills(`drills:\n${one('a', 'pod-kill')}${one('a', 'node-drain')}`)).toThrow(
      'drills.yaml: drill a is defined twice',
    );
  });

  it("reads expected alerts as matchers, filling in the run's arguments and leaving out what it lacks", () => {
    const drill = (alerts: string) =>
      `drills:\n  - name: a\n    kind: pod-kill\n    summary: s\n    objective: 1m\n    timeLimit: 2m\n    steps: [x]\n    rollback: r\n    expectedAlerts: [${alerts}]\n`;
    expect(() => parseDrills(drill("'KubePodNotReady'"))).toThrow(
      /^drills\.yaml: drills\.0\.expectedAlerts\.0: must be Alertmanager matchers/,
    );
    const [def] = parseDrills(
      drill(`'alertname="KubePodNotReady", namespace="{namespace}", pod=~"{workload}-.*"'`),
    );
    if (!def) throw new Error('no drill');
    expect(
      expectedAlertMatchers(def, { cluster: 'apps', namespace: 'harbor', workload: 'harbor-core' }),
    ).toEqual([
      [
        { name: 'alertname', type: '=', value: 'KubePodNotReady' },
        { name: 'namespace', type: '=', value: 'harbor' },
        { name: 'pod', type: '=~', value: 'harbor-core-.*' },
      ],
    ]);
    // No --workload: the pod matcher is left out (a wider silence, not one that matches nothing).
    expect(expectedAlertMatchers(def, { cluster: 'apps', namespace: 'harbor' })).toEqual([
      [
        { name: 'alertname', type: '=', value: 'KubePodNotReady' },
        { name: 'namespace', type: '=', value: 'harbor' },
      ],
    ]);
  });
});
