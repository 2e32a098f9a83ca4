/** Flux: Kustomizations and HelmReleases not Ready, stalled, reconciling or suspended. */
import { KINDS } from '../kinds.js';
import { absent, condition, describe, objectsOf, ref, result, served } from '../objects.js';
import type { Check, Finding, KubeObject } from '../types.js';

function fluxFinding(kind: string, object: KubeObject): Finding {
  const subject = `${kind} ${ref(object)}`;
  if (object.spec?.suspend === true)
    return { status: 'warn', subject, reason: 'suspended (not a failure; resume it when intended)' };
  const stalled = condition(object, 'Stalled');
  if (stalled?.status === 'True') return { status: 'fail', subject, reason: describe(stalled) };
  const ready = condition(object, 'Ready');
  if (ready?.status === 'True') {
    const revision = object.status?.lastAppliedRevision ?? object.status?.lastAttemptedRevision;
    return { status: 'ok', subject, reason: `Ready${typeof revision === 'string' ? ` at ${revision}` : ''}` };
  }
  if (ready?.status === 'False') return { status: 'fail', subject, reason: describe(ready) };
  const reconciling = condition(object, 'Reconciling');
  if (reconciling?.status === 'True')
    return { status: 'warn', subject, reason: `reconciling: ${describe(reconciling)}` };
  return { status: 'warn', subject, reason: describe(ready, 'no Ready condition yet') };
}

export const fluxCheck: Check = {
  component: 'flux',
  kinds: [KINDS.kustomizations, KINDS.helmreleases],
  run({ kinds, wide }) {
    if (!served(kinds, 'kustomizations') && !served(kinds, 'helmreleases'))
      return absent('flux', 'no Kustomization or HelmRelease API');
    const findings: Finding[] = [];
    const ks = objectsOf(kinds, 'kustomizations');
    const hr = objectsOf(kinds, 'helmreleases');
    for (const k of ks) findings.push(fluxFinding('Kustomization', k));
    for (const h of hr) findings.push(fluxFinding('HelmRelease', h));
    const bad = (kind: string) =>
      findings.filter((f) => f.subject.startsWith(kind) && f.status === 'fail').length;
    const suspended = findings.filter((f) => f.reason.startsWith('suspended')).length;
    const summary =
      `${ks.length - bad('Kustomization')}/${ks.length} Kustomizations and ` +
      `${hr.length - bad('HelmRelease')}/${hr.length} HelmReleases Ready` +
      (suspended ? `; ${suspended} suspended` : '');
    return result('flux', findings, summary, wide);
  },
};
