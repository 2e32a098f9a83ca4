/**
 * Starting a drill: its arguments filled from the definition's defaults and checked, the guard
 * rails (one drill per cluster, no maintenance window, no open incident or firing critical alert
 * unless an admin overrides), the kind's own inspection of the live cluster, then the stored run,
 * its root post and its silences. Its own file because this is everything that happens before
 * the first pass, and the one place that decides whether a drill may touch a cluster at all.
 */
import { randomUUID } from 'node:crypto';
import { formatDuration } from '../duration.js';
import type { Message } from '../message.js';
import type { PostRef } from '../ports.js';
import type { RunLoop } from '../runs/run-loop.js';
import type { Run } from '../store/store.js';
import { escapeChat } from '../text/escape.js';
import type { DrillDefinition } from './definitions.js';
import { DRILL_HANDLERS } from './handlers.js';
import { DRILL_ARGS, type DrillKindHandler, type DrillParams } from './kind.js';
import { summaryMessage } from './report.js';
import type { DrillData } from './run-data.js';
import { type DrillRuntime, peers, say } from './runtime.js';
import { openSilences } from './silences.js';

export interface StartRequest {
  drill: string;
  cluster?: string;
  namespace?: string;
  workload?: string;
  node?: string;
  backup?: string;
  source?: string;
  actor: string;
  isAdmin: boolean;
  override?: string;
  dryRun?: boolean;
  /** Posts the run's root message (in channel) once the guards pass. */
  open(message: Message): Promise<PostRef | undefined>;
}

/** A start request without the parts only a real start needs. */
export type DrillTarget = Omit<StartRequest, 'open' | 'actor' | 'isAdmin'>;

export type StartResult = { ok: true; run?: Run; plan: string[] } | { ok: false; reason: string };

export interface ResolvedDrill {
  def: DrillDefinition;
  handler: DrillKindHandler;
  params: DrillParams;
}

/** Fills defaults and checks the arguments; a sentence when something is missing. */
export function resolveDrill(rt: DrillRuntime, request: DrillTarget): ResolvedDrill | string {
  const { drills, clusters } = rt.options;
  const def = drills.find((d) => d.name === request.drill);
  if (!def)
    return `There is no drill ${request.drill}; the drills are ${drills.map((d) => d.name).join(', ')}.`;
  const handler = DRILL_HANDLERS[def.kind];
  const cluster = request.cluster ?? def.defaults.cluster;
  if (!cluster) return `Say which cluster with --cluster (${clusters.names().join(', ')}).`;
  if (!clusters.get(cluster))
    return `There is no cluster ${cluster} in the config; the clusters are ${clusters.names().join(', ') || 'none'}.`;
  const params: DrillParams = { cluster };
  for (const key of DRILL_ARGS) {
    const value = request[key] ?? def.defaults[key];
    if (value !== undefined) params[key] = value;
  }
  const missing = handler.required.filter((k) => params[k] === undefined);
  if (missing.length) return `The ${def.name} drill needs ${missing.map((k) => `--${k}`).join(' and ')}.`;
  return { def, handler, params };
}

/** What a run would do, read from the live cluster; changes nothing. */
export async function planDrill(
  rt: DrillRuntime,
  request: DrillTarget,
): Promise<{ lines: string[]; problems: string[] } | string> {
  const resolved = resolveDrill(rt, request);
  if (typeof resolved === 'string') return resolved;
  const ops = rt.options.clusters.get(resolved.params.cluster);
  if (!ops) return `There is no cluster ${resolved.params.cluster}.`;
  const inspection = await resolved.handler.inspect(
    resolved.params,
    ops,
    resolved.def,
    peers(rt, resolved.params.cluster),
  );
  return {
    lines: [
      ...inspection.lines,
      `time limit ${formatDuration(resolved.def.timeLimit)}, then roll back: ${resolved.def.rollback}`,
    ],
    problems: [...(await guardProblems(rt, resolved.params.cluster)), ...inspection.problems],
  };
}

/** One drill per cluster at a time: not overridable. */
async function guardProblems(rt: DrillRuntime, cluster: string): Promise<string[]> {
  const problems: string[] = [];
  const active = (await rt.options.store.listRuns({ kind: 'drill', unfinished: true })).filter(
    (r) => r.cluster === cluster,
  );
  if (active[0])
    problems.push(
      `Drill ${active[0].name} (run ${active[0].id.slice(0, 8)}, started by ${active[0].startedBy}) is still running on ${cluster}; one drill per cluster at a time. Wait for it or \`drill abort --cluster ${cluster}\`.`,
    );
  return problems;
}

