/** Rook Ceph: CephCluster health and phase, capacity, OSD pods. */
import { KINDS } from '../kinds.js';
import { absent, num, objectsOf, oneLine, ref, result, served } from '../objects.js';
import type { Check, Finding } from '../types.js';

/** Used capacity at or above this fraction warns. */
export const CAPACITY_WARNING = 0.8;

interface CephStatus {
  health?: string;
  details?: Record<string, { message?: string; severity?: string }>;
  capacity?: { bytesUsed?: number; bytesTotal?: number };
}

export const cephCheck: Check = {
  component: 'ceph',
  kinds: [KINDS.cephclusters, KINDS.pods],
  run({ kinds, wide }) {
    const clusters = objectsOf(kinds, 'cephclusters');
    if (!served(kinds, 'cephclusters') || clusters.length === 0)
      return absent('ceph', served(kinds, 'cephclusters') ? 'no CephCluster' : 'no CephCluster API');
    const findings: Finding[] = [];
    const healths: string[] = [];
    for (const cluster of clusters) {
      const subject = `CephCluster ${ref(cluster)}`;
      const ceph = (cluster.status?.ceph ?? {}) as CephStatus;
      const health = ceph.health ?? 'unknown';
      healths.push(health);
      const details = Object.entries(ceph.details ?? {})
        .map(([check, d]) => `${check}: ${oneLine(d.message ?? '', 100)}`)
        .join('; ');
      const phase = cluster.status?.phase;
      if (phase === 'Failure')
        findings.push({
          status: 'fail',
          subject,
          reason: `phase Failure${cluster.status?.message ? `: ${oneLine(String(cluster.status.message))}` : ''}`,
        });
      if (health === 'HEALTH_OK')
        findings.push({ status: 'ok', subject, reason: `HEALTH_OK, phase ${phase ?? 'unknown'}` });
      else
        findings.push({
          status: health === 'HEALTH_WARN' ? 'warn' : 'fail',
          subject,
          reason: `${health}${details ? `: ${details}` : ''}`,
        });
      const used = num(ceph.capacity?.bytesUsed);
      const total = num(ceph.capacity?.bytesTotal);
      if (total > 0 && used / total >= CAPACITY_WARNING)
        findings.push({
          status: 'warn',
          subject,
          reason: `${Math.round((100 * used) / total)}% of raw capacity used`,
        });
    }
    const osds = objectsOf(kinds, 'pods').filter((p) => p.metadata.labels?.app === 'rook-ceph-osd');
    const osdDown = osds.filter((p) => p.status?.phase !== 'Running');
    for (const osd of osdDown)
      findings.push({
        status: 'warn',
        subject: `OSD pod ${ref(osd)}`,
        reason: `phase ${String(osd.status?.phase ?? 'unknown')}`,
      });
    const osdLine = osds.length ? `; ${osds.length - osdDown.length}/${osds.length} OSD pods running` : '';
    return result('ceph', findings, `${healths.join(', ')}${osdLine}`, wide);
  },
};
