/**
 * The incidents feature: builds the engine, offers it to the command handlers, registers its
 * button and form (actions.ts), archives resolved rooms when their time comes
 * (also after a restart) and posts the on-call handover reminders on their cron schedules.
 */
import { type ScheduledTask, schedule } from 'node-cron';
import type { Feature, FeatureContext } from '../feature.js';
import { incidentActions } from './actions.js';
import type { OncallConfig } from './config-schema.js';
import { IncidentEngine } from './engine.js';
import { isHealthSource, renderSnapshot } from './health-snapshot.js';
import { OncallRoster } from './oncall-roster.js';

const SWEEP_MS = 60_000;

export function incidentsFeature(): Feature {
  let engine: IncidentEngine | undefined;
  let roster: OncallRoster | undefined;
  let sweep: NodeJS.Timeout | undefined;
  const tasks: ScheduledTask[] = [];
  return {
    name: 'incidents',
    async start(ctx: FeatureContext) {
      const { config, services } = ctx;
      const builtRoster = new OncallRoster({
        teams: config.oncall.teams,
        store: ctx.store,
        now: services.now,
        log: ctx.log.child({ feature: 'oncall' }),
      });
      await builtRoster.start();
      roster = builtRoster;
      services.oncall = builtRoster;
      const built = new IncidentEngine({
        roster: builtRoster,
        incidents: config.incidents,
        timeZone: config.timeZone,
        oncall: config.oncall,
        store: ctx.store,
        chat: ctx.chat,
        log: ctx.log.child({ feature: 'incidents' }),
        now: services.now,
        healthSnapshot: () => {
          const health = (services as { health?: unknown }).health;
          if (!isHealthSource(health)) return undefined;
          return async (cluster) => renderSnapshot(await health.check({ cluster }));
        },
      });
      engine = built;
      services.incidents = built;
      const { actions, dialogs } = incidentActions(ctx, built);
      for (const spec of actions) ctx.registerAction(spec);
      for (const spec of dialogs) ctx.registerDialog(spec);

      // Rooms resolved before a restart: arm their timers, and sweep now and then for the rest.
      for (const incident of await ctx.store.listIncidents({ state: 'resolved' }))
        if (incident.archivedAt === undefined && incident.platform === ctx.chat.platform)
          built.scheduleArchive(incident);
      sweep = setInterval(() => {
        built.archiveDue().catch((error: unknown) => ctx.log.error({ err: error }, 'archive sweep failed'));
      }, SWEEP_MS);
      sweep.unref();

      for (const reminder of config.oncall.reminders) {
        tasks.push(
          schedule(reminder.cron, () => postReminder(ctx, built, reminder).then(() => undefined), {
            timezone: reminder.timeZone,
            name: `oncall-reminder-${reminder.channel}`,
          }),
        );
      }
    },
    async stop() {
      if (sweep) clearInterval(sweep);
      for (const task of tasks) await task.destroy();
      engine?.stop();
      roster?.stop();
    },
  };
}

/** One handover reminder. Only the leader posts it, so several replicas remind once; true when posted. */
export async function postReminder(
  ctx: Pick<FeatureContext, 'chat' | 'log' | 'services'>,
  engine: IncidentEngine,
  reminder: OncallConfig['reminders'][number],
): Promise<boolean> {
  if (ctx.services.isLeader && !ctx.services.isLeader()) return false;
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
