/**
 * The phase engine: a reconciler over stored runs. A run is a list of Flux objects in
 * dependency order; each pass advances the current one (resume + request a reconcile, then wait
 * for Ready on the requested reconcile), and when all are Ready it runs the success checks.
 * Progress is one post, updated. An unfinished run found at start continues where it was:
 * every step re-reads the cluster, so repeating one is safe.
 */

import { randomUUID } from 'node:crypto';
import type { RunSilencer } from '../alerts/run-silences.js';
import { formatDuration } from '../duration.js';
import {
  type ClusterDirectory,
  conditionStatus,
  fieldAt,
  KubeError,
  type KubeObject,
  type ResourceRef,
} from '../kube/cluster-ops.js';
import type { Logger } from '../log.js';
import type { Message } from '../message.js';
import type { PostRef } from '../ports.js';
import { type RunChat, RunLoop } from '../runs/run-loop.js';
import type { Run, Store } from '../store/store.js';
import { escapeChat } from '../text/escape.js';
import { formatTimeSeconds } from '../text/time.js';
import { type CheckResult, runChecks } from './checks.js';
import {
  type FluxObjectSpec,
  type PhaseDefinition,
  type PhasesFile,
  phaseExpectedAlerts,
} from './definitions.js';

export const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

export type StepState = 'pending' | 'requested' | 'ready' | 'failed';

export interface PhaseStep {
  cluster: string;
  kind: 'Kustomization' | 'HelmRelease';
  namespace: string;
  name: string;
  state: StepState;
  /** Whether the object was suspended when the run reached it (and so was resumed). */
  resumed?: boolean;
  requestedAt?: string;
  startedAt?: number;
  doneAt?: number;
  detail?: string;
}

export type PhaseRunState =
  | 'reconciling'
  | 'verifying'
  | 'succeeded'
  | 'checks-failed'
  | 'failed'
  | 'refused'
  | 'paused';

export interface PhaseData extends Record<string, unknown> {
  phase: string;
  action: 'run' | 'pause';
  steps: PhaseStep[];
  current: number;
  dependencyChecks: CheckResult[];
  checks?: CheckResult[];
  timeoutMs: number;
  post?: PostRef;
  reason?: string;
  /** Stored by a replica that is not the leader; the leader's next `resume` starts it. */
  awaitingLeader?: boolean;
  /** Silences were opened for the alerts the run expects; found by the run id and expired at its end. */
  silenced?: boolean;
}

export interface PhaseEngineOptions {
  store: Store;
  clusters: ClusterDirectory;
  chat: RunChat;
  phases: PhasesFile;
  log: Logger;
  now?: () => number;
  tickMs?: number;
  /** A run nobody has advanced for this long is orphaned and taken over (see DrillEngine). */
  staleAfterMs?: number;
  /** Whether this replica leads; only the leader drives runs (see DrillEngineOptions.isLeader). */
  isLeader?: () => boolean;
  /** The zone run posts show times in (config `timeZone`); unset: UTC. */
  timeZone?: string;
  /** Silences the alerts a run expects (phases.yaml expectedAlerts) while it runs. */
  silences?: RunSilencer;
}

export type PhaseStartResult =
  | { ok: true; run?: Run; plan: string[] }
  | { ok: false; reason: string; run?: Run };

const TERMINAL: readonly string[] = ['succeeded', 'checks-failed', 'failed', 'refused', 'paused'];

function refOf(step: { kind: string; namespace: string; name: string }): ResourceRef {
  return step.kind === 'Kustomization'
    ? {
        group: 'kustomize.toolkit.fluxcd.io',
        version: 'v1',
        plural: 'kustomizations',
        namespace: step.namespace,
        name: step.name,
      }
    : {
        group: 'helm.toolkit.fluxcd.io',
        version: 'v2',
        plural: 'helmreleases',
        namespace: step.namespace,
        name: step.name,
      };
}

function dependsOn(object: KubeObject | undefined): { name: string; namespace?: string }[] {
  const deps = fieldAt(object, 'spec.dependsOn');
  return Array.isArray(deps) ? (deps as { name: string; namespace?: string }[]) : [];
}

