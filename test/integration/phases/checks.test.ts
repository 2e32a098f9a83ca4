/**
 * The shipped phases.yaml against the seeded platform, read with the bot's own account (RBAC from
 * deploy/ applied): every Flux object it names exists, and every success check passes on a
 * healthy platform — so a check cannot name an object, a field or a kind the bot cannot read.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClusterDirectory } from '../../../src/kube/cluster-ops.js';
import { runChecks } from '../../../src/phases/checks.js';
import { loadPhases } from '../../../src/phases/definitions.js';
import { PhaseEngine } from '../../../src/phases/engine.js';
import { loadStackEnv } from '../../stack/env.js';
import { quietLog, RecordingChat, tempStore } from '../drills/helpers.js';
import { botDirectory } from '../rbac/identities.js';

let clusters: ClusterDirectory;

beforeAll(() => {
  clusters = botDirectory(loadStackEnv(), ['infra', 'apps']);
});

describe('the shipped phases on the seeded platform', () => {
  it.each(loadPhases().phases.map((p) => [p.name, p] as const))(
    '%s: its checks pass and its Flux objects exist',
    async (_name, phase) => {
      const results = await runChecks(phase.checks, clusters, Date.now());
      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(results.length).toBeGreaterThan(0);
      const { store } = await tempStore();
      const engine = new PhaseEngine({
        store,
        clusters,
        chat: new RecordingChat(),
        phases: loadPhases(),
        log: quietLog,
      });
      const steps = await engine.orderedSteps(phase);
      expect(steps).toHaveLength(phase.flux.reduce((n, f) => n + f.clusters.length, 0));
      await store.close();
    },
  );
});
