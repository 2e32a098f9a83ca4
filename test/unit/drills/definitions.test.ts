import { describe, expect, it } from 'vitest';
import { loadDrills, parseDrills } from '../../../src/drills/definitions.js';
import { DRILL_HANDLERS } from '../../../src/drills/engine.js';

describe('drills.yaml', () => {
  it('ships the six drills with the DR plan objectives: pod < 1 min, node < 5 min', () => {
    const drills = loadDrills();
    expect(drills.map((d) => d.name)).toEqual([
      'pod-kill',
      'node-drain',
      'cnpg-failover',
      'mesh-gateway',
      'backup-restore',
      'volsync-restore',
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
  });

  it('every kind has code that runs it', () => {
    expect(Object.keys(DRILL_HANDLERS).sort()).toEqual([
      'backup-restore',
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
});
