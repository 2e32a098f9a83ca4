/**
 * Pausing a phase: a run of it stops (it wins over the pass that is under way, see pass.ts), its
 * silences expire, and its Kustomizations are suspended again, last first; the pause is stored as
 * a run of its own so `phase status` shows who paused what. Its own file because it is the
 * phase's way back, as rollback is a drill's.
 */
import type { Run } from '../store/store.js';
import type { PhaseDefinition } from './definitions.js';
import { refOf } from './flux-objects.js';
import type { PhaseData, PhaseStep } from './run-data.js';
import { newRun, type PhaseRuntime } from './runtime.js';
import { closeSilences } from './silences.js';

/** Suspends the phase's Kustomizations again (last first) and stops a run of it. */
export async function pausePhase(rt: PhaseRuntime, phase: string, actor: string): Promise<Run | string> {
  const { store, phases } = rt.options;
  const def = phases.phases.find((p) => p.name === phase);
  if (!def)
    return `There is no phase ${phase}; the phases are ${phases.phases.map((p) => p.name).join(', ')}.`;
  const now = rt.now();
  for (const active of (await store.listRuns({ kind: 'phase', unfinished: true })).filter(
    (r) => r.name === phase,
  )) {
    active.state = 'paused';
    active.finishedAt = now;
    (active.data as PhaseData).reason = `paused by ${actor}`;
    await closeSilences(rt, active);
    await store.saveRun(active);
  }
  const steps = await suspendAll(rt, def, actor);
  const data: PhaseData = {
    phase,
    action: 'pause',
    steps,
    current: steps.length,
    dependencyChecks: [],
    timeoutMs: 0,
  };
  const run = newRun(phase, actor, now, data, 'paused');
  run.finishedAt = rt.now();
  await store.saveRun(run);
  return run;
}

/** Suspends each Kustomization of the phase, last first; a step per object says how it went. */
async function suspendAll(rt: PhaseRuntime, def: PhaseDefinition, actor: string): Promise<PhaseStep[]> {
  const { clusters } = rt.options;
  const steps: PhaseStep[] = [];
  for (const spec of [...def.flux].reverse()) {
    if (spec.kind !== 'Kustomization') continue;
    for (const cluster of spec.clusters) {
      const ops = clusters.get(cluster);
      const step: PhaseStep = {
        cluster,
        kind: spec.kind,
        namespace: spec.namespace,
        name: spec.name,
        state: 'ready',
        startedAt: rt.now(),
      };
      try {
        if (!ops) throw new Error(`cluster ${cluster} is not configured`);
        await ops.writer(actor).mergePatch(refOf(spec), { spec: { suspend: true } });
        step.detail = 'suspended';
      } catch (error) {
        step.state = 'failed';
        step.detail = error instanceof Error ? error.message : String(error);
      }
      step.doneAt = rt.now();
      steps.push(step);
    }
  }
  return steps;
}
