/**
 * The incidents feature: builds the engine and the on-call roster (main.ts offers both to the
 * command handlers and to alert delivery), registers its button and form (actions.ts), archives
 * resolved rooms when their time comes (also after a restart) and posts the on-call handover
 * reminders on their cron schedules.
 */
import { type ScheduledTask, schedule } from 'node-cron';
import type { Feature, FeatureBase } from '../feature.js';
import { incidentActions } from './actions.js';
import type { OncallConfig } from './config-schema.js';
import { IncidentEngine } from './engine.js';
import { type HealthSource, renderSnapshot } from './health-snapshot.js';
import { OncallRoster } from './oncall-roster.js';

const SWEEP_MS = 60_000;

export interface IncidentsFeature extends Feature {
  engine: IncidentEngine;
  roster: OncallRoster;
}

/** What incidents use of other features. */
export interface IncidentsFeatureNeeds {
  /** The health engine, for the snapshot in a room's summary; null when no cluster is configured. */
  health: HealthSource | null;
  isLeader: () => boolean;
}

export function incidentsFeature(base: FeatureBase, needs: IncidentsFeatureNeeds): IncidentsFeature {
  const { config, now } = base;
  const { health, isLeader } = needs;
  const roster = new OncallRoster({
    teams: config.oncall.teams,
    store: base.store,
    now,
    log: base.log.child({ feature: 'oncall' }),
  });
  const engine = new IncidentEngine({
    roster,
    incidents: config.incidents,
    timeZone: config.timeZone,
    oncall: config.oncall,
    store: base.store,
    chat: base.chat,
    log: base.log.child({ feature: 'incidents' }),
    now,
    healthSnapshot: () => {
      if (!health) return undefined;
      return async (cluster) => renderSnapshot(await health.check({ cluster }));
    },
  });
  let sweep: NodeJS.Timeout | undefined;
  const tasks: ScheduledTask[] = [];
  return {
    name: 'incidents',
    engine,
    roster,
    async start(hooks) {
      await roster.start();
      const { actions, dialogs } = incidentActions(base, engine);
      for (const spec of actions) hooks.registerAction(spec);
      for (const spec of dialogs) hooks.registerDialog(spec);

      // Rooms resolved before a restart: arm their timers, and sweep now and then for the rest.
      for (const incident of await base.store.listIncidents({ state: 'resolved' }))
        if (incident.archivedAt === undefined && incident.platform === base.chat.platform)
          engine.scheduleArchive(incident);
      sweep = setInterval(() => {
        engine.archiveDue().catch((error: unknown) => base.log.error({ err: error }, 'archive sweep failed'));
      }, SWEEP_MS);
      sweep.unref();

      const reminding = { chat: base.chat, log: base.log, isLeader };
      for (const reminder of config.oncall.reminders) {
        tasks.push(
          schedule(reminder.cron, () => postReminder(reminding, engine, reminder).then(() => undefined), {
            timezone: reminder.timeZone,
            name: `oncall-reminder-${reminder.channel}`,
          }),
        );
      }
    },
    async stop() {
      if (sweep) clearInterval(sweep);
      for (const task of tasks) await task.destroy();
      engine.stop();
      roster.stop();
    },
  };
}

/** One handover reminder. Only the leader posts it, so several replicas remind once; true when posted. */
export async function postReminder(
  ctx: Pick<FeatureBase, 'chat' | 'log'> & { isLeader: () => boolean },
  engine: IncidentEngine,
  reminder: OncallConfig['reminders'][number],
): Promise<boolean> {
  if (!ctx.isLeader()) return false;
  const message = engine.reminder(reminder.teams);
  if (!message) return false;
  try {
    await ctx.chat.post(await ctx.chat.resolveChannel(reminder.channel), message);
    return true;
  } catch (error) {
    ctx.log.warn({ err: error, channel: reminder.channel }, 'handover reminder failed');
    return false;
  }
}
