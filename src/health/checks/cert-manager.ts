/** cert-manager: Certificates not Ready, expiring within the warning window, or expired. */
import { formatDuration } from '../../duration.js';
import { KINDS } from '../kinds.js';
import { absent, condition, describe, objectsOf, ref, result, served } from '../objects.js';
import type { Check, Finding } from '../types.js';

export const certManagerCheck: Check = {
  component: 'cert-manager',
  kinds: [KINDS.certificates],
  run({ kinds, now, certificateWarningMs, wide }) {
    if (!served(kinds, 'certificates')) return absent('cert-manager', 'no cert-manager.io Certificate API');
    const certs = objectsOf(kinds, 'certificates');
    const findings: Finding[] = [];
    for (const cert of certs) {
      const subject = `Certificate ${ref(cert)}`;
      const notAfter =
        typeof cert.status?.notAfter === 'string' ? Date.parse(cert.status.notAfter) : Number.NaN;
      const left = notAfter - now;
      const ready = condition(cert, 'Ready');
      if (!Number.isNaN(left) && left <= 0)
        findings.push({ status: 'fail', subject, reason: `expired ${formatDuration(-left)} ago` });
      else if (ready?.status !== 'True') findings.push({ status: 'fail', subject, reason: describe(ready) });
      else if (!Number.isNaN(left) && left < certificateWarningMs)
        findings.push({ status: 'warn', subject, reason: `expires in ${formatDuration(left)}` });
      else
        findings.push({
          status: 'ok',
          subject,
          reason: Number.isNaN(left) ? 'Ready' : `Ready, expires in ${formatDuration(left)}`,
        });
    }
    const ok = findings.filter((f) => f.status === 'ok').length;
    return result(
      'cert-manager',
      findings,
      `${ok}/${certs.length} certificates Ready and not expiring soon`,
      wide,
    );
  },
};