function label(step: PhaseStep): string {
  return `${step.cluster}: ${step.kind} ${step.namespace}/${step.name}`;
}

export class PhaseEngine {
  private readonly now: () => number;
  private readonly runs: RunLoop;

  constructor(private readonly options: PhaseEngineOptions) {
    this.now = options.now ?? Date.now;
    // An orphaned phase run continues where it was (no `adopt`): every step re-reads the cluster.
    this.runs = new RunLoop({
      store: options.store,
      kind: 'phase',
      now: this.now,
      tickMs: options.tickMs ?? 2000,
      ...(options.staleAfterMs !== undefined ? { staleAfterMs: options.staleAfterMs } : {}),
      ...(options.isLeader ? { isLeader: options.isLeader } : {}),
      pass: (run) => this.pass(run),
      passFailed: (run, error) =>
        this.options.log.warn({ err: error, run: run.id, phase: run.name }, 'phase pass failed'),
    });
  }

  definitions(): PhaseDefinition[] {
    return this.options.phases.phases;
  }

  definition(name: string): PhaseDefinition | undefined {
    return this.options.phases.phases.find((p) => p.name === name);
  }

  async lastRun(phase: string): Promise<Run | undefined> {
    const runs = (await this.options.store.listRuns({ kind: 'phase' })).filter((r) => r.name === phase);
    return runs.sort((a, b) => b.startedAt - a.startedAt)[0];
  }

  async history(phase: string, limit = 5): Promise<Run[]> {
    const runs = (await this.options.store.listRuns({ kind: 'phase' })).filter((r) => r.name === phase);
    return runs.sort((a, b) => b.startedAt - a.startedAt).slice(0, limit);
  }

  /** Steps in dependency order: the yaml's order, moved so each comes after what it dependsOn. */
  async orderedSteps(def: PhaseDefinition): Promise<PhaseStep[]> {
    const specs: (FluxObjectSpec & { cluster: string; deps: string[] })[] = [];
    for (const spec of def.flux)
      for (const cluster of spec.clusters) {
        const ops = this.options.clusters.get(cluster);
        if (!ops) throw new Error(`Phase ${def.name} names cluster ${cluster}, which is not in the config.`);
        const live = await ops.reader.get(refOf(spec));
        if (!live)
          throw new Error(
            `${cluster}: ${spec.kind} ${spec.namespace}/${spec.name} does not exist; check phases.yaml.`,
          );
        const deps = dependsOn(live).map(
          (d) => `${cluster}/${spec.kind}/${d.namespace ?? spec.namespace}/${d.name}`,
        );
        specs.push({ ...spec, cluster, deps });
      }
    const key = (s: { cluster: string; kind: string; namespace: string; name: string }) =>
      `${s.cluster}/${s.kind}/${s.namespace}/${s.name}`;
    const inPhase = new Set(specs.map(key));
    const placed = new Set<string>();
    const ordered: PhaseStep[] = [];
    const visiting = new Set<string>();
    const place = (spec: (typeof specs)[number]) => {
      const k = key(spec);
      if (placed.has(k)) return;
      if (visiting.has(k))
        throw new Error(`Flux objects of phase ${def.name} depend on each other in a cycle at ${k}.`);
      visiting.add(k);
      for (const dep of spec.deps) {
        const upstream = specs.find((s) => key(s) === dep);
        if (upstream && inPhase.has(dep)) place(upstream);
      }
      visiting.delete(k);
      placed.add(k);
      ordered.push({
        cluster: spec.cluster,
        kind: spec.kind,
        namespace: spec.namespace,
        name: spec.name,
        state: 'pending',
      });
    };
    for (const spec of specs) place(spec);
    return ordered;
  }

  /** Dependencies' checks: a phase runs only on top of phases that pass theirs. */
  async dependencyChecks(def: PhaseDefinition): Promise<CheckResult[]> {
    const checks = def.dependsOn.flatMap((dep) => this.definition(dep)?.checks ?? []);
    return runChecks(checks, this.options.clusters, this.now());
  }

