/**
 * Maintenance windows: a cluster's alerts silenced for a while, in every Alertmanager, on
 * purpose. The window is the set of silences itself (matcher `cluster="C"`, a comment that marks
 * them as coxswain's), so Alertmanager is where it lives: it survives a restart of the bot, ends
 * by itself, and `silence list` shows it too. Health posts name the clusters in maintenance and
 * drills are refused there.
 */

import { formatTime } from '../text/time.js';
import { silencesAcross } from './across.js';
import type { AlertmanagerApi, Silence } from './alertmanager-api.js';

export const MAINTENANCE_MARK = 'coxswain maintenance: ';

export interface MaintenanceWindow {
  cluster: string;
  startsAt: number;
  endsAt: number;
  by: string;
  reason: string;
  /** Alertmanager says at least one of its silences is active (not pending): the window is open. */
  active: boolean;
  /** The silences that make it, one per Alertmanager. */
  silences: { alertmanager: string; id: string }[];
}

function clusterOf(silence: Silence): string | undefined {
  if (!silence.comment.startsWith(MAINTENANCE_MARK)) return undefined;
  const matcher = silence.matchers.find((m) => m.name === 'cluster' && m.type === '=');
  return silence.matchers.length === 1 ? matcher?.value : undefined;
}

/** The windows open now or starting later, per cluster (all clusters when none is named). */
export async function maintenanceWindows(
  clients: readonly AlertmanagerApi[],
  cluster?: string,
): Promise<MaintenanceWindow[]> {
  const { items } = await silencesAcross(clients, cluster === undefined ? [] : [`cluster="${cluster}"`]);
  const windows = new Map<string, MaintenanceWindow>();
  for (const silence of items) {
    const name = clusterOf(silence);
    if (name === undefined || (cluster !== undefined && name !== cluster)) continue;
    const window = windows.get(name) ?? {
      cluster: name,
      startsAt: silence.startsAt,
      endsAt: silence.endsAt,
      by: silence.createdBy,
      reason: silence.comment.slice(MAINTENANCE_MARK.length),
      active: false,
      silences: [],
    };
    window.active ||= silence.state === 'active';
    window.endsAt = Math.max(window.endsAt, silence.endsAt);
    window.startsAt = Math.min(window.startsAt, silence.startsAt);
    for (const am of silence.alertmanagers) window.silences.push({ alertmanager: am, id: silence.id });
    windows.set(name, window);
  }
  return [...windows.values()].sort((a, b) => a.cluster.localeCompare(b.cluster));
}

/** The window of a cluster that is open now (by Alertmanager's clock), if any. */
export async function openWindow(
  clients: readonly AlertmanagerApi[],
  cluster: string,
): Promise<MaintenanceWindow | undefined> {
  return (await maintenanceWindows(clients, cluster)).find((w) => w.active);
}

/** Creates the window's silence in every Alertmanager; those that fail are returned by name. */
export async function startMaintenance(
  clients: readonly AlertmanagerApi[],
  window: { cluster: string; startsAt: number; endsAt: number; by: string; reason: string },
): Promise<{
  created: { alertmanager: string; id: string }[];
  failed: { alertmanager: string; reason: string }[];
}> {
  const results = await Promise.allSettled(
    clients.map((c) =>
      c.createSilence({
        matchers: [{ name: 'cluster', type: '=', value: window.cluster }],
        startsAt: window.startsAt,
        endsAt: window.endsAt,
        createdBy: window.by,
        comment: `${MAINTENANCE_MARK}${window.reason}`,
      }),
    ),
  );
  const created: { alertmanager: string; id: string }[] = [];
  const failed: { alertmanager: string; reason: string }[] = [];
  results.forEach((r, i) => {
    const alertmanager = clients[i]!.name;
    if (r.status === 'fulfilled') created.push({ alertmanager, id: r.value });
    else
      failed.push({ alertmanager, reason: r.reason instanceof Error ? r.reason.message : String(r.reason) });
  });
  return { created, failed };
}

/** Expires every silence of the cluster's windows; returns how many. */
export async function endMaintenance(clients: readonly AlertmanagerApi[], cluster: string): Promise<number> {
  const byName = new Map(clients.map((c) => [c.name, c]));
  let ended = 0;
  for (const window of await maintenanceWindows(clients, cluster))
    for (const s of window.silences) {
      await byName.get(s.alertmanager)?.expireSilence(s.id);
      ended++;
    }
  return ended;
}

/** One line for health posts and refusals. */
export function describeWindow(window: MaintenanceWindow, timeZone: string): string {
  return `${window.cluster} is in maintenance until ${formatTime(window.endsAt, timeZone)} (${window.by}: ${window.reason})`;
}
