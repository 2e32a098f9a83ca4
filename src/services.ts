/**
 * What command handlers may use. Engines that later features add (health, alerting, drills,
 * incidents) appear here as optional members; a command whose engine is absent is not offered.
 */
import type { AlertmanagerDirectory } from './alerts/alertmanager-api.js';
import type { Config } from './config/schema.js';
import type { DrillEngine } from './drills/engine.js';
import type { HealthEngine } from './health/engine.js';
import type { ClusterReader as CacheReader } from './health/types.js';
import type { IncidentEngine } from './incidents/engine.js';
import type { OncallRoster } from './incidents/oncall-roster.js';
import type { ClusterDirectory } from './kube/cluster-ops.js';
import type { PhaseEngine } from './phases/engine.js';
import type { Destination, DialogCapability, Message, PostRef } from './ports.js';

export interface UploadFile {
  name: string;
  content: string;
  mimeType: string;
}

import type { CommandGroup } from './router/spec.js';
import type { Store } from './store/store.js';

export interface Services {
  config: Config;
  store: Store;
  /** All registered groups, for help. */
  groups: () => readonly CommandGroup[];
  now: () => number;
  /** The chat platform's forms, where it has them (commands that ask for input with a dialog). */
  dialogs?: DialogCapability;
  /**
   * The chat port's file upload into a channel, with a message beside it, where the platform can
   * (long command output: logs, big lists).
   */
  upload?: (destination: Destination, file: UploadFile, message: Message) => Promise<PostRef>;
  /** The configured Alertmanagers (set by the alerts feature). */
  alertmanagers?: AlertmanagerDirectory;
  /** Incident rooms and the on-call rota (set by the incidents feature). */
  incidents?: IncidentEngine;
  /** Who is on call, overrides and swaps applied (set by the incidents feature). */
  oncall?: OncallRoster;
  /** Cluster and mesh health (set by the health feature when clusters are configured). */
  health?: HealthEngine;
  /**
   * Each configured cluster's watch-fed caches under the bot's read-only account (set by the
   * health feature), for commands that list objects without a list request per call.
   */
  caches?: ReadonlyMap<string, CacheReader>;
  /** Each cluster's reads as the bot and writes as the operator account (set by the operations feature). */
  clusters?: ClusterDirectory;
  /** Rollout phases and failover drills (set by the operations feature when clusters are configured). */
  phases?: PhaseEngine;
  drills?: DrillEngine;
  /**
   * Whether this replica runs scheduled jobs (set by whoever runs leader election); absent means
   * it does, as a single replica or the shell should.
   */
  isLeader?: () => boolean;
}
