/**
 * Flux: Kustomizations and HelmReleases not Ready, stalled, reconciling or suspended; and the
 * sources they build from (GitRepository, OCIRepository, HelmRepository): not Ready, or stale —
 * source-controller serving an old artifact because fetching failed (FetchFailed=True), saying
 * its artifact is outdated (ArtifactOutdated=True), or not having reconciled the current spec
 * (Ready for an older generation).
 */
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

const SOURCES = [
  ['gitrepositories', 'GitRepository'],
  ['ocirepositories', 'OCIRepository'],
  ['helmrepositories', 'HelmRepository'],
] as const;

function sourceFinding(kind: string, object: KubeObject): Finding {
  const subject = `${kind} ${ref(object)}`;
  if (object.spec?.suspend === true)
    return { status: 'warn', subject, reason: 'suspended: its artifact is not refreshed' };
  const ready = condition(object, 'Ready');
  if (ready?.status !== 'True') return { status: 'fail', subject, reason: describe(ready) };
  for (const type of ['FetchFailed', 'ArtifactOutdated']) {
    const c = condition(object, type);
    if (c?.status === 'True') return { status: 'warn', subject, reason: `stale: ${describe(c)}` };
  }
  const generation = object.metadata.generation;
  const observed = ready.observedGeneration ?? object.status?.observedGeneration;
  if (typeof generation === 'number' && typeof observed === 'number' && observed < generation)
    return {
      status: 'warn',
      subject,
      reason: `stale: Ready for generation ${observed}, spec is at ${generation}`,
    };
  return { status: 'ok', subject, reason: 'Ready' };
}

export const fluxCheck: Check = {
  component: 'flux',
  kinds: [
    KINDS.kustomizations,
    KINDS.helmreleases,
    KINDS.gitrepositories,
    KINDS.ocirepositories,
    KINDS.helmrepositories,
  ],
  run({ kinds, wide }) {
    if (!served(kinds, 'kustomizations') && !served(kinds, 'helmreleases'))
      return absent('flux', 'no Kustomization or HelmRelease API');
    const findings: Finding[] = [];
    const ks = objectsOf(kinds, 'kustomizations');
    const hr = objectsOf(kinds, 'helmreleases');
    for (const k of ks) findings.push(fluxFinding('Kustomization', k));
    for (const h of hr) findings.push(fluxFinding('HelmRelease', h));
    const sources = SOURCES.flatMap(([id, kind]) => objectsOf(kinds, id).map((o) => sourceFinding(kind, o)));
    findings.push(...sources);
    const bad = (kind: string) =>
      findings.filter((f) => f.subject.startsWith(kind) && f.status === 'fail').length;
    const suspended = findings.filter((f) => f.reason.startsWith('suspended')).length;
    const summary =
      `${ks.length - bad('Kustomization')}/${ks.length} Kustomizations and ` +
      `${hr.length - bad('HelmRelease')}/${hr.length} HelmReleases Ready` +
      (suspended ? `; ${suspended} suspended` : '') +
      (sources.some((f) => f.status !== 'ok')
        ? `; ${sources.filter((f) => f.status !== 'ok').length}/${sources.length} sources not Ready or stale`
        : '');
    return result('flux', findings, summary, wide);
  },
};
