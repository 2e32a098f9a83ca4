/**
 * What a phase run stores: each Flux object's step, the run's state, the checks, and why it
 * ended. Its own file because start, the pass, pause, silences and the post all share this shape
 * and none owns it; it is read back after a restart, so a field added here must stay optional.
 */
import type { PostRef } from '../ports.js';
import type { Run } from '../store/store.js';
import type { CheckResult } from './checks.js';

export type StepState = 'pending' | 'requested' | 'ready' | 'failed';

export interface PhaseStep {
  cluster: string;
  kind: 'Kustomization' | 'HelmRelease';
  namespace: string;
  name: string;
  state: StepState;
  /** Whether the object was suspended when the run reached it (and so was resumed). */
  resumed?: boolean;
  requestedAt?: string;
  startedAt?: number;
  doneAt?: number;
  detail?: string;
}

export type PhaseRunState =
  | 'reconciling'
  | 'verifying'
  | 'succeeded'
  | 'checks-failed'
  | 'failed'
  | 'refused'
  | 'paused';

/** The states a run ends in. */
export const TERMINAL: readonly string[] = ['succeeded', 'checks-failed', 'failed', 'refused', 'paused'];

export interface PhaseData extends Record<string, unknown> {
  phase: string;
  action: 'run' | 'pause';
  steps: PhaseStep[];
  current: number;
  dependencyChecks: CheckResult[];
  checks?: CheckResult[];
  timeoutMs: number;
  post?: PostRef;
  reason?: string;
  /** Stored by a replica that is not the leader; the leader's next `resume` starts it. */
  awaitingLeader?: boolean;
  /** Silences were opened for the alerts the run expects; found by the run id and expired at its end. */
  silenced?: boolean;
}

export type PhaseStartResult =
  | { ok: true; run?: Run; plan: string[] }
  | { ok: false; reason: string; run?: Run };
