/**
 * What one kind of drill implements. The engine owns the stored run, the time limit, abort and
 * restart; a kind only knows how to inspect its target, advance one stage, and undo what it did.
 * Every stage is idempotent and reads the cluster afresh, so repeating one after a crash is safe.
 */
import type { ClusterOps, OperatorWriter } from '../kube/cluster-ops.js';
import type { DrillDefinition } from './definitions.js';

export interface DrillParams {
  cluster: string;
  namespace?: string;
  workload?: string;
  node?: string;
  /** The Velero Backup a restore drill restores (unset: the newest Completed one). */
  backup?: string;
  /** The VolSync ReplicationSource a PVC restore drill restores (in `namespace`). */
  source?: string;
}

/** The arguments a person may give a drill (besides the cluster). */
export const DRILL_ARGS = ['namespace', 'workload', 'node', 'backup', 'source'] as const;
export type DrillArg = (typeof DRILL_ARGS)[number];

/** The measured recovery: from the disruption to the moment recovery was observed. */
export interface Recovery {
  startedAt: number;
  recoveredAt?: number;
  ms?: number;
}

/** The kind's own state, stored with the run. */
export type KindState = Record<string, unknown> & { stage?: string };

export interface StepContext {
  definition: DrillDefinition;
  params: DrillParams;
  ops: ClusterOps;
  /** The other configured clusters (the mesh drill watches their mirrored services). */
  peers: readonly ClusterOps[];
  writer: OperatorWriter;
  state: KindState;
  now(): number;
  /** Reports a step: a thread reply and a line in the stored run. */
  note(text: string): void;
  /** A step that belongs in the final report too (what the drill observed, e.g. how the peers reacted). */
  finding(text: string): void;
  /** Marks the disruption: recovery is measured from here. */
  disrupted(): void;
  /** Marks recovery observed; the engine finishes the drill after this stage. */
  recovered(): void;
  /** The drill failed for a reason other than time (e.g. Velero reports the Restore Failed): roll back, then report it failed. */
  fail(reason: string): void;
}

export interface Inspection {
  /** What exactly a run would do against the live cluster. */
  lines: string[];
  /** Why it must not run now; empty when it may. */
  problems: string[];
}

export interface DrillKindHandler {
  /** Arguments the kind needs (after defaults). */
  required: readonly DrillArg[];
  inspect(
    params: DrillParams,
    ops: ClusterOps,
    definition: DrillDefinition,
    peers: readonly ClusterOps[],
  ): Promise<Inspection>;
  /** Advances the forward path by at most one stage; sets `state.stage = 'done'` at the end. */
  step(ctx: StepContext): Promise<void>;
  /** Undoes what the forward path changed; true when nothing is left to undo. */
  rollback(ctx: StepContext): Promise<boolean>;
}
