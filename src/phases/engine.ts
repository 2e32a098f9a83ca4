/**
 * The phase engine: a reconciler over stored runs. A run is a list of Flux objects in
 * dependency order; each pass advances the current one (resume + request a reconcile, then wait
 * for Ready on the requested reconcile), and when all are Ready it runs the success checks.
 * Progress is one post, updated. An unfinished run found at start continues where it was:
 * every step re-reads the cluster, so repeating one is safe.
 *
 * This file is the engine's face and its loop; the parts are beside it: start.ts (order, the
 * dependencies' checks, the stored run), pass.ts (one pass), pause.ts, silences.ts, render.ts
 * (the post), flux-objects.ts (the Flux API), run-data.ts (what a run stores).
 */
import type { Message } from '../message.js';
import { RunLoop } from '../runs/run-loop.js';
import type { Run } from '../store/store.js';
import type { CheckResult } from './checks.js';
import type { PhaseDefinition } from './definitions.js';
import { passPhase } from './pass.js';
import { pausePhase } from './pause.js';
import { renderRun } from './render.js';
import type { PhaseStartResult, PhaseStep } from './run-data.js';
import type { PhaseEngineOptions, PhaseRuntime } from './runtime.js';
import { dependencyChecks, orderedSteps, type PhaseStartRequest, startPhase } from './start.js';

export class PhaseEngine {
  private readonly runtime: PhaseRuntime;
  private readonly runs: RunLoop;

  constructor(private readonly options: PhaseEngineOptions) {
    const now = options.now ?? Date.now;
    const rt: PhaseRuntime = { options, now };
    this.runtime = rt;
    // An orphaned phase run continues where it was (no `adopt`): every step re-reads the cluster.
    this.runs = new RunLoop({
      store: options.store,
      kind: 'phase',
      now,
      tickMs: options.tickMs ?? 2000,
      ...(options.staleAfterMs !== undefined ? { staleAfterMs: options.staleAfterMs } : {}),
      ...(options.isLeader ? { isLeader: options.isLeader } : {}),
      pass: (run) => passPhase(rt, run),
      passFailed: (run, error) =>
        options.log.warn({ err: error, run: run.id, phase: run.name }, 'phase pass failed'),
    });
  }

  definitions(): PhaseDefinition[] {
    return this.options.phases.phases;
  }

  definition(name: string): PhaseDefinition | undefined {
    return this.options.phases.phases.find((p) => p.name === name);
  }

  async lastRun(phase: string): Promise<Run | undefined> {
    const runs = (await this.options.store.listRuns({ kind: 'phase' })).filter((r) => r.name === phase);
    return runs.sort((a, b) => b.startedAt - a.startedAt)[0];
  }

  async history(phase: string, limit = 5): Promise<Run[]> {
    const runs = (await this.options.store.listRuns({ kind: 'phase' })).filter((r) => r.name === phase);
    return runs.sort((a, b) => b.startedAt - a.startedAt).slice(0, limit);
  }

  /** Steps in dependency order: the yaml's order, moved so each comes after what it dependsOn. */
  orderedSteps(def: PhaseDefinition): Promise<PhaseStep[]> {
    return orderedSteps(this.runtime, def);
  }

  /** Dependencies' checks: a phase runs only on top of phases that pass theirs. */
  dependencyChecks(def: PhaseDefinition): Promise<CheckResult[]> {
    return dependencyChecks(this.runtime, def);
  }

  start(request: PhaseStartRequest): Promise<PhaseStartResult> {
    return startPhase(this.runtime, this.runs, request);
  }

  /** Suspends the phase's Kustomizations again (last first) and stops a run of it. */
  pause(phase: string, actor: string): Promise<Run | string> {
    return pausePhase(this.runtime, phase, actor);
  }

  /** Continues runs a previous process left unfinished. */
  resume(): Promise<number> {
    return this.runs.resume();
  }

  stop(): Promise<void> {
    return this.runs.stop();
  }

  settled(id: string): Promise<Run | undefined> {
    return this.runs.settled(id);
  }

  /** The run as one post: each step and check, who ran it and when. */
  render(run: Run): Message {
    return renderRun(run, this.options.timeZone);
  }
}
