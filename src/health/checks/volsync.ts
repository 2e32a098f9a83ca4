/** VolSync: every ReplicationSource's last sync against the RPO (now − lastSyncTime ≤ RPO). */
import { formatDuration } from '../../duration.js';
import { KINDS } from '../kinds.js';
import { absent, ageMs, ago, objectsOf, ref, result, served } from '../objects.js';
import type { Check, Finding } from '../types.js';

export const volsyncCheck: Check = {
  component: 'volsync',
  kinds: [KINDS.replicationsources],
  run({ kinds, now, rpoMs, wide }) {
    if (!served(kinds, 'replicationsources'))
      return absent('volsync', 'no volsync.backube ReplicationSource API');
    const sources = objectsOf(kinds, 'replicationsources');
    if (sources.length === 0) return absent('volsync', 'no ReplicationSource');
    const findings: Finding[] = [];
    let oldest = 0;
    for (const source of sources) {
      const subject = `ReplicationSource ${ref(source)}`;
      const age = ageMs(source.status?.lastSyncTime, now);
      const mover = (source.status?.latestMoverStatus ?? {}) as { result?: string };
      if (age === undefined) {
        findings.push({ status: 'warn', subject, reason: 'has never synced' });
        continue;
      }
      oldest = Math.max(oldest, age);
      if (age > rpoMs)
        findings.push({
          status: 'fail',
          subject,
          reason: `last sync ${ago(age)}, older than the RPO of ${formatDuration(rpoMs)}`,
        });
      else if (mover.result === 'Failed')
        findings.push({
          status: 'warn',
          subject,
          reason: `last sync ${ago(age)}, but the latest mover run failed`,
        });
      else findings.push({ status: 'ok', subject, reason: `last sync ${ago(age)}` });
    }
    return result(
      'volsync',
      findings,
      `${sources.length} sources, oldest sync ${ago(oldest)} (RPO ${formatDuration(rpoMs)})`,
      wide,
    );
  },
};
