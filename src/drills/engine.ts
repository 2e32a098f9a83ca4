/**
 * The drill engine: a small reconciler over stored runs. `start` checks the guard rails and
 * stores a run; a loop advances it one stage per tick (each stage idempotent), posting every
 * step as a thread reply under the run's post. The time limit and `abort` turn a run into a
 * rollback; a run found unfinished when the bot starts (it was interrupted by a restart) is
 * rolled back too. The final report — measured recovery against the objective — is stored
 * with the run and posted. With leader election only the leader drives runs: a replica that is
 * not the leader checks the guard rails and stores the run, and the leader's `resume` starts it.
 *
 * This file is the engine's face and its bookkeeping (the start lock, abort, the loop); the
 * parts are beside it: start.ts (arguments and guard rails), pass.ts (one pass, rollback,
 * restart), silences.ts, report.ts (what a run posts), run-data.ts (what a run stores).
 */
import type { Message } from '../message.js';
import { RunLoop } from '../runs/run-loop.js';
import type { Run } from '../store/store.js';
import type { DrillDefinition } from './definitions.js';
import { reconcileDrill, rollBackOrphan } from './pass.js';
import { reportMessage, summaryMessage } from './report.js';
import type { DrillData } from './run-data.js';
import type { DrillEngineOptions, DrillRuntime } from './runtime.js';
import {
  type DrillTarget,
  planDrill,
  type ResolvedDrill,
  resolveDrill,
  type StartRequest,
  type StartResult,
  startDrill,
} from './start.js';

export class DrillEngine {
  private readonly runtime: DrillRuntime;
  private readonly runs: RunLoop;
  /** Serialises guard checks and run creation, so two starts cannot both pass "one per cluster". */
  private startLock: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: DrillEngineOptions) {
    const now = options.now ?? Date.now;
    const maxErrors = options.maxErrors ?? 5;
    const rt: DrillRuntime = { options, now };
    this.runtime = rt;
    this.runs = new RunLoop({
      store: options.store,
      kind: 'drill',
      now,
      tickMs: options.tickMs ?? 2000,
      ...(options.staleAfterMs !== undefined ? { staleAfterMs: options.staleAfterMs } : {}),
      ...(options.isLeader ? { isLeader: options.isLeader } : {}),
      pass: async (run) => {
        await reconcileDrill(rt, run, maxErrors);
        return run.finishedAt !== undefined;
      },
      passFailed: (run, error) =>
        options.log.error(
          { err: error, run: run.id, drill: run.name, cluster: run.cluster },
          'drill pass failed',
        ),
      adopt: (run) => rollBackOrphan(rt, run),
    });
  }

  definitions(): DrillDefinition[] {
    return this.options.drills;
  }

  definition(name: string): DrillDefinition | undefined {
    return this.options.drills.find((d) => d.name === name);
  }

  /** Fills defaults and checks the arguments; a sentence when something is missing. */
  resolve(request: DrillTarget): ResolvedDrill | string {
    return resolveDrill(this.runtime, request);
  }

  /** What a run would do, read from the live cluster; changes nothing. */
  plan(request: DrillTarget): Promise<{ lines: string[]; problems: string[] } | string> {
    return planDrill(this.runtime, request);
  }

  async start(request: StartRequest): Promise<StartResult> {
    const previous = this.startLock;
    let release!: () => void;
    this.startLock = new Promise<void>((r) => {
      release = r;
    });
    await previous;
    try {
      return await startDrill(this.runtime, this.runs, request);
    } finally {
      release();
    }
  }

  /** Asks the running drill on a cluster to roll back; the loop does it on its next pass. */
  async abort(cluster: string | undefined, actor: string): Promise<Run | string> {
    const active = (await this.options.store.listRuns({ kind: 'drill', unfinished: true })).filter(
      (r) => cluster === undefined || r.cluster === cluster,
    );
    if (active.length === 0) return cluster ? `No drill is running on ${cluster}.` : 'No drill is running.';
    if (active.length > 1 && cluster === undefined)
      return `Drills are running on ${active.map((r) => r.cluster).join(' and ')}; say which with --cluster.`;
    const run = active[0] as Run;
    const data = run.data as DrillData;
    if (!data.abortRequestedBy) {
      data.abortRequestedBy = actor;
      run.updatedAt = this.runtime.now();
      await this.options.store.saveRun(run);
    }
    // The loop driving it (here or on another replica) rolls it back on its next pass; an
    // orphaned run is rolled back by the next resume() sweep.
    this.runs.wakeAll();
    return run;
  }

  async recent(limit = 10): Promise<Run[]> {
    const runs = await this.options.store.listRuns({ kind: 'drill' });
    return runs.sort((a, b) => b.startedAt - a.startedAt).slice(0, limit);
  }

  /**
   * Picks up runs left unfinished by a process that died: they were interrupted mid-way, so
   * they are rolled back (e.g. the drained node is uncordoned), never continued. Called at start
   * and periodically, so a run orphaned by another replica is found too.
   */
  resume(): Promise<number> {
    return this.runs.resume();
  }

  /** Stops the loops after their current pass; runs stay stored as they are. */
  stop(): Promise<void> {
    return this.runs.stop();
  }

  /** Resolves when the run's loop has finished (tests and the scheduler wait on it). */
  settled(id: string): Promise<Run | undefined> {
    return this.runs.settled(id);
  }

  /** The final report, posted in the thread and stored with the run. */
  report(run: Run): Message {
    return reportMessage(run);
  }

  /** The run's root post, updated as it changes state. */
  summary(run: Run): Message {
    return summaryMessage(run);
  }
}
