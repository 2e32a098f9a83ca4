/**
 * The drill engine: a small reconciler over stored runs. `start` checks the guard rails and
 * stores a run; a loop advances it one stage per tick (each stage idempotent), posting every
 * step as a thread reply under the run's post. The time limit and `abort` turn a run into a
 * rollback; a run found unfinished when the bot starts (it was interrupted by a restart) is
 * rolled back too. The final report — measured recovery against the objective — is stored
 * with the run and posted. With leader election only the leader drives runs: a replica that is
 * not the leader checks the guard rails and stores the run, and the leader's `resume` starts it.
 */

import { randomUUID } from 'node:crypto';
import type { RunSilencer } from '../alerts/run-silences.js';
import { formatDuration } from '../duration.js';
import type { ClusterDirectory, ClusterOps } from '../kube/cluster-ops.js';
import type { Logger } from '../log.js';
import type { Message } from '../message.js';
import type { Destination, PostRef } from '../ports.js';
import { type RunChat, RunLoop } from '../runs/run-loop.js';
import type { Run, Store } from '../store/store.js';
import { escapeChat } from '../text/escape.js';
import { type DrillDefinition, type DrillKind, expectedAlertMatchers } from './definitions.js';
import {
  DRILL_ARGS,
  type DrillKindHandler,
  type DrillParams,
  type KindState,
  type Recovery,
  type StepContext,
} from './kind.js';
import { appFailover } from './kinds/app-failover.js';
import { backupRestore } from './kinds/backup-restore.js';
import { clustermeshResilience } from './kinds/clustermesh-resilience.js';
import { cnpgFailover } from './kinds/cnpg-failover.js';
import { meshGateway } from './kinds/mesh-gateway.js';
import { nodeDrain } from './kinds/node-drain.js';
import { podKill } from './kinds/pod-kill.js';
import { volsyncRestore } from './kinds/volsync-restore.js';

/** The code behind each kind of drill. */
export const DRILL_HANDLERS: Record<DrillKind, DrillKindHandler> = {
  'pod-kill': podKill,
  'node-drain': nodeDrain,
  'cnpg-failover': cnpgFailover,
  'mesh-gateway': meshGateway,
  'backup-restore': backupRestore,
  'volsync-restore': volsyncRestore,
  'clustermesh-resilience': clustermeshResilience,
  'app-failover': appFailover,
};

/** Firing critical alerts for a cluster (Alertmanager); names of the alerts. */
export interface CriticalAlerts {
  firingCritical(cluster: string): Promise<string[]>;
}

export type DrillState = 'running' | 'rolling-back' | 'passed' | 'failed' | 'aborted' | 'rolled-back';

export interface DrillData extends Record<string, unknown> {
  drill: string;
  kind: DrillKind;
  params: DrillParams;
  objectiveMs: number;
  timeLimitMs: number;
  post?: PostRef;
  kindState: KindState;
  recovery?: Recovery;
  steps: { at: number; text: string }[];
  /** Why the run is rolling back; set when it starts to. */
  rollbackReason?: string;
  abortRequestedBy?: string;
  override?: { by: string; reason: string };
  /** What the drill observed besides the recovery time, for the report (chat text, escaped by the kind). */
  findings?: string[];
  /** The kind reported a failure (not the time limit): the rollback ends as `failed`. */
  failed?: boolean;
  /**
   * Stored by a replica that is not the leader: only the leader drives drills, and its next
   * `resume` sweep starts this one (see DrillEngineOptions.isLeader).
   */
  awaitingLeader?: boolean;
  report?: string;
  errors?: number;
  /** Silences were opened for the alerts the drill expects; they are expired when it ends. */
  silenced?: boolean;
}

