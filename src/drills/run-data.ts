/**
 * What a drill run stores: its state and the data every part of the engine reads and writes
 * (start, the pass, silences, the report). Its own file because all of them share it and none of
 * them owns it; it is the stored shape, so a field added here is read back after a restart.
 */
import type { PostRef } from '../ports.js';
import type { DrillKind } from './definitions.js';
import type { DrillParams, KindState, Recovery } from './kind.js';

export type DrillState = 'running' | 'rolling-back' | 'passed' | 'failed' | 'aborted' | 'rolled-back';

/** The states a run ends in. */
export const TERMINAL: readonly string[] = ['passed', 'failed', 'aborted', 'rolled-back'];

export interface DrillData extends Record<string, unknown> {
  drill: string;
  kind: DrillKind;
  params: DrillParams;
  objectiveMs: number;
  timeLimitMs: number;
  post?: PostRef;
  kindState: KindState;
  recovery?: Recovery;
  steps: { at: number; text: string }[];
  /** Why the run is rolling back; set when it starts to. */
  rollbackReason?: string;
  abortRequestedBy?: string;
  override?: { by: string; reason: string };
  /** What the drill observed besides the recovery time, for the report (chat text, escaped by the kind). */
  findings?: string[];
  /** The kind reported a failure (not the time limit): the rollback ends as `failed`. */
  failed?: boolean;
  /**
   * Stored by a replica that is not the leader: only the leader drives drills, and its next
   * `resume` sweep starts this one (see DrillEngineOptions.isLeader).
   */
  awaitingLeader?: boolean;
  report?: string;
  errors?: number;
  /** Silences were opened for the alerts the drill expects; they are expired when it ends. */
  silenced?: boolean;
}
