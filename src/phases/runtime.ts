/**
 * What every part of the phase engine works with: its options, the clock, and a new stored run.
 * The engine (engine.ts) builds one and hands it to start.ts, pass.ts, pause.ts and silences.ts,
 * so that none of them needs the engine class.
 */
import { randomUUID } from 'node:crypto';
import type { RunSilencer } from '../alerts/run-silences.js';
import type { ClusterDirectory } from '../kube/cluster-ops.js';
import type { Logger } from '../log.js';
import type { RunChat } from '../runs/run-loop.js';
import type { Run, Store } from '../store/store.js';
import type { PhasesFile } from './definitions.js';
import type { PhaseData, PhaseRunState } from './run-data.js';

export interface PhaseEngineOptions {
  store: Store;
  clusters: ClusterDirectory;
  chat: RunChat;
  phases: PhasesFile;
  log: Logger;
  now?: () => number;
  tickMs?: number;
  /** A run nobody has advanced for this long is orphaned and taken over (see DrillEngine). */
  staleAfterMs?: number;
  /** Whether this replica leads; only the leader drives runs (see DrillEngineOptions.isLeader). */
  isLeader?: () => boolean;
  /** The zone run posts show times in (config `timeZone`); unset: UTC. */
  timeZone?: string;
  /** Silences the alerts a run expects (phases.yaml expectedAlerts) while it runs. */
  silences?: RunSilencer;
}

export interface PhaseRuntime {
  readonly options: PhaseEngineOptions;
  readonly now: () => number;
}

export function newRun(name: string, actor: string, now: number, data: PhaseData, state: PhaseRunState): Run {
  return {
    id: randomUUID(),
    kind: 'phase',
    name,
    state,
    startedBy: actor,
    startedAt: now,
    updatedAt: now,
    data,
  };
}