export interface DrillEngineOptions {
  /** Why the cluster is in a maintenance window now (src/alerts/maintenance.ts), if it is. */
  maintenance?: (cluster: string) => Promise<string | undefined>;
  store: Store;
  clusters: ClusterDirectory;
  chat: RunChat;
  drills: DrillDefinition[];
  log: Logger;
  alerts?: CriticalAlerts;
  /** Silences the alerts each drill expects (its definition's expectedAlerts) while it runs. */
  silences?: RunSilencer;
  now?: () => number;
  /** Pause between reconcile passes. */
  tickMs?: number;
  /** Consecutive errors before a run gives up and rolls back. */
  maxErrors?: number;
  /**
   * A run nobody has advanced for this long is orphaned (its process died) and is taken over by
   * `resume`; a run another replica is driving stays fresh and is left alone. Default: 30s or
   * five ticks, whichever is longer.
   */
  staleAfterMs?: number;
  /**
   * Whether this replica leads (leader election). Only the leader drives drills and takes over
   * orphaned runs; a start on another replica checks the guard rails, stores the run and leaves
   * it to the leader, whose `resume` sweep picks it up. Unset: this replica leads.
   */
  isLeader?: () => boolean;
}

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

export type StartResult = { ok: true; run?: Run; plan: string[] } | { ok: false; reason: string };

const TERMINAL: readonly string[] = ['passed', 'failed', 'aborted', 'rolled-back'];

function threadOf(ref: PostRef): Destination {
  return { channelId: ref.channelId, threadId: ref.threadId ?? ref.postId };
}

