/**
 * One pass over a phase run: the current Flux object is resumed if suspended and asked to
 * reconcile, then watched until Ready on that very request (or Stalled, or past the timeout);
 * when all are Ready the success checks run. After the pass the run is stored and its post
 * updated when something changed; a pause that finished the run meanwhile wins. Every step
 * re-reads the cluster, so repeating one after a restart is safe and an orphaned run simply
 * continues. Its own file because this is the reconciler's body; the loop is src/runs/run-loop.ts.
 */
import { formatDuration } from '../duration.js';
import { type ClusterOps, conditionStatus, fieldAt, KubeError } from '../kube/cluster-ops.js';
import type { Run } from '../store/store.js';
import { runChecks } from './checks.js';
import { dependsOn, label, REQUESTED_AT, refOf } from './flux-objects.js';
import { renderRun } from './render.js';
import type { PhaseData, PhaseStep } from './run-data.js';
import type { PhaseRuntime } from './runtime.js';
import { closeSilences } from './silences.js';

/** One pass: advance, store, update the post when something changed; true when the run ended. */
export async function passPhase(rt: PhaseRuntime, run: Run): Promise<boolean> {
  const { store, chat, log, timeZone } = rt.options;
  const id = run.id;
  const before = JSON.stringify([run.state, run.data]);
  try {
    await reconcile(rt, run);
  } catch (error) {
    log.warn({ err: error, run: id, phase: run.name }, 'phase pass failed');
  }
  run.updatedAt = rt.now();
  // A pause may have finished the run meanwhile; it wins (and expired the silences).
  const latest = await store.getRun(id);
  if (latest?.finishedAt !== undefined) return true;
  // Before the finished run is stored: a crash in between continues the run, which ends them then.
  if (run.finishedAt !== undefined) await closeSilences(rt, run);
  await store.saveRun(run);
  const data = run.data as PhaseData;
  if (data.post && JSON.stringify([run.state, run.data]) !== before)
    await chat
      .update(data.post, renderRun(run, timeZone))
      .catch((error: unknown) => log.warn({ err: error, run: id }, 'updating the phase post failed'));
  return run.finishedAt !== undefined;
}

async function reconcile(rt: PhaseRuntime, run: Run): Promise<void> {
  const data = run.data as PhaseData;
  if (run.state === 'reconciling') {
    const step = data.steps[data.current];
    if (!step) {
      run.state = 'verifying';
      return;
    }
    const ops = rt.options.clusters.get(step.cluster);
    if (!ops) return fail(rt, run, step, `cluster ${step.cluster} is not configured`);
    if (step.state === 'pending') return request(rt, run, step, ops);
    if (step.state === 'requested') return watch(rt, run, step, ops);
  }
  if (run.state === 'verifying') {
    const def = rt.options.phases.phases.find((p) => p.name === data.phase);
    data.checks = await runChecks(def?.checks ?? [], rt.options.clusters, rt.now());
    run.state = data.checks.every((c) => c.ok) ? 'succeeded' : 'checks-failed';
    run.finishedAt = rt.now();
  }
}

/** A pending step: upstream objects outside the run must be Ready; then resume and request a reconcile. */
async function request(rt: PhaseRuntime, run: Run, step: PhaseStep, ops: ClusterOps): Promise<void> {
  const data = run.data as PhaseData;
  const ref = refOf(step);
  step.startedAt ??= rt.now();
  const live = await ops.reader.get(ref);
  if (!live) return fail(rt, run, step, 'it does not exist');
  // An upstream object outside this phase must already be Ready: it belongs to an earlier phase.
  for (const dep of dependsOn(live)) {
    const inRun = data.steps.some(
      (s) => s.cluster === step.cluster && s.kind === step.kind && s.name === dep.name,
    );
    if (inRun) continue;
    const upstream = await ops.reader.get({
      ...ref,
      namespace: dep.namespace ?? step.namespace,
      name: dep.name,
    });
    if (conditionStatus(upstream, 'Ready') !== 'True')
      return fail(
        rt,
        run,
        step,
        `it depends on ${step.kind} ${dep.name}, which is not Ready; run its phase first`,
      );
  }
  const suspended = fieldAt(live, 'spec.suspend') === true;
  if (step.kind === 'Kustomization' || suspended) {
    const requestedAt = new Date(rt.now()).toISOString();
    const patch: Record<string, unknown> = { metadata: { annotations: { [REQUESTED_AT]: requestedAt } } };
    if (suspended) patch.spec = { suspend: false };
    try {
      await ops.writer(run.startedBy).mergePatch(ref, patch);
    } catch (error) {
      const why =
        error instanceof KubeError && error.status === 403
          ? `coxswain-operator may not patch it (HTTP 403); its Role covers Flux objects in flux-system`
          : error instanceof Error
            ? error.message
            : String(error);
      return fail(rt, run, step, why);
    }
    step.requestedAt = requestedAt;
    step.resumed = suspended;
  }
  step.state = 'requested';
}

/** A requested step: Ready on this very request and the current generation, Stalled, or past the timeout. */
async function watch(rt: PhaseRuntime, run: Run, step: PhaseStep, ops: ClusterOps): Promise<void> {
  const data = run.data as PhaseData;
  const live = await ops.reader.get(refOf(step));
  const handled =
    step.requestedAt === undefined || fieldAt(live, 'status.lastHandledReconcileAt') === step.requestedAt;
  const generation = fieldAt(live, 'metadata.generation');
  const observed = fieldAt(live, 'status.observedGeneration');
  const current = typeof generation !== 'number' || observed === generation;
  if (handled && current && conditionStatus(live, 'Ready') === 'True') {
    step.state = 'ready';
    step.doneAt = rt.now();
    step.detail = `Ready after ${formatDuration(step.doneAt - (step.startedAt ?? step.doneAt))}`;
    data.current += 1;
    if (data.current >= data.steps.length) run.state = 'verifying';
    return;
  }
  if (conditionStatus(live, 'Stalled') === 'True') return fail(rt, run, step, 'Flux reports it Stalled');
  if (rt.now() - (step.startedAt ?? rt.now()) > data.timeoutMs)
    return fail(rt, run, step, `not Ready within ${formatDuration(data.timeoutMs)}`);
}

function fail(rt: PhaseRuntime, run: Run, step: PhaseStep, why: string): void {
  step.state = 'failed';
  step.detail = why;
  step.doneAt = rt.now();
  run.state = 'failed';
  run.finishedAt = rt.now();
  (run.data as PhaseData).reason = `${label(step)}: ${why}`;
}
