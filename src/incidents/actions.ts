/**
 * The incidents feature's button and form: `Open incident` on an alert post, and the submission
 * of the incident form (open-dialog.ts) that `incident open` without a title shows. Both are
 * specs the router's action chain runs as the person, who needs the incident:write permission
 * like the command; the chain refuses and audits, these only open the room.
 */
import type { FeatureBase } from '../feature.js';
import type { MessageButton } from '../message.js';
import type { ActionEvent, DialogSubmission } from '../ports.js';
import type { ActionResult, ActionSpec, DialogResult, DialogSpec } from '../router/action-spec.js';
import { inlineCode } from '../text/escape.js';
import { IncidentError } from './context.js';
import type { IncidentEngine } from './engine.js';
import { INCIDENT_DIALOG_ACTION, readIncidentForm } from './open-dialog.js';
import type { OpenRequest } from './open-room.js';

export const INCIDENT_ACTIONS = { open: 'incident.open' } as const;

const SUBJECT = 'Opening an incident';

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

export function incidentActions(
  ctx: Pick<FeatureBase, 'store' | 'config'>,
  engine: IncidentEngine,
): { actions: ActionSpec[]; dialogs: DialogSpec[] } {
  return {
    actions: [
      {
        action: INCIDENT_ACTIONS.open,
        permission: 'incident:write',
        subject: SUBJECT,
        run: (event) => openFromButton(ctx, engine, event),
      },
    ],
    dialogs: [
      {
        action: INCIDENT_DIALOG_ACTION,
        permission: 'incident:write',
        subject: SUBJECT,
        run: (submission) => openFromDialog(ctx, engine, submission),
      },
    ],
  };
}

/** The button on an alert post: opens a room for the alert, or points to the one already open. */
async function openFromButton(
  ctx: Pick<FeatureBase, 'store'>,
  engine: IncidentEngine,
  event: ActionEvent,
): Promise<ActionResult> {
  const say = async (text: string, result: ActionResult) => {
    await event.responder.reply({ text }, 'ephemeral');
    return result;
  };
  const { alertname, fingerprint, cluster, title, sev } = event.payload;
  if (!alertname || !fingerprint)
    return say('That button does not say which alert it is for; open the incident with `incident open`.', {
      outcome: 'invalid',
      detail: 'no alert in payload',
    });
  // A second click on the same alert goes to the room that is already open for it.
  for (const link of await ctx.store.findAlertIncidents(fingerprint)) {
    const existing = await ctx.store.getIncident(link.incidentId);
    if (existing?.state === 'open' && existing.platform === event.platform)
      return say(`This alert already has an open incident: ${engine.mention(existing.channelName)}.`, {
        outcome: 'ok',
        detail: `already open as incident ${existing.id}`,
      });
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
    return say(`Opened ${engine.mention(incident.channelName)} for this alert; you are its commander.`, {
      outcome: 'ok',
      detail: `incident ${incident.id} in ${incident.channelName}`,
    });
  } catch (error) {
    if (error instanceof IncidentError)
      return say(error.message, { outcome: 'unavailable', detail: error.message });
    const why = error instanceof Error ? error.message : String(error);
    return say(`Opening the incident failed: ${inlineCode(why)}.`, { outcome: 'error', detail: why });
  }
}

/** The form's submission: the room opens as `incident open <title>` opens it. */
async function openFromDialog(
  ctx: Pick<FeatureBase, 'config'>,
  engine: IncidentEngine,
  submission: DialogSubmission,
): Promise<DialogResult> {
  const form = readIncidentForm(
    submission.values,
    ctx.config.clusters.map((c) => c.name),
  );
  if ('errors' in form)
    return { outcome: 'invalid', detail: Object.keys(form.errors).join(', '), answer: form };
  const request: OpenRequest = {
    title: form.title,
    severity: form.severity,
    by: submission.user.username,
    origin: { channelId: submission.channel.id, channelName: submission.channel.name },
  };
  if (form.cluster) request.cluster = form.cluster;
  try {
    const { incident } = await engine.open(request);
    // As `incident open` does: the notice in the channel it was asked from.
    await submission.responder.reply(engine.openedNotice(incident), 'in_channel');
    return { outcome: 'ok', detail: `incident ${incident.id} in ${incident.channelName}` };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    if (error instanceof IncidentError)
      return { outcome: 'unavailable', detail: why, answer: { error: why } };
    return {
      outcome: 'error',
      detail: why,
      answer: { error: `Opening the incident failed: ${why}`.slice(0, 500) },
    };
  }
}
