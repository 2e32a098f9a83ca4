/**
 * What every configured Alertmanager says, merged: the platform may run several (one per
 * cluster, or an HA pair that gossips), so one alert or silence can be in more than one. Alerts
 * are the same alert when their fingerprints (hashes of the labels) are equal; silences when
 * their ids are (an HA pair shares silences by gossip). An Alertmanager that does not answer is
 * named, never silently left out.
 */
import type { AlertmanagerApi, FiringAlert, Silence } from './alertmanager-api.js';

export interface MergedAlert extends FiringAlert {
  /** The Alertmanagers that hold it, in config order. */
  alertmanagers: string[];
}

export interface MergedSilence extends Silence {
  alertmanagers: string[];
}

export interface Across<T> {
  items: T[];
  /** Each Alertmanager that did not answer, and the client's sentence why. */
  unreachable: { name: string; reason: string }[];
}

async function ask<R>(
  clients: readonly AlertmanagerApi[],
  call: (client: AlertmanagerApi) => Promise<R[]>,
): Promise<{ answers: { name: string; items: R[] }[]; unreachable: { name: string; reason: string }[] }> {
  const settled = await Promise.allSettled(clients.map((c) => call(c)));
  const answers: { name: string; items: R[] }[] = [];
  const unreachable: { name: string; reason: string }[] = [];
  settled.forEach((result, i) => {
    const name = clients[i]!.name;
    if (result.status === 'fulfilled') answers.push({ name, items: result.value });
    else
      unreachable.push({
        name,
        reason: result.reason instanceof Error ? result.reason.message : String(result.reason),
      });
  });
  return { answers, unreachable };
}

/** Alerts firing now (not silenced or inhibited, unless `includeSuppressed`), de-duplicated by fingerprint. */
export async function alertsAcross(
  clients: readonly AlertmanagerApi[],
  filter: string[],
  options: { includeSuppressed?: boolean } = {},
): Promise<Across<MergedAlert>> {
  const { answers, unreachable } = await ask(clients, (c) => c.listAlerts(filter));
  const byFingerprint = new Map<string, MergedAlert>();
  for (const { name, items } of answers)
    for (const alert of items) {
      if (!options.includeSuppressed && alert.status !== 'active') continue;
      const seen = byFingerprint.get(alert.fingerprint);
      if (seen) {
        seen.alertmanagers.push(name);
        // The earliest start any of them saw is when it began.
        if (alert.startsAt !== undefined && (seen.startsAt === undefined || alert.startsAt < seen.startsAt))
          seen.startsAt = alert.startsAt;
      } else byFingerprint.set(alert.fingerprint, { ...alert, alertmanagers: [name] });
    }
  return { items: [...byFingerprint.values()], unreachable };
}

/** Silences not yet expired, de-duplicated by id. */
export async function silencesAcross(
  clients: readonly AlertmanagerApi[],
  filter: string[],
): Promise<Across<MergedSilence>> {
  const { answers, unreachable } = await ask(clients, (c) => c.listSilences(filter));
  const byId = new Map<string, MergedSilence>();
  for (const { name, items } of answers)
    for (const silence of items) {
      if (silence.state === 'expired') continue;
      const seen = byId.get(silence.id);
      if (seen) seen.alertmanagers.push(name);
      else byId.set(silence.id, { ...silence, alertmanagers: [name] });
    }
  return { items: [...byId.values()], unreachable };
}
