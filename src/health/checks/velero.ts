/** Velero: the newest completed backup against the RPO, failed backups, storage locations. */
import { KINDS } from '../kinds.js';
import { absent, ageMs, ago, objectsOf, ref, result, served } from '../objects.js';
import type { Check, Finding, KubeObject } from '../types.js';

const FAILED = new Set(['Failed', 'PartiallyFailed', 'FailedValidation']);

function completedAt(backup: KubeObject): string | undefined {
  const t = backup.status?.completionTimestamp;
  return typeof t === 'string' ? t : undefined;
}

export const veleroCheck: Check = {
  component: 'velero',
  kinds: [KINDS.velerobackups, KINDS.veleroschedules, KINDS.backupstoragelocations],
  run({ kinds, now, rpoMs, wide }) {
    if (!served(kinds, 'velerobackups')) return absent('velero', 'no velero.io Backup API');
    const backups = objectsOf(kinds, 'velerobackups');
    const schedules = objectsOf(kinds, 'veleroschedules');
    if (backups.length === 0 && schedules.length === 0)
      return absent('velero', 'no Velero schedules or backups');
    const findings: Finding[] = [];
    const completed = backups
      .filter((b) => b.status?.phase === 'Completed' && completedAt(b))
      .sort((a, b) => Date.parse(completedAt(b) ?? '') - Date.parse(completedAt(a) ?? ''));
    const newest = completed[0];
    const age = newest ? ageMs(completedAt(newest), now) : undefined;
    if (!newest || age === undefined)
      findings.push({ status: 'fail', subject: 'backups', reason: 'no completed backup' });
    else
      findings.push({
        status: age > rpoMs ? 'fail' : 'ok',
        subject: `Backup ${ref(newest)}`,
        reason: `newest completed backup finished ${ago(age)}${age > rpoMs ? ', older than the RPO' : ''}`,
      });
    // A schedule whose latest backup failed is worth a warning even when another one is fresh.
    for (const schedule of schedules) {
      if (schedule.spec?.paused === true) {
        findings.push({ status: 'warn', subject: `Schedule ${ref(schedule)}`, reason: 'paused' });
        continue;
      }
      const latest = backups
        .filter((b) => b.metadata.labels?.['velero.io/schedule-name'] === schedule.metadata.name)
        .sort((a, b) =>
          (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
        )[0];
      const phase = latest?.status?.phase;
      if (latest && typeof phase === 'string' && FAILED.has(phase))
        findings.push({
          status: 'warn',
          subject: `Schedule ${ref(schedule)}`,
          reason: `latest backup ${latest.metadata.name} ${phase}`,
        });
    }
    for (const bsl of objectsOf(kinds, 'backupstoragelocations'))
      if (bsl.status?.phase === 'Unavailable')
        findings.push({
          status: 'fail',
          subject: `BackupStorageLocation ${ref(bsl)}`,
          reason: `Unavailable${bsl.status?.message ? `: ${String(bsl.status.message)}` : ''}`,
        });
    const summary = age === undefined ? 'no completed backup' : `newest backup ${ago(age)}`;
    return result('velero', findings, summary, wide);
  },
};