export class DrillEngine {
  private readonly now: () => number;
  private readonly maxErrors: number;
  private readonly runs: RunLoop;
  /** Serialises guard checks and run creation, so two starts cannot both pass "one per cluster". */
  private startLock: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: DrillEngineOptions) {
    this.now = options.now ?? Date.now;
    this.maxErrors = options.maxErrors ?? 5;
    this.runs = new RunLoop({
      store: options.store,
      kind: 'drill',
      now: this.now,
      tickMs: options.tickMs ?? 2000,
      ...(options.staleAfterMs !== undefined ? { staleAfterMs: options.staleAfterMs } : {}),
      ...(options.isLeader ? { isLeader: options.isLeader } : {}),
      pass: async (run) => {
        await this.reconcile(run);
        return run.finishedAt !== undefined;
      },
      passFailed: (run, error) =>
        this.options.log.error(
          { err: error, run: run.id, drill: run.name, cluster: run.cluster },
          'drill pass failed',
        ),
      // Interrupted mid-way: rolled back (e.g. the drained node is uncordoned), never continued.
      adopt: async (run) => {
        if (run.state !== 'running') return;
        const data = run.data as DrillData;
        run.state = 'rolling-back';
        data.rollbackReason = 'coxswain restarted while the drill was running';
        data.steps.push({ at: this.now(), text: 'coxswain restarted mid-drill; rolling back.' });
        run.updatedAt = this.now();
        await this.options.store.saveRun(run);
        await this.say(run, { text: 'coxswain restarted mid-drill; rolling back.', severity: 'warning' });
        await this.refindSilences(run);
      },
    });
  }

  definitions(): DrillDefinition[] {
    return this.options.drills;
  }

  definition(name: string): DrillDefinition | undefined {
    return this.options.drills.find((d) => d.name === name);
  }

  /** Fills defaults and checks the arguments; a sentence when something is missing. */
  resolve(
    request: Omit<StartRequest, 'open' | 'actor' | 'isAdmin'>,
  ): { def: DrillDefinition; handler: DrillKindHandler; params: DrillParams } | string {
    const def = this.definition(request.drill);
    if (!def)
      return `There is no drill ${request.drill}; the drills are ${this.options.drills.map((d) => d.name).join(', ')}.`;
    const handler = DRILL_HANDLERS[def.kind];
    const cluster = request.cluster ?? def.defaults.cluster;
    if (!cluster) return `Say which cluster with --cluster (${this.options.clusters.names().join(', ')}).`;
    if (!this.options.clusters.get(cluster))
      return `There is no cluster ${cluster} in the config; the clusters are ${this.options.clusters.names().join(', ') || 'none'}.`;
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
  async plan(
    request: Omit<StartRequest, 'open' | 'actor' | 'isAdmin'>,
  ): Promise<{ lines: string[]; problems: string[] } | string> {
    const resolved = this.resolve(request);
    if (typeof resolved === 'string') return resolved;
    const ops = this.options.clusters.get(resolved.params.cluster);
    if (!ops) return `There is no cluster ${resolved.params.cluster}.`;
    const inspection = await resolved.handler.inspect(
      resolved.params,
      ops,
      resolved.def,
      this.peers(resolved.params.cluster),
    );
    return {
      lines: [
        ...inspection.lines,
        `time limit ${formatDuration(resolved.def.timeLimit)}, then roll back: ${resolved.def.rollback}`,
      ],
      problems: [...(await this.guardProblems(resolved.params.cluster)), ...inspection.problems],
    };
  }

  private peers(cluster: string): ClusterOps[] {
    return this.options.clusters
      .names()
      .filter((name) => name !== cluster)
      .map((name) => this.options.clusters.get(name))
      .filter((ops): ops is ClusterOps => ops !== undefined);
  }

  private async guardProblems(cluster: string): Promise<string[]> {
    const problems: string[] = [];
    const active = (await this.options.store.listRuns({ kind: 'drill', unfinished: true })).filter(
      (r) => r.cluster === cluster,
    );
    if (active[0])
      problems.push(
        `Drill ${active[0].name} (run ${active[0].id.slice(0, 8)}, started by ${active[0].startedBy}) is still running on ${cluster}; one drill per cluster at a time. Wait for it or \`drill abort --cluster ${cluster}\`.`,
      );
    return problems;
  }

  /** Incidents and critical alerts: refused unless an admin overrides with a reason. */
  private async overridable(cluster: string): Promise<string[]> {
    const blockers: string[] = [];
    const incidents = (await this.options.store.listIncidents({ state: 'open' })).filter(
      (i) => i.cluster === undefined || i.cluster === cluster,
    );
    for (const incident of incidents)
      blockers.push(
        `incident #${incident.id} "${escapeChat(incident.title)}" is open${incident.cluster ? ` on ${cluster}` : ''}`,
      );
    if (this.options.alerts) {
      const firing = await this.options.alerts.firingCritical(cluster);
      for (const name of firing) blockers.push(`critical alert ${escapeChat(name)} is firing for ${cluster}`);
    }
    return blockers;
  }

  async start(request: StartRequest): Promise<StartResult> {
    const previous = this.startLock;
    let release!: () => void;
    this.startLock = new Promise<void>((r) => {
      release = r;
    });
    await previous;
    try {
      return await this.startLocked(request);
    } finally {
      release();
    }
  }

  private async startLocked(request: StartRequest): Promise<StartResult> {
    const resolved = this.resolve(request);
    if (typeof resolved === 'string') return { ok: false, reason: resolved };
    const { def, handler, params } = resolved;
    const ops = this.options.clusters.get(params.cluster);
    if (!ops) return { ok: false, reason: `There is no cluster ${params.cluster}.` };
    const guard = await this.guardProblems(params.cluster);
    if (guard[0]) return { ok: false, reason: guard[0] };
    // A maintenance window is not overridable: its silences would hide what the drill breaks.
    const window = await this.options.maintenance?.(params.cluster);
    if (window) return { ok: false, reason: `Refused: ${window}. Run it after the window, or end it first.` };
    const blockers = await this.overridable(params.cluster);
    const reason = request.override?.trim();
    if (blockers.length && !reason)
      return {
        ok: false,
        reason: `Refused: ${blockers.join('; ')}. An admin may run it anyway with --override "<reason>".`,
      };
    if (blockers.length && !request.isAdmin)
      return { ok: false, reason: `Refused: ${blockers.join('; ')}. Only an admin may override.` };
    const inspection = await handler.inspect(params, ops, def, this.peers(params.cluster));
    if (inspection.problems.length) return { ok: false, reason: inspection.problems.join(' ') };
    if (request.dryRun) return { ok: true, plan: inspection.lines };

    const now = this.now();
    const data: DrillData = {
      drill: def.name,
      kind: def.kind,
      params,
      objectiveMs: def.objective,
      timeLimitMs: def.timeLimit,
      kindState: {},
      steps: [],
    };
    const leads = this.runs.leads();
    if (!leads) {
      data.awaitingLeader = true;
      data.steps.push({
        at: now,
        text: 'This replica is not the leader: the run is stored and the leader replica starts it within seconds.',
      });
    }
    if (blockers.length && reason) {
      data.override = { by: request.actor, reason };
      data.steps.push({
        at: now,
        text: `Guard rails overridden by ${request.actor}: ${reason} (${blockers.join('; ')}).`,
      });
    }
    const run: Run = {
      id: randomUUID(),
      kind: 'drill',
      name: def.name,
      cluster: params.cluster,
      state: 'running',
      startedBy: request.actor,
      startedAt: now,
      updatedAt: now,
      data,
    };
    await this.options.store.saveRun(run);
    const post = await request.open(this.summary(run));
    if (post) {
      data.post = post;
      await this.options.store.saveRun(run);
      for (const step of data.steps) await this.say(run, { text: step.text });
    }
    await this.openSilences(run, def);
    if (leads) this.runs.drive(run.id);
    return { ok: true, run, plan: inspection.lines };
  }

  /** Asks the running drill on a cluster to roll back; the loop does it on its next pass. */
  async abort(cluster: string | undefined, actor: string): Promise<Run | string> {
    const active = (await this.options.store.listRuns({ kind: 'drill', unfinished: true })).filter(
      (r) => cluster === undefined || r.cluster === cluster,
    );
    if (active.length === 0) return cluster ? `No drill is running on ${cluster}.` : 'No drill is running.';
    if (active.length > 1 && cluster === undefined)
      return `Drills are running on ${active.map((r) => r.cluster).join(' and ')}; say which with --cluster.`;
    const run = active[0] as Run;
    const data = run.data as DrillData;
    if (!data.abortRequestedBy) {
      data.abortRequestedBy = actor;
      run.updatedAt = this.now();
      await this.options.store.saveRun(run);
    }
    // The loop driving it (here or on another replica) rolls it back on its next pass; an
    // orphaned run is rolled back by the next resume() sweep.
    this.runs.wakeAll();
    return run;
  }

  async recent(limit = 10): Promise<Run[]> {
    const runs = await this.options.store.listRuns({ kind: 'drill' });
    return runs.sort((a, b) => b.startedAt - a.startedAt).slice(0, limit);
  }

  /**
   * Picks up runs left unfinished by a process that died: they were interrupted mid-way, so
   * they are rolled back (e.g. the drained node is uncordoned), never continued. Called at start
   * and periodically, so a run orphaned by another replica is found too.
   */
  resume(): Promise<number> {
    return this.runs.resume();
  }

  /** Stops the loops after their current pass; runs stay stored as they are. */
  stop(): Promise<void> {
    return this.runs.stop();
  }

  /** Resolves when the run's loop has finished (tests and the scheduler wait on it). */
  settled(id: string): Promise<Run | undefined> {
    return this.runs.settled(id);
  }

  /** One pass over one run: advance, or roll back, then store and report. */
  private async reconcile(run: Run): Promise<void> {
    const data = run.data as DrillData;
    const def = this.definition(data.drill);
    const handler = DRILL_HANDLERS[data.kind];
    const ops = this.options.clusters.get(data.params.cluster);
    const fresh: Message[] = [];
    if (!def || !handler || !ops) {
      this.finish(
        run,
        'failed',
        `cannot continue: drill ${data.drill} or cluster ${data.params.cluster} is no longer configured`,
      );
      await this.persist(run, fresh);
      return;
    }
    const ctx: StepContext = {
      definition: def,
      params: data.params,
      ops,
      peers: this.peers(data.params.cluster),
      writer: ops.writer(run.startedBy),
      state: data.kindState,
      now: this.now,
      note: (text) => {
        data.steps.push({ at: this.now(), text });
        fresh.push({ text });
      },
      finding: (text) => {
        data.steps.push({ at: this.now(), text });
        fresh.push({ text });
        data.findings = [...(data.findings ?? []), text];
      },
      disrupted: () => {
        data.recovery ??= { startedAt: this.now() };
      },
      recovered: () => {
        const recovery = data.recovery ?? { startedAt: run.startedAt };
        recovery.recoveredAt = this.now();
        recovery.ms = recovery.recoveredAt - recovery.startedAt;
        data.recovery = recovery;
      },
      fail: (reason) => {
        if (run.state !== 'running') return;
        data.failed = true;
        this.beginRollback(run, reason, fresh);
      },
    };

    if (run.state === 'running') {
      if (data.abortRequestedBy) this.beginRollback(run, `aborted by ${data.abortRequestedBy}`, fresh);
      else if (this.now() - run.startedAt > data.timeLimitMs)
        this.beginRollback(
          run,
          `the time limit of ${formatDuration(data.timeLimitMs)} passed before recovery`,
          fresh,
        );
    }
    try {
      if (run.state === 'running') {
        await handler.step(ctx);
        data.errors = 0;
        if (run.state === 'running' && data.kindState.stage === 'done') {
          const ms = data.recovery?.ms ?? 0;
          this.finish(run, ms <= data.objectiveMs ? 'passed' : 'failed');
        }
      } else if (run.state === 'rolling-back') {
        if (await handler.rollback(ctx)) {
          const reason = data.rollbackReason ?? '';
          this.finish(
            run,
            data.abortRequestedBy
              ? 'aborted'
              : data.failed || reason.startsWith('the time limit')
                ? 'failed'
                : 'rolled-back',
          );
        }
        data.errors = 0;
      }
    } catch (error) {
      data.errors = (data.errors ?? 0) + 1;
      const message = error instanceof Error ? error.message : String(error);
      this.options.log.warn(
        { err: error, run: run.id, drill: run.name, cluster: run.cluster },
        'drill step failed',
      );
      if (data.errors >= this.maxErrors) {
        if (run.state === 'running')
          this.beginRollback(run, `a step failed ${data.errors} times: ${message}`, fresh);
        else {
          ctx.note(
            `Rollback failed ${data.errors} times (${message}); fix it by hand, then mark the drill done with \`drill abort\`.`,
          );
          data.errors = 0;
        }
      } else if (data.errors === 1) ctx.note(`A step failed, retrying: ${message}`);
    }
    await this.persist(run, fresh);
  }

  private beginRollback(run: Run, reason: string, fresh: Message[]): void {
    const data = run.data as DrillData;
    run.state = 'rolling-back';
    data.rollbackReason = reason;
    // Reasons carry outside text (a chat username, an API server's error message): escaped here.
    const text = `Rolling back: ${escapeChat(reason)}.`;
    data.steps.push({ at: this.now(), text });
    fresh.push({ text, severity: 'warning' });
  }

  private finish(run: Run, state: DrillState, reason?: string): void {
    const data = run.data as DrillData;
    run.state = state;
    run.finishedAt = this.now();
    if (reason) data.rollbackReason = reason;
    data.report = this.reportText(run);
  }

  /** Silences the alerts the drill expects, until its time limit (and the rollback after it). */
  private async openSilences(run: Run, def: DrillDefinition): Promise<void> {
    const data = run.data as DrillData;
    const expected = expectedAlertMatchers(def, data.params);
    if (!this.options.silences || expected.length === 0) return;
    const result = await this.options.silences
      .open({
        runId: run.id,
        what: `drill ${def.name} on ${data.params.cluster}`,
        cluster: data.params.cluster,
        by: run.startedBy,
        startsAt: run.startedAt,
        // Past the time limit by the rollback's share: expired earlier when the drill ends.
        endsAt: run.startedAt + 2 * def.timeLimit,
        expected,
      })
      .catch((error: unknown) => ({
        created: 0,
        failed: [error instanceof Error ? error.message : String(error)],
      }));
    data.silenced = result.created > 0;
    const text = [
      ...(result.created
        ? [
            `Silenced the alerts this drill is expected to cause (${result.created} silences, run id in the comment) until it ends.`,
          ]
        : []),
      ...(result.failed.length
        ? [`Could not silence the expected alerts: ${escapeChat(result.failed.join('; '))}.`]
        : []),
    ].join(' ');
    data.steps.push({ at: this.now(), text });
    run.updatedAt = this.now();
    await this.options.store.saveRun(run);
    await this.say(run, { text });
  }

  /** After a restart: the run's silences live in Alertmanager, found by the run id. */
  private async refindSilences(run: Run): Promise<void> {
    const data = run.data as DrillData;
    if (!data.silenced || !this.options.silences) return;
    const found = await this.options.silences.find(run.id).catch(() => undefined);
    const text =
      found === undefined
        ? "Could not read the drill's silences from Alertmanager; they end by themselves."
        : found.length
          ? `Found the drill's ${found.length} silences again; they are expired when the rollback ends.`
          : "The drill's silences are already gone.";
    data.steps.push({ at: this.now(), text });
    await this.options.store.saveRun(run);
    await this.say(run, { text });
  }

  /** Expires the run's silences; the line to report, if any. */
  private async closeSilences(run: Run): Promise<string | undefined> {
    const data = run.data as DrillData;
    if (!data.silenced || !this.options.silences) return undefined;
    try {
      const closed = await this.options.silences.close(run.id);
      data.silenced = false;
      return `Expired the drill's ${closed} silences.`;
    } catch (error) {
      this.options.log.warn({ err: error, run: run.id }, 'expiring the drill silences failed');
      return "Could not expire the drill's silences in Alertmanager; they end by themselves at twice the time limit.";
    }
  }

  private async persist(run: Run, fresh: Message[]): Promise<void> {
    const data = run.data as DrillData;
    // Before the finished run is stored: a crash in between resumes the run, which expires them then.
    const closed = run.finishedAt === undefined ? undefined : await this.closeSilences(run);
    if (closed) {
      data.steps.push({ at: this.now(), text: closed });
      fresh.push({ text: closed });
    }
    run.updatedAt = this.now();
    await this.options.store.saveRun(run);
    for (const message of fresh) await this.say(run, message);
    if (run.finishedAt !== undefined) {
      await this.say(run, this.report(run));
      if (data.post)
        await this.options.chat
          .update(data.post, this.summary(run))
          .catch((error: unknown) =>
            this.options.log.warn({ err: error, run: run.id }, 'updating the drill post failed'),
          );
    }
  }

  private async say(run: Run, message: Message): Promise<void> {
    const post = (run.data as DrillData).post;
    if (!post) return;
    await this.options.chat
      .post(threadOf(post), message)
      .catch((error: unknown) =>
        this.options.log.warn({ err: error, run: run.id }, 'posting a drill step failed'),
      );
  }

  private reportText(run: Run): string {
    const data = run.data as DrillData;
    const measured = data.recovery?.ms;
    const against = `objective ${formatDuration(data.objectiveMs)}`;
    const recovery =
      measured === undefined
        ? `no recovery measured (${against})`
        : `recovered in ${formatDuration(measured)} (${against})`;
    const why = data.rollbackReason ? `; ${escapeChat(data.rollbackReason)}` : '';
    return `${run.state.toUpperCase()}: ${recovery}${why}`;
  }

  /** The final report, posted in the thread and stored with the run. */
  report(run: Run): Message {
    const data = run.data as DrillData;
    const measured = data.recovery?.ms;
    const fields = [
      { title: 'Result', value: run.state, short: true },
      {
        title: 'Measured recovery',
        value: measured === undefined ? 'not measured' : formatDuration(measured),
        short: true,
      },
      { title: 'Objective', value: formatDuration(data.objectiveMs), short: true },
      { title: 'Started by', value: escapeChat(run.startedBy), short: true },
    ];
    if (data.override)
      fields.push({
        title: 'Override',
        value: `${escapeChat(data.override.by)}: ${escapeChat(data.override.reason)}`,
        short: false,
      });
    if (data.findings?.length)
      fields.push({ title: 'Observed', value: data.findings.map((f) => `- ${f}`).join('\n'), short: false });
    if (data.rollbackReason)
      fields.push({ title: 'Rolled back because', value: escapeChat(data.rollbackReason), short: false });
    return {
      title: `Drill ${run.name} on ${run.cluster}: ${run.state}`,
      text: data.report ?? this.reportText(run),
      severity: run.state === 'passed' ? 'ok' : run.state === 'failed' ? 'critical' : 'warning',
      fields,
    };
  }

  /** The run's root post, updated as it changes state. */
  summary(run: Run): Message {
    const data = run.data as DrillData;
    const target = [data.params.namespace, data.params.workload ?? data.params.node]
      .filter(Boolean)
      .join('/');
    const state = run.finishedAt === undefined ? run.state : (data.report ?? run.state);
    return {
      title: `Drill ${run.name} on ${run.cluster}${target ? ` (${escapeChat(target)})` : ''}`,
      text: `${state}. Started by ${escapeChat(run.startedBy)}; steps follow in the thread.`,
      severity: run.state === 'passed' ? 'ok' : TERMINAL.includes(run.state) ? 'warning' : 'info',
    };
  }
}
