/**
 * What every part of a drill run works with: the engine's options, the clock, the run's thread
 * in chat and the other clusters. The engine (engine.ts) builds one and hands it to the start
 * checks (start.ts), the pass (pass.ts), the silences (silences.ts); here so that none of them
 * needs the engine class, and each reads as functions of the run.
 */
import type { RunSilencer } from '../alerts/run-silences.js';
import type { ClusterDirectory, ClusterOps } from '../kube/cluster-ops.js';
import type { Logger } from '../log.js';
import type { Message } from '../message.js';
import type { Destination, PostRef } from '../ports.js';
import type { RunChat } from '../runs/run-loop.js';
import type { Run, Store } from '../store/store.js';
import type { DrillDefinition } from './definitions.js';
import type { DrillData } from './run-data.js';

/** Firing critical alerts for a cluster (Alertmanager); names of the alerts. */
export interface CriticalAlerts {
  firingCritical(cluster: string): Promise<string[]>;
}

export interface DrillEngineOptions {
  /** Why the cluster is in a maintenance window now (src/alerts/maintenance.ts), if it is. */
  maintenance?: (cluster: string) => Promise<string | undefined>;
  store: Store;
  clusters: ClusterDirectory;
  chat: RunChat;
  drills: DrillDefinition[];
  log: Logger;
  alerts?: CriticalAlerts;
  /** Silences the alerts each drill expects (its definition's expectedAlerts) while it runs. */
  silences?: RunSilencer;
  now?: () => number;
  /** Pause between reconcile passes. */
  tickMs?: number;
  /** Consecutive errors before a run gives up and rolls back. */
  maxErrors?: number;
  /**
   * A run nobody has advanced for this long is orphaned (its process died) and is taken over by
   * `resume`; a run another replica is driving stays fresh and is left alone. Default: 30s or
   * five ticks, whichever is longer.
   */
  staleAfterMs?: number;
  /**
   * Whether this replica leads (leader election). Only the leader drives drills and takes over
   * orphaned runs; a start on another replica checks the guard rails, stores the run and leaves
   * it to the leader, whose `resume` sweep picks it up. Unset: this replica leads.
   */
  isLeader?: () => boolean;
}

export interface DrillRuntime {
  readonly options: DrillEngineOptions;
  readonly now: () => number;
}

function threadOf(ref: PostRef): Destination {
  return { channelId: ref.channelId, threadId: ref.threadId ?? ref.postId };
}

/** Posts in the run's thread; a run without a post (none was made) says nothing. */
export async function say(rt: DrillRuntime, run: Run, message: Message): Promise<void> {
  const post = (run.data as DrillData).post;
  if (!post) return;
  await rt.options.chat
    .post(threadOf(post), message)
    .catch((error: unknown) =>
      rt.options.log.warn({ err: error, run: run.id }, 'posting a drill step failed'),
    );
}

/** The other configured clusters (the mesh drills watch them). */
export function peers(rt: DrillRuntime, cluster: string): ClusterOps[] {
  return rt.options.clusters
    .names()
    .filter((name) => name !== cluster)
    .map((name) => rt.options.clusters.get(name))
    .filter((ops): ops is ClusterOps => ops !== undefined);
}
