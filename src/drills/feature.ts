/**
 * The operations feature: phases and drills. It builds both engines over the configured clusters
 * (the cluster adapter comes from main.ts), which main.ts offers to the commands, and at start
 * picks up runs a previous process left: phases continue, drills roll back. With leader
 * election, only the leader drives runs: a run started on another replica is stored and picked
 * up by the leader's next sweep; the leader also runs the scheduled drills.
 */
import type { AlertmanagerApi, AlertmanagerDirectory } from '../alerts/alertmanager-api.js';
import { describeWindow, openWindow } from '../alerts/maintenance.js';
import { alertmanagerRunSilencer } from '../alerts/run-silences.js';
import { parseDuration } from '../duration.js';
import type { Feature, FeatureBase } from '../feature.js';
import type { ClusterDirectory } from '../kube/cluster-ops.js';
import type { ClusterConfig } from '../kube/config-schema.js';
import { loadPhases } from '../phases/definitions.js';
import { PhaseEngine } from '../phases/engine.js';
import type { OperationsConfig } from './config-schema.js';
import { alertmanagerCriticalAlerts } from './critical-alerts.js';
import { loadDrills } from './definitions.js';
import { DrillEngine } from './engine.js';
import { DrillSchedules, scheduleProblems } from './schedules.js';

export interface OperationsDeps {
  /** Reads as the bot, writes as the operator: adapters/kube/operator-client.ts. */
  createClusters(config: { clusters: ClusterConfig[]; operations: OperationsConfig }): ClusterDirectory;
}

/** The engines of phases and drills, over the configured clusters. */
export interface OperationsEngines {
  clusters: ClusterDirectory;
  phases: PhaseEngine;
  drills: DrillEngine;
}

export interface OperationsFeature extends Feature {
  /** Null when no cluster is configured: phases and drills are off. */
  engines: OperationsEngines | null;
}

/** What phases and drills use of other features. */
export interface OperationsNeeds {
  isLeader: () => boolean;
  /** For the critical-alert guard rail, maintenance windows and run silences (the alerts feature's clients). */
  alertmanagers: AlertmanagerDirectory;
}

export function operationsFeature(
  base: FeatureBase,
  deps: OperationsDeps,
  needs: OperationsNeeds,
): OperationsFeature {
  const { config } = base;
  if (config.clusters.length === 0) {
    return {
      name: 'operations',
      engines: null,
      start() {
        base.log.debug('no clusters configured: phases and drills are off');
      },
    };
  }
  const ops = config.operations;
  const clusters = deps.createClusters(config);
  const log = base.log.child({ feature: 'operations' });
  const phaseDefs = ops.phases.definitions ? loadPhases(ops.phases.definitions) : loadPhases();
  const drillDefs = ops.drills.definitions ? loadDrills(ops.drills.definitions) : loadDrills();
  const unknown = scheduleProblems(ops.drills.schedules, (name) => drillDefs.some((d) => d.name === name));
  if (unknown.length) throw new Error(unknown.join('; '));
  const { isLeader, alertmanagers } = needs;
  const firing = () =>
    alertmanagers.names
      .map((name) => alertmanagers.pick(name))
      .filter((am): am is AlertmanagerApi => !('error' in am));
  const phases = new PhaseEngine({
    store: base.store,
    clusters,
    chat: base.chat,
    phases: phaseDefs,
    log,
    now: base.now,
    tickMs: parseDuration(ops.phases.interval) as number,
    isLeader,
    timeZone: config.timeZone,
    silences: alertmanagerRunSilencer(firing),
  });
  const drills = new DrillEngine({
    store: base.store,
    clusters,
    chat: base.chat,
    drills: drillDefs,
    log,
    alerts: alertmanagerCriticalAlerts(firing),
    silences: alertmanagerRunSilencer(firing),
    maintenance: async (cluster) => {
      const window = await openWindow(firing(), cluster);
      return window ? describeWindow(window, config.timeZone) : undefined;
    },
    now: base.now,
    tickMs: parseDuration(ops.drills.interval) as number,
    isLeader,
  });
  let timer: NodeJS.Timeout | undefined;
  let schedules: DrillSchedules | undefined;
  return {
    name: 'operations',
    engines: { clusters, phases, drills },
    async start() {
      // Runs a dead process (this one before a restart, or another replica) left behind: phases
      // continue, drills roll back. Checked now and then, since a run is only taken over once
      // nobody has advanced it for a while; runs another replica stored for the leader are
      // started at once. Only the leader sweeps (the engines check too).
      const sweep = async () => {
        if (!isLeader()) return;
        const continued = await phases.resume();
        const rolledBack = await drills.resume();
        if (continued || rolledBack)
          log.info({ continued, rolledBack }, 'picked up orphaned phase and drill runs');
      };
      await sweep();
      // As often as a drill advances, so a run handed over by another replica starts within a tick or two.
      const every = Math.max(2000, parseDuration(ops.drills.interval) as number);
      timer = setInterval(() => {
        sweep().catch((error: unknown) => log.warn({ err: error }, 'looking for orphaned runs failed'));
      }, every);
      timer.unref();
      if (ops.drills.schedules.length > 0) {
        schedules = new DrillSchedules(ops.drills.schedules, {
          engine: drills,
          chat: base.chat,
          isLeader,
          log,
        });
        schedules.start();
      }
    },
    async stop() {
      schedules?.stop();
      if (timer) clearInterval(timer);
      await Promise.all([phases.stop(), drills.stop()]);
    },
  };
}
