/**
 * Starting a phase: its Flux objects read from the live clusters and put in dependency order,
 * the checks of the phases it depends on (a phase runs only on top of phases that pass theirs),
 * then the stored run (or the stored refusal), its post and its silences. Its own file because
 * this is everything before the first pass, and the plan a dry run shows.
 */
import type { Message } from '../message.js';
import type { PostRef } from '../ports.js';
import type { RunLoop } from '../runs/run-loop.js';
import { type CheckResult, runChecks } from './checks.js';
import type { FluxObjectSpec, PhaseDefinition } from './definitions.js';
import { dependsOn, label, refOf } from './flux-objects.js';
import { renderRun } from './render.js';
import type { PhaseData, PhaseStartResult, PhaseStep } from './run-data.js';
import { newRun, type PhaseRuntime } from './runtime.js';
import { openSilences } from './silences.js';

export interface PhaseStartRequest {
  phase: string;
  actor: string;
  dryRun?: boolean;
  open(message: Message): Promise<PostRef | undefined>;
}

/** Steps in dependency order: the yaml's order, moved so each comes after what it dependsOn. */
export async function orderedSteps(rt: PhaseRuntime, def: PhaseDefinition): Promise<PhaseStep[]> {
  const specs: (FluxObjectSpec & { cluster: string; deps: string[] })[] = [];
  for (const spec of def.flux)
    for (const cluster of spec.clusters) {
      const ops = rt.options.clusters.get(cluster);
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
export async function dependencyChecks(rt: PhaseRuntime, def: PhaseDefinition): Promise<CheckResult[]> {
  const { phases, clusters } = rt.options;
  const checks = def.dependsOn.flatMap((dep) => phases.phases.find((p) => p.name === dep)?.checks ?? []);
  return runChecks(checks, clusters, rt.now());
}

/** What a run would do, step by step, as a dry run shows it. */
function planLines(def: PhaseDefinition, steps: PhaseStep[]): string[] {
  return [
    ...steps.map(
      (s, i) =>
        `${i + 1}. ${label(s)}: ${s.kind === 'Kustomization' ? 'resume if suspended, request a reconcile, wait for Ready' : 'wait for Ready (resume it if suspended)'}`,
    ),
    `then ${def.checks.length} success checks: ${def.checks.map((c) => c.name).join('; ') || 'none'}`,
  ];
}

export async function startPhase(
  rt: PhaseRuntime,
  runs: Pick<RunLoop, 'leads' | 'drive'>,
  request: PhaseStartRequest,
): Promise<PhaseStartResult> {
  const { store, phases } = rt.options;
  const def = phases.phases.find((p) => p.name === request.phase);
  if (!def)
    return {
      ok: false,
      reason: `There is no phase ${request.phase}; the phases are ${phases.phases.map((p) => p.name).join(', ')}.`,
    };
  const active = (await store.listRuns({ kind: 'phase', unfinished: true })).find((r) => r.name === def.name);
  if (active)
    return {
      ok: false,
      reason: `Phase ${def.name} is already running (started by ${active.startedBy}); see \`phase status ${def.name}\`.`,
    };
  const depChecks = await dependencyChecks(rt, def);
  const failing = depChecks.filter((c) => !c.ok);
  let steps: PhaseStep[];
  try {
    steps = await orderedSteps(rt, def);
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  const plan = planLines(def, steps);
  const now = rt.now();
  const data: PhaseData = {
    phase: def.name,
    action: 'run',
    steps,
    current: 0,
    dependencyChecks: depChecks,
    timeoutMs: def.timeout ?? phases.timeout,
  };
  if (failing.length) {
    const reason = `Refused: phase ${def.name} depends on ${def.dependsOn.join(', ')}, whose checks fail: ${failing
      .map((c) => `${c.name} on ${c.cluster} (${c.detail})`)
      .join('; ')}. Run or fix those first.`;
    if (request.dryRun) return { ok: false, reason };
    data.reason = reason;
    const run = newRun(def.name, request.actor, now, data, 'refused');
    run.finishedAt = now;
    await store.saveRun(run);
    return { ok: false, reason, run };
  }
  if (request.dryRun) return { ok: true, plan };
  const leads = runs.leads();
  if (!leads) data.awaitingLeader = true;
  const run = newRun(def.name, request.actor, now, data, steps.length ? 'reconciling' : 'verifying');
  await store.saveRun(run);
  const post = await request.open(renderRun(run, rt.options.timeZone));
  if (post) {
    data.post = post;
    await store.saveRun(run);
  }
  await openSilences(rt, run, def);
  // Another replica leads: the run is stored and its next sweep (resume) starts it.
  if (leads) runs.drive(run.id);
  return { ok: true, run, plan };
}
