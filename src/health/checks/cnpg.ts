/**
 * CloudNativePG: phase, primary, ready instances, switchover in progress; and backup freshness:
 * for each ScheduledBackup, the newest completed Backup of its cluster must be younger than two
 * of the schedule's periods (the time between its last and next run), so one missed or failed
 * run warns and a second fails.
 */
import { formatDuration } from '../../duration.js';
import { KINDS } from '../kinds.js';
import { absent, ageMs, ago, condition, num, objectsOf, ref, result, served } from '../objects.js';
import type { Check, Finding, KubeObject } from '../types.js';

const HEALTHY_PHASE = 'Cluster in healthy state';

export const cnpgCheck: Check = {
  component: 'cnpg',
  kinds: [KINDS.cnpgclusters, KINDS.cnpgbackups, KINDS.cnpgscheduledbackups],
  run({ kinds, wide, now }) {
    if (!served(kinds, 'cnpgclusters')) return absent('cnpg', 'no postgresql.cnpg.io Cluster API');
    const clusters = objectsOf(kinds, 'cnpgclusters');
    if (clusters.length === 0) return absent('cnpg', 'no CloudNativePG Cluster');
    const findings: Finding[] = [];
    for (const c of clusters) {
      const subject = `Cluster ${ref(c)}`;
      const status = c.status ?? {};
      const wanted = num(c.spec?.instances ?? status.instances);
      const ready = num(status.readyInstances);
      const primary = typeof status.currentPrimary === 'string' ? status.currentPrimary : 'none';
      const phase = typeof status.phase === 'string' ? status.phase : 'unknown';
      const unhealthy = Object.entries((status.instancesStatus ?? {}) as Record<string, string[]>)
        .filter(([state]) => state !== 'healthy')
        .flatMap(([state, pods]) => pods.map((p) => `${p} ${state}`));
      const line = `${ready}/${wanted} instances ready, primary ${primary}, phase "${phase}"`;
      if (ready === 0 && wanted > 0) findings.push({ status: 'fail', subject, reason: line });
      else if (ready < wanted)
        findings.push({
          status: 'warn',
          subject,
          reason: `${line}${unhealthy.length ? `; ${unhealthy.join(', ')}` : ''}`,
        });
      else if (status.targetPrimary && status.targetPrimary !== status.currentPrimary)
        findings.push({
          status: 'warn',
          subject,
          reason: `switchover to ${String(status.targetPrimary)} in progress; ${line}`,
        });
      else if (phase !== HEALTHY_PHASE || condition(c, 'Ready')?.status === 'False')
        findings.push({ status: 'warn', subject, reason: line });
      else findings.push({ status: 'ok', subject, reason: line });
    }
    const ok = findings.filter((f) => f.status === 'ok').length;
    const backups = backupFindings(
      objectsOf(kinds, 'cnpgscheduledbackups'),
      objectsOf(kinds, 'cnpgbackups'),
      now,
    );
    findings.push(...backups);
    const stale = backups.filter((f) => f.status !== 'ok').length;
    return result(
      'cnpg',
      findings,
      `${ok}/${clusters.length} clusters healthy${stale ? `; ${stale} backup schedule${stale === 1 ? '' : 's'} behind` : ''}`,
      wide,
    );
  },
};

const clusterOf = (o: KubeObject) => (o.spec?.cluster as { name?: string } | undefined)?.name;

function backupFindings(
  schedules: readonly KubeObject[],
  backups: readonly KubeObject[],
  now: number,
): Finding[] {
  const findings: Finding[] = [];
  for (const schedule of schedules) {
    if (schedule.spec?.suspend === true) continue;
    const cluster = clusterOf(schedule);
    const subject = `backups of ${schedule.metadata.namespace ?? ''}/${cluster ?? '?'} (${schedule.metadata.name})`;
    const last = Date.parse(String(schedule.status?.lastScheduleTime ?? ''));
    const next = Date.parse(String(schedule.status?.nextScheduleTime ?? ''));
    if (Number.isNaN(last) || Number.isNaN(next) || next <= last) {
      findings.push({ status: 'warn', subject, reason: 'the schedule has not run yet' });
      continue;
    }
    const period = next - last;
    const completed = backups
      .filter(
        (b) =>
          b.metadata.namespace === schedule.metadata.namespace &&
          clusterOf(b) === cluster &&
          b.status?.phase === 'completed',
      )
      .map((b) => ageMs(b.status?.stoppedAt, now))
      .filter((age): age is number => age !== undefined);
    const newest = completed.length ? Math.min(...completed) : undefined;
    if (newest === undefined) findings.push({ status: 'fail', subject, reason: 'no completed Backup' });
    else
      findings.push({
        status: newest > 2 * period ? 'fail' : newest > period ? 'warn' : 'ok',
        subject,
        reason: `newest completed ${ago(newest)}, scheduled every ${formatDuration(period)}`,
      });
  }
  return findings;
}
