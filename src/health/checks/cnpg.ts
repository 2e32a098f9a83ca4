/** CloudNativePG: phase, primary, ready instances, switchover in progress. */
import { KINDS } from '../kinds.js';
import { absent, condition, num, objectsOf, ref, result, served } from '../objects.js';
import type { Check, Finding } from '../types.js';

const HEALTHY_PHASE = 'Cluster in healthy state';

export const cnpgCheck: Check = {
  component: 'cnpg',
  kinds: [KINDS.cnpgclusters],
  run({ kinds, wide }) {
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
    return result('cnpg', findings, `${ok}/${clusters.length} clusters healthy`, wide);
  },
};
