/**
 * What command handlers may use. The composition root (main.ts) builds it once, after every
 * feature has built its engines, so nothing in it is filled in later. An engine the config does
 * not call for is `null` (health, clusters, phases and drills without `clusters:`), and the
 * commands that need it answer that it is not configured.
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
import type { CommandGroup } from './router/spec.js';
import type { Store } from './store/store.js';

export interface UploadFile {
  name: string;
  content: string;
  mimeType: string;
}

/** The chat port's file upload into a channel, with a message beside it. */
export type Upload = (destination: Destination, file: UploadFile, message: Message) => Promise<PostRef>;

export interface Services {
  config: Config;
  store: Store;
  /** All registered groups, for help. */
  groups: () => readonly CommandGroup[];
  now: () => number;
  /** The chat platform's forms; null where it has none (commands then ask in words). */
  dialogs: DialogCapability | null;
  /** File upload (long command output: logs, big lists); null where the platform cannot. */
  upload: Upload | null;
  /** The configured Alertmanagers (the alerts feature); empty when none is configured. */
  alertmanagers: AlertmanagerDirectory;
  /**
   * Incident rooms and who is on call, overrides and swaps applied (the incidents feature).
   * The bot always builds them; null only where a bot is assembled without that feature (tests
   * of other commands), and the incident and on-call commands say so.
   */
  incidents: IncidentEngine | null;
  oncall: OncallRoster | null;
  /** Cluster and mesh health (the health feature); null when no cluster is configured. */
  health: HealthEngine | null;
  /**
   * Each configured cluster's watch-fed caches under the bot's read-only account (the health
   * feature), for commands that list objects without a list request per call; empty without clusters.
   */
  caches: ReadonlyMap<string, CacheReader>;
  /** Each cluster's reads as the bot and writes as the operator account (the operations feature). */
  clusters: ClusterDirectory | null;
  /** Rollout phases and failover drills (the operations feature); null when no cluster is configured. */
  phases: PhaseEngine | null;
  drills: DrillEngine | null;
}