  async start(request: {
    phase: string;
    actor: string;
    dryRun?: boolean;
    open(message: Message): Promise<PostRef | undefined>;
  }): Promise<PhaseStartResult> {
    const def = this.definition(request.phase);
    if (!def)
      return {
        ok: false,
        reason: `There is no phase ${request.phase}; the phases are ${this.definitions()
          .map((p) => p.name)
          .join(', ')}.`,
      };
    const active = (await this.options.store.listRuns({ kind: 'phase', unfinished: true })).find(
      (r) => r.name === def.name,
    );
    if (active)
      return {
        ok: false,
        reason: `Phase ${def.name} is already running (started by ${active.startedBy}); see \`phase status ${def.name}\`.`,
      };
    const dependencyChecks = await this.dependencyChecks(def);
    const failing = dependencyChecks.filter((c) => !c.ok);
    let steps: PhaseStep[];
    try {
      steps = await this.orderedSteps(def);
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
    const plan = [
      ...steps.map(
        (s, i) =>
          `${i + 1}. ${label(s)}: ${s.kind === 'Kustomization' ? 'resume if suspended, request a reconcile, wait for Ready' : 'wait for Ready (resume it if suspended)'}`,
      ),
      `then ${def.checks.length} success checks: ${def.checks.map((c) => c.name).join('; ') || 'none'}`,
    ];
    const now = this.now();
    const data: PhaseData = {
      phase: def.name,
      action: 'run',
      steps,
      current: 0,
      dependencyChecks,
      timeoutMs: def.timeout ?? this.options.phases.timeout,
    };
    if (failing.length) {
      const reason = `Refused: phase ${def.name} depends on ${def.dependsOn.join(', ')}, whose checks fail: ${failing
        .map((c) => `${c.name} on ${c.cluster} (${c.detail})`)
        .join('; ')}. Run or fix those first.`;
      if (request.dryRun) return { ok: false, reason };
      data.reason = reason;
      const run = this.newRun(def.name, request.actor, now, data, 'refused');
      run.finishedAt = now;
      await this.options.store.saveRun(run);
      return { ok: false, reason, run };
    }
    if (request.dryRun) return { ok: true, plan };
    const leads = this.runs.leads();
    if (!leads) data.awaitingLeader = true;
    const run = this.newRun(def.name, request.actor, now, data, steps.length ? 'reconciling' : 'verifying');
    await this.options.store.saveRun(run);
    const post = await request.open(this.render(run));
    if (post) {
      data.post = post;
      await this.options.store.saveRun(run);
    }
    await this.openSilences(run, def);
    // Another replica leads: the run is stored and its next sweep (resume) starts it.
    if (leads) this.runs.drive(run.id);
    return { ok: true, run, plan };
  }

  /** Suspends the phase's Kustomizations again (last first) and stops a run of it. */
  async pause(phase: string, actor: string): Promise<Run | string> {
    const def = this.definition(phase);
    if (!def)
      return `There is no phase ${phase}; the phases are ${this.definitions()
        .map((p) => p.name)
        .join(', ')}.`;
    const now = this.now();
    for (const active of (await this.options.store.listRuns({ kind: 'phase', unfinished: true })).filter(
      (r) => r.name === phase,
    )) {
      active.state = 'paused';
      active.finishedAt = now;
      (active.data as PhaseData).reason = `paused by ${actor}`;
      await this.closeSilences(active);
      await this.options.store.saveRun(active);
    }
    const steps: PhaseStep[] = [];
    for (const spec of [...def.flux].reverse()) {
      if (spec.kind !== 'Kustomization') continue;
      for (const cluster of spec.clusters) {
        const ops = this.options.clusters.get(cluster);
        const step: PhaseStep = {
          cluster,
          kind: spec.kind,
          namespace: spec.namespace,
          name: spec.name,
          state: 'ready',
          startedAt: this.now(),
        };
        try {
          if (!ops) throw new Error(`cluster ${cluster} is not configured`);
          await ops.writer(actor).mergePatch(refOf(spec), { spec: { suspend: true } });
          step.detail = 'suspended';
        } catch (error) {
          step.state = 'failed';
          step.detail = error instanceof Error ? error.message : String(error);
        }
        step.doneAt = this.now();
        steps.push(step);
      }
    }
    const data: PhaseData = {
      phase,
      action: 'pause',
      steps,
      current: steps.length,
      dependencyChecks: [],
      timeoutMs: 0,
    };
    const run = this.newRun(phase, actor, now, data, 'paused');
    run.finishedAt = this.now();
    await this.options.store.saveRun(run);
    return run;
  }

  /** Continues runs a previous process left unfinished. */
  resume(): Promise<number> {
    return this.runs.resume();
  }

  stop(): Promise<void> {
    return this.runs.stop();
  }

  settled(id: string): Promise<Run | undefined> {
    return this.runs.settled(id);
  }

  /** One silence per expected matcher set and cluster the run touches, until its time is up. */
  private async openSilences(run: Run, def: PhaseDefinition): Promise<void> {
    const data = run.data as PhaseData;
    const expected = phaseExpectedAlerts(this.options.phases, def);
    if (!this.options.silences || expected.length === 0) return;
    const clusters = [...new Set(data.steps.map((s) => s.cluster))];
    const failed: string[] = [];
    let created = 0;
    for (const cluster of clusters) {
      const result = await this.options.silences
        .open({
          runId: run.id,
          what: `phase ${def.name}`,
          cluster,
          by: run.startedBy,
          startsAt: run.startedAt,
          // Each step may take the timeout; ended earlier when the run ends.
          endsAt: run.startedAt + (data.steps.length + 1) * data.timeoutMs,
          expected,
        })
        .catch((error: unknown) => ({
          created: 0,
          failed: [error instanceof Error ? error.message : String(error)],
        }));
      created += result.created;
      failed.push(...result.failed);
    }
    data.silenced = created > 0;
    if (failed.length) data.reason = `Could not silence the expected alerts: ${failed.join('; ')}`;
    await this.options.store.saveRun(run);
  }

  /** Expires the run's silences, found in Alertmanager by the run id (so also after a restart). */
  private async closeSilences(run: Run): Promise<void> {
    const data = run.data as PhaseData;
    if (!data.silenced || !this.options.silences) return;
    try {
      await this.options.silences.close(run.id);
      data.silenced = false;
    } catch (error) {
      this.options.log.warn(
        { err: error, run: run.id },
        'expiring the phase silences failed; they end by themselves',
      );
    }
  }

  private newRun(name: string, actor: string, now: number, data: PhaseData, state: PhaseRunState): Run {
    return {
      id: randomUUID(),
      kind: 'phase',
      name,
      state,
      startedBy: actor,
      startedAt: now,
      updatedAt: now,
      data,
    };
  }

  /** One pass: advance, store, update the post when something changed; true when the run ended. */
  private async pass(run: Run): Promise<boolean> {
    const id = run.id;
    const before = JSON.stringify([run.state, run.data]);
    try {
      await this.reconcile(run);
    } catch (error) {
      this.options.log.warn({ err: error, run: id, phase: run.name }, 'phase pass failed');
    }
    run.updatedAt = this.now();
    // A pause may have finished the run meanwhile; it wins (and expired the silences).
    const latest = await this.options.store.getRun(id);
    if (latest?.finishedAt !== undefined) return true;
    // Before the finished run is stored: a crash in between continues the run, which ends them then.
    if (run.finishedAt !== undefined) await this.closeSilences(run);
    await this.options.store.saveRun(run);
    const data = run.data as PhaseData;
    if (data.post && JSON.stringify([run.state, run.data]) !== before)
      await this.options.chat
        .update(data.post, this.render(run))
        .catch((error: unknown) =>
          this.options.log.warn({ err: error, run: id }, 'updating the phase post failed'),
        );
    return run.finishedAt !== undefined;
  }

  private async reconcile(run: Run): Promise<void> {
    const data = run.data as PhaseData;
    if (run.state === 'reconciling') {
      const step = data.steps[data.current];
      if (!step) {
        run.state = 'verifying';
        return;
      }
      const ops = this.options.clusters.get(step.cluster);
      if (!ops) return this.fail(run, step, `cluster ${step.cluster} is not configured`);
      const ref = refOf(step);
      if (step.state === 'pending') {
        step.startedAt ??= this.now();
        const live = await ops.reader.get(ref);
        if (!live) return this.fail(run, step, 'it does not exist');
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
            return this.fail(
              run,
              step,
              `it depends on ${step.kind} ${dep.name}, which is not Ready; run its phase first`,
            );
        }
        const suspended = fieldAt(live, 'spec.suspend') === true;
        if (step.kind === 'Kustomization' || suspended) {
          const requestedAt = new Date(this.now()).toISOString();
          const patch: Record<string, unknown> = {
            metadata: { annotations: { [REQUESTED_AT]: requestedAt } },
          };
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
            return this.fail(run, step, why);
          }
          step.requestedAt = requestedAt;
          step.resumed = suspended;
        }
        step.state = 'requested';
        return;
      }
      if (step.state === 'requested') {
        const live = await ops.reader.get(ref);
        const handled =
          step.requestedAt === undefined ||
          fieldAt(live, 'status.lastHandledReconcileAt') === step.requestedAt;
        const generation = fieldAt(live, 'metadata.generation');
        const observed = fieldAt(live, 'status.observedGeneration');
        const current = typeof generation !== 'number' || observed === generation;
        if (handled && current && conditionStatus(live, 'Ready') === 'True') {
          step.state = 'ready';
          step.doneAt = this.now();
          step.detail = `Ready after ${formatDuration(step.doneAt - (step.startedAt ?? step.doneAt))}`;
          data.current += 1;
          if (data.current >= data.steps.length) run.state = 'verifying';
          return;
        }
        if (conditionStatus(live, 'Stalled') === 'True')
          return this.fail(run, step, 'Flux reports it Stalled');
        if (this.now() - (step.startedAt ?? this.now()) > data.timeoutMs)
          return this.fail(run, step, `not Ready within ${formatDuration(data.timeoutMs)}`);
        return;
      }
    }
    if (run.state === 'verifying') {
      const def = this.definition(data.phase);
      data.checks = await runChecks(def?.checks ?? [], this.options.clusters, this.now());
      run.state = data.checks.every((c) => c.ok) ? 'succeeded' : 'checks-failed';
      run.finishedAt = this.now();
    }
  }

  private fail(run: Run, step: PhaseStep, why: string): void {
    step.state = 'failed';
    step.detail = why;
    step.doneAt = this.now();
    run.state = 'failed';
    run.finishedAt = this.now();
    (run.data as PhaseData).reason = `${label(step)}: ${why}`;
  }

  /** The run as one post: each step and check, who ran it and when. */
  render(run: Run): Message {
    const data = run.data as PhaseData;
    const icon: Record<StepState, string> = { pending: '○', requested: '◔', ready: '●', failed: '✖' };
    const lines = data.steps.map((s) => {
      const what =
        data.action === 'pause'
          ? 'suspend'
          : s.resumed
            ? 'resumed, reconcile requested'
            : s.requestedAt
              ? 'reconcile requested'
              : 'watched';
      return `${icon[s.state]} ${escapeChat(label(s))} — ${s.state === 'pending' ? 'waiting' : what}${s.detail ? `; ${escapeChat(s.detail)}` : ''}`;
    });
    const checks = (data.checks ?? []).map(
      (c) => `${c.ok ? '✔' : '✖'} ${escapeChat(c.name)} on ${c.cluster}: ${escapeChat(c.detail)}`,
    );
    const when = formatTimeSeconds(run.startedAt, this.options.timeZone ?? 'UTC');
    return {
      title: `Phase ${run.name}: ${data.action === 'pause' ? 'paused' : run.state}`,
      text: [
        `${data.action === 'pause' ? 'Paused' : 'Run'} by ${escapeChat(run.startedBy)} at ${when}.`,
        ...(data.reason ? [escapeChat(data.reason)] : []),
        ...(data.silenced ? ['The alerts a phase run is expected to cause are silenced until it ends.'] : []),
        ...lines,
        ...(checks.length ? ['Success checks:', ...checks] : []),
      ].join('\n'),
      severity:
        run.state === 'succeeded'
          ? 'ok'
          : TERMINAL.includes(run.state) && run.state !== 'paused'
            ? 'critical'
            : 'info',
    };
  }
}