/** Incidents and critical alerts: refused unless an admin overrides with a reason. */
async function overridable(rt: DrillRuntime, cluster: string): Promise<string[]> {
  const blockers: string[] = [];
  const incidents = (await rt.options.store.listIncidents({ state: 'open' })).filter(
    (i) => i.cluster === undefined || i.cluster === cluster,
  );
  for (const incident of incidents)
    blockers.push(
      `incident #${incident.id} "${escapeChat(incident.title)}" is open${incident.cluster ? ` on ${cluster}` : ''}`,
    );
  if (rt.options.alerts) {
    const firing = await rt.options.alerts.firingCritical(cluster);
    for (const name of firing) blockers.push(`critical alert ${escapeChat(name)} is firing for ${cluster}`);
  }
  return blockers;
}

/**
 * Checks the guard rails and, when they pass, stores the run, posts it and opens its silences.
 * The caller serialises calls, so two starts cannot both pass "one per cluster".
 */
export async function startDrill(
  rt: DrillRuntime,
  runs: Pick<RunLoop, 'leads' | 'drive'>,
  request: StartRequest,
): Promise<StartResult> {
  const resolved = resolveDrill(rt, request);
  if (typeof resolved === 'string') return { ok: false, reason: resolved };
  const { def, handler, params } = resolved;
  const ops = rt.options.clusters.get(params.cluster);
  if (!ops) return { ok: false, reason: `There is no cluster ${params.cluster}.` };
  const guard = await guardProblems(rt, params.cluster);
  if (guard[0]) return { ok: false, reason: guard[0] };
  // A maintenance window is not overridable: its silences would hide what the drill breaks.
  const window = await rt.options.maintenance?.(params.cluster);
  if (window) return { ok: false, reason: `Refused: ${window}. Run it after the window, or end it first.` };
  const blockers = await overridable(rt, params.cluster);
  const reason = request.override?.trim();
  if (blockers.length && !reason)
    return {
      ok: false,
      reason: `Refused: ${blockers.join('; ')}. An admin may run it anyway with --override "<reason>".`,
    };
  if (blockers.length && !request.isAdmin)
    return { ok: false, reason: `Refused: ${blockers.join('; ')}. Only an admin may override.` };
  const inspection = await handler.inspect(params, ops, def, peers(rt, params.cluster));
  if (inspection.problems.length) return { ok: false, reason: inspection.problems.join(' ') };
  if (request.dryRun) return { ok: true, plan: inspection.lines };

  const leads = runs.leads();
  const run = newRun(
    rt,
    def,
    params,
    request.actor,
    leads,
    blockers.length && reason ? { reason, blockers } : undefined,
  );
  const data = run.data as DrillData;
  await rt.options.store.saveRun(run);
  const post = await request.open(summaryMessage(run));
  if (post) {
    data.post = post;
    await rt.options.store.saveRun(run);
    for (const step of data.steps) await say(rt, run, { text: step.text });
  }
  await openSilences(rt, run, def);
  if (leads) runs.drive(run.id);
  return { ok: true, run, plan: inspection.lines };
}

/** The run as first stored, with the first steps that say why it waits or who overrode what. */
function newRun(
  rt: DrillRuntime,
  def: DrillDefinition,
  params: DrillParams,
  actor: string,
  leads: boolean,
  override: { reason: string; blockers: string[] } | undefined,
): Run {
  const now = rt.now();
  const data: DrillData = {
    drill: def.name,
    kind: def.kind,
    params,
    objectiveMs: def.objective,
    timeLimitMs: def.timeLimit,
    kindState: {},
    steps: [],
  };
  if (!leads) {
    data.awaitingLeader = true;
    data.steps.push({
      at: now,
      text: 'This replica is not the leader: the run is stored and the leader replica starts it within seconds.',
    });
  }
  if (override) {
    data.override = { by: actor, reason: override.reason };
    data.steps.push({
      at: now,
      text: `Guard rails overridden by ${actor}: ${override.reason} (${override.blockers.join('; ')}).`,
    });
  }
  return {
    id: randomUUID(),
    kind: 'drill',
    name: def.name,
    cluster: params.cluster,
    state: 'running',
    startedBy: actor,
    startedAt: now,
    updatedAt: now,
    data,
  };
}
