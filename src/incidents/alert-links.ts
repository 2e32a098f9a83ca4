/**
 * Alerts linked to incidents: linking one (at opening from an alert post, or by hand), and the
 * alerts feature telling the engine that a delivered alert changed state, which every open
 * incident it is linked to records and posts in its room. Its own file because it is the one
 * way alerts reach incidents, and it only goes this way (the alerts feature calls in).
 */
import type { Incident } from '../store/store.js';
import { escapeChat, inlineCode } from '../text/escape.js';
import type { IncidentContext } from './context.js';
import type { PinnedSummary } from './summary.js';

/** An alert as a button payload or a webhook describes it. */
export interface AlertRef {
  fingerprint: string;
  alertname?: string;
  cluster?: string;
  /** firing or resolved; unknown when linked by hand. */
  state?: string;
}

/** Stores the link and a timeline line; false when it was linked already. */
export async function linkAlertQuietly(
  ic: IncidentContext,
  incident: Incident,
  by: string,
  alert: AlertRef,
): Promise<boolean> {
  const link = {
    incidentId: incident.id,
    fingerprint: alert.fingerprint,
    alertname: alert.alertname ?? 'alert',
    state: alert.state ?? 'unknown',
    linkedBy: by,
    linkedAt: ic.deps.now(),
  };
  const linked = await ic.deps.store.linkIncidentAlert(
    alert.cluster ? { ...link, cluster: alert.cluster } : link,
  );
  if (linked)
    await ic.record(incident, by, 'alert', `linked ${link.alertname} ${alert.fingerprint} (${link.state})`);
  return linked;
}

/** Links an alert (or a link to its post) and says so in the room; linking twice is harmless. */
export async function linkAlert(
  ic: IncidentContext,
  summary: PinnedSummary,
  incident: Incident,
  by: string,
  alert: AlertRef,
): Promise<boolean> {
  const linked = await linkAlertQuietly(ic, incident, by, alert);
  if (linked) {
    await ic.postInRoom(incident, {
      text: `Alert ${escapeChat(alert.alertname ?? 'alert')} ${inlineCode(alert.fingerprint)} linked by @${by}; its changes will be posted here.`,
    });
    await summary.refresh(incident);
  }
  return linked;
}

/**
 * An alert changed state (the alerts feature calls this for each alert it delivers): every open
 * incident it is linked to gets a timeline entry and a post in its room. Returns how many.
 */
export async function alertChanged(
  ic: IncidentContext,
  summary: PinnedSummary,
  alert: AlertRef & { state: string },
): Promise<number> {
  const { store } = ic.deps;
  let count = 0;
  for (const link of await store.findAlertIncidents(alert.fingerprint)) {
    if (link.state === alert.state) continue;
    const incident = await store.getIncident(link.incidentId);
    if (incident?.state !== 'open') continue;
    await store.setIncidentAlertState(incident.id, alert.fingerprint, alert.state);
    const name = alert.alertname ?? link.alertname;
    await ic.record(incident, 'alertmanager', 'alert', `${name} ${alert.fingerprint} is ${alert.state}`);
    await ic.postInRoom(incident, {
      text: `Linked alert ${escapeChat(name)} ${inlineCode(alert.fingerprint)} is now **${escapeChat(alert.state)}**.`,
      severity: alert.state === 'resolved' ? 'ok' : 'warning',
    });
    await summary.refresh(incident);
    count++;
  }
  return count;
}
