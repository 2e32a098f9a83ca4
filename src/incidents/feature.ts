/**
 * The incidents feature: builds the engine, offers it to the command handlers, answers the
 * `incident.open` button that alert posts carry, archives resolved rooms when their time comes
 * (also after a restart) and posts the on-call handover reminders on their cron schedules.
 */
import { type ScheduledTask, schedule } from 'node-cron';
import { auditAction } from '../audit/audit-action.js';
import { allows } from '../auth/permissions.js';
import type { Feature, FeatureContext } from '../feature.js';
import type { MessageButton } from '../message.js';
import type { ActionEvent } from '../ports.js';
import type { AuditOutcome } from '../store/store.js';
import { inlineCode } from '../text/escape.js';
import type { OncallConfig } from './config-schema.js';
import { IncidentEngine, IncidentError, type OpenRequest } from './engine.js';
import { isHealthSource, renderSnapshot } from './health-snapshot.js';
import { registerIncidentDialog } from './open-dialog.js';

export const INCIDENT_ACTIONS = { open: 'incident.open' } as const;

const SWEEP_MS = 60_000;

/** The alert a button opens an incident for. */
export interface AlertButtonInput {
  alertname: string;
  fingerprint: string;
  cluster?: string;
  /** Defaults to `<alertname> on <cluster>`. */
  title?: string;
  severity?: 1 | 2 | 3 | 4;
}

/** The `Open incident` button the alerts feature puts on an alert post. */
export function openIncidentButton(alert: AlertButtonInput): MessageButton {
  const payload: Record<string, string> = { alertname: alert.alertname, fingerprint: alert.fingerprint };
  if (alert.cluster) payload.cluster = alert.cluster;
  if (alert.title) payload.title = alert.title.slice(0, 200);
  if (alert.severity) payload.sev = String(alert.severity);
  return { label: 'Open incident', action: INCIDENT_ACTIONS.open, payload, style: 'danger' };
}

export function incidentsFeature(): Feature {
  let engine: IncidentEngine | undefined;
  let sweep: NodeJS.Timeout | undefined;
  const tasks: ScheduledTask[] = [];
  return {
    name: 'incidents',
    async start(ctx: FeatureContext) {
      const { config, services } = ctx;
      const built = new IncidentEngine({
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
      ctx.registerAction(INCIDENT_ACTIONS.open, (event) => openFromButton(ctx, built, event));
      registerIncidentDialog(ctx, built);

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

/** The button on an alert post: the clicker needs the incident:write permission, and is audited. */
async function openFromButton(
  ctx: FeatureContext,
  engine: IncidentEngine,
  event: ActionEvent,
): Promise<void> {
  const startedAt = ctx.services.now();
  const say = (text: string) => event.responder.reply({ text }, 'ephemeral');
  const audit = (outcome: AuditOutcome, detail: string) =>
    auditAction(ctx.store, ctx.log, event, { outcome, detail, startedAt, finishedAt: ctx.services.now() });

  const role = ctx.services.roles?.roleOf(event.user, event.channel);
  if (!allows(role, 'incident:write')) {
    await say(
      `Opening an incident needs the operator role, and you have ${role ? `the ${role} role` : 'no role'} here; ask an admin to bind you to operator in auth.bindings.`,
    );
    await audit('denied', `role ${role ?? 'none'}`);
    return;
  }
  const { alertname, fingerprint, cluster, title, sev } = event.payload;
  if (!alertname || !fingerprint) {
    await say('That button does not say which alert it is for; open the incident with `incident open`.');
    await audit('invalid', 'no alert in payload');
    return;
  }
  // A second click on the same alert goes to the room that is already open for it.
  for (const link of await ctx.store.findAlertIncidents(fingerprint)) {
    const existing = await ctx.store.getIncident(link.incidentId);
    if (existing?.state === 'open' && existing.platform === event.platform) {
      await say(`This alert already has an open incident: ${engine.mention(existing.channelName)}.`);
      await audit('ok', `already open as incident ${existing.id}`);
      return;
    }
  }
  const severity = sev && /^[1-4]$/.test(sev) ? Number(sev) : undefined;
  const origin: OpenRequest['origin'] = event.post
    ? {
        channelId: event.post.channelId,
        channelName: event.post.channelId === event.channel.id ? event.channel.name : event.post.channelId,
        threadId: event.post.threadId ?? event.post.postId,
      }
    : { channelId: event.channel.id, channelName: event.channel.name };
  const request: OpenRequest = {
    title: title || `${alertname}${cluster ? ` on ${cluster}` : ''}`,
    by: event.user.username,
    origin,
    alert: cluster
      ? { fingerprint, alertname, cluster, state: 'firing' }
      : { fingerprint, alertname, state: 'firing' },
  };
  if (severity !== undefined) request.severity = severity;
  if (cluster) request.cluster = cluster;
  try {
    const { incident } = await engine.open(request);
    await say(`Opened ${engine.mention(incident.channelName)} for this alert; you are its commander.`);
    await audit('ok', `incident ${incident.id} in ${incident.channelName}`);
  } catch (error) {
    if (error instanceof IncidentError) {
      await say(error.message);
      await audit('unavailable', error.message);
      return;
    }
    await audit('error', error instanceof Error ? error.message : String(error));
    await say(
      `Opening the incident failed: ${inlineCode(error instanceof Error ? error.message : String(error))}.`,
    );
  }
}
