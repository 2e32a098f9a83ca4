/**
 * The reconcile loop shared by the drill and phase engines: one loop per stored run, advancing
 * it one pass per tick until it finishes, and the sweep (`resume`) that finds runs nobody
 * drives (handed over by a replica that is not the leader, or orphaned by a process that died)
 * and drives them here. What a pass does, and what becomes of an orphaned run (a drill rolls
 * back, a phase continues), is the engine's; the bookkeeping of loops, ticks, leadership and
 * stopping is this file's, so the two engines cannot drift apart on it.
 */

import type { Message } from '../message.js';
import type { Destination, PostRef } from '../ports.js';
import type { Run, RunKind, Store } from '../store/store.js';
import { WakeableSleeps } from '../wakeable-sleep.js';

/** Where a run's posts go: the chat port's post/update (ChatPort satisfies it). */
export interface RunChat {
  post(destination: Destination, message: Message): Promise<PostRef>;
  update(ref: PostRef, message: Message): Promise<void>;
}

export interface RunLoopOptions {
  store: Store;
  /** The kind of stored run this loop drives. */
  kind: RunKind;
  now: () => number;
  /** Pause between passes. */
  tickMs: number;
  /**
   * A run nobody has advanced for this long is orphaned (its process died) and is taken over by
   * `resume`; a run another replica is driving stays fresh and is left alone. Default: 30s or
   * five ticks, whichever is longer.
   */
  staleAfterMs?: number;
  /**
   * Whether this replica leads (leader election). Only the leader drives runs and takes over
   * orphaned ones; a start on another replica stores the run with `awaitingLeader` and leaves it
   * to the leader's sweep. Unset: this replica leads.
   */
  isLeader?: () => boolean;
  /**
   * One pass over a run, which stores what it changed. Resolves true when the loop should end
   * (the run finished, or something else finished it meanwhile). A throw is handed to `passFailed`
   * and the loop goes on at the next tick.
   */
  pass(run: Run): Promise<boolean>;
  passFailed(run: Run, error: unknown): void;
  /** What the sweep does to an orphaned run (not one awaiting the leader) before driving it. */
  adopt?(run: Run): Promise<void>;
}

/** Stored data every driven run carries: set by a replica that is not the leader. */
interface HandOver {
  awaitingLeader?: boolean;
}

export class RunLoop {
  private readonly loops = new Map<string, Promise<void>>();
  private readonly sleeps = new WakeableSleeps();
  private stopped = false;

  constructor(private readonly options: RunLoopOptions) {}

  /** Whether this replica leads (see RunLoopOptions.isLeader). */
  leads(): boolean {
    return this.options.isLeader?.() ?? true;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Starts a loop for the run unless one runs here already or the loop was stopped. */
  drive(id: string): void {
    if (this.loops.has(id) || this.stopped) return;
    const loop = this.loop(id).finally(() => this.loops.delete(id));
    this.loops.set(id, loop);
  }

  /** Cuts every loop's wait short, so a stored request (an abort) is seen at once. */
  wakeAll(): void {
    this.sleeps.wakeAll();
  }

  /**
   * Drives the runs nobody drives: those a replica that is not the leader stored (never started,
   * so started now) and those whose process died (`adopt` decides what becomes of them). Called
   * at start and periodically, so a run orphaned by another replica is found too.
   */
  async resume(): Promise<number> {
    if (this.stopped || !this.leads()) return 0;
    const staleAfter = this.options.staleAfterMs ?? Math.max(30_000, 5 * this.options.tickMs);
    const now = this.options.now();
    const unfinished = (
      await this.options.store.listRuns({ kind: this.options.kind, unfinished: true })
    ).filter(
      (r) =>
        !this.loops.has(r.id) &&
        ((r.data as HandOver).awaitingLeader === true || now - r.updatedAt >= staleAfter),
    );
    for (const run of unfinished) {
      const data = run.data as HandOver;
      if (data.awaitingLeader) {
        delete data.awaitingLeader;
        run.updatedAt = this.options.now();
        await this.options.store.saveRun(run);
      } else await this.options.adopt?.(run);
      this.drive(run.id);
    }
    return unfinished.length;
  }

  /** Stops the loops after their current pass; runs stay stored as they are. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeAll();
    await Promise.allSettled([...this.loops.values()]);
  }

  /** Resolves when the run's loop here has finished (tests and the scheduler wait on it). */
  async settled(id: string): Promise<Run | undefined> {
    await this.loops.get(id);
    return this.options.store.getRun(id);
  }

  private async loop(id: string): Promise<void> {
    while (!this.stopped) {
      const run = await this.options.store.getRun(id);
      if (!run || run.finishedAt !== undefined) return;
      let done = false;
      try {
        done = await this.options.pass(run);
      } catch (error) {
        this.options.passFailed(run, error);
      }
      if (done || this.stopped || run.finishedAt !== undefined) return;
      await this.sleeps.sleep(this.options.tickMs);
    }
  }
}
