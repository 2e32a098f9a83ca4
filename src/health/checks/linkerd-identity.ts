/**
 * Linkerd's identity certificates without reading a Secret (the bot's account reads none): the
 * trust anchor from the ConfigMap linkerd/linkerd-identity-trust-roots, which Linkerd publishes for
 * every proxy, and the issuer from the cert-manager Certificate linkerd/linkerd-identity-issuer
 * when cert-manager issues it (Linkerd's documented automatic rotation). An issuer kept only in
 * its Secret cannot be seen through the API the bot may read; the summary says so.
 */
import { formatDuration } from '../../duration.js';
import { objectsOf, served } from '../objects.js';
import type { ExpiryThresholds, Finding, KindState } from '../types.js';

export const ISSUER_CERTIFICATE = { namespace: 'linkerd', name: 'linkerd-identity-issuer' };

interface Root {
  subject: string;
  notAfter?: string;
  error?: string;
}

/** ok / warn / fail for a certificate that stops being valid at `notAfter`. */
export function expiryFinding(
  subject: string,
  notAfter: number,
  now: number,
  thresholds: ExpiryThresholds,
): Finding {
  const left = notAfter - now;
  if (left <= 0) return { status: 'fail', subject, reason: `expired ${formatDuration(-left)} ago` };
  const reason = `expires in ${formatDuration(left)} (${new Date(notAfter).toISOString()})`;
  if (left < thresholds.failMs) return { status: 'fail', subject, reason };
  if (left < thresholds.warnMs) return { status: 'warn', subject, reason };
  return { status: 'ok', subject, reason };
}

export function identityFindings(
  kinds: Map<string, KindState>,
  now: number,
  thresholds: ExpiryThresholds,
): { findings: Finding[]; note?: string } {
  const findings: Finding[] = [];
  if (served(kinds, 'linkerdtrustroots')) {
    const configMap = objectsOf(kinds, 'linkerdtrustroots')[0];
    const roots = (configMap?.status?.roots ?? []) as Root[];
    if (!configMap)
      findings.push({
        status: 'fail',
        subject: 'trust anchor',
        reason: 'ConfigMap linkerd/linkerd-identity-trust-roots not found',
      });
    else if (roots.length === 0)
      findings.push({ status: 'fail', subject: 'trust anchor', reason: 'no certificate in ca-bundle.crt' });
    for (const root of roots) {
      const subject = `trust anchor ${root.subject}`;
      const at = root.notAfter ? Date.parse(root.notAfter) : Number.NaN;
      findings.push(
        Number.isNaN(at)
          ? { status: 'fail', subject, reason: `unreadable certificate: ${root.error ?? 'no notAfter'}` }
          : expiryFinding(subject, at, now, thresholds),
      );
    }
  }
  const issuer = objectsOf(kinds, 'certificates').find(
    (c) =>
      c.metadata.namespace === ISSUER_CERTIFICATE.namespace && c.metadata.name === ISSUER_CERTIFICATE.name,
  );
  if (!issuer)
    return {
      findings,
      // Not a finding: without cert-manager the issuer lives only in a Secret, which the bot does not read.
      note: 'issuer expiry unknown (no Certificate linkerd/linkerd-identity-issuer)',
    };
  const notAfter =
    typeof issuer.status?.notAfter === 'string' ? Date.parse(issuer.status.notAfter) : Number.NaN;
  if (Number.isNaN(notAfter)) {
    findings.push({
      status: 'warn',
      subject: 'issuer',
      reason: 'cert-manager has not reported notAfter yet',
    });
    return { findings };
  }
  const finding = expiryFinding('issuer', notAfter, now, thresholds);
  const renewal =
    typeof issuer.status?.renewalTime === 'string' ? Date.parse(issuer.status.renewalTime) : Number.NaN;
  // cert-manager renews at renewalTime; still unrenewed after it means it is failing to.
  if (finding.status === 'ok' && !Number.isNaN(renewal) && renewal < now)
    findings.push({
      status: 'warn',
      subject: 'issuer',
      reason: `renewal overdue by ${formatDuration(now - renewal)}; ${finding.reason}`,
    });
  else findings.push(finding);
  return { findings };
}
