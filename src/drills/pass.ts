/**
 * One pass over a running drill: advance the kind by one stage, or roll back (after an abort, the
 * time limit, a failure the kind reports, or too many errors in a row), then store the run and
 * post what happened in its thread; the last pass expires the silences and posts the report.
 * Also here: what becomes of a run found orphaned after a restart (it is rolled back, never
 * continued). Its own file because this is the reconciler's body, the part a new kind of drill
 * is driven by; the loop around it is src/runs/run-loop.ts.
 */
import { formatDuration } from '../duration.js';
import type { ClusterOps } from '../kube/cluster-ops.js';
import type { Message } from '../message.js';
import type { Run } from '../store/store.js';
import { escapeChat } from '../text/escape.js';
import type { DrillDefinition } from './definitions.js';
import { DRILL_HANDLERS } from './handlers.js';
import type { StepContext } from './kind.js';
import { reportMessage, reportText, summaryMessage } from './report.js';
import type { DrillData, DrillState } from './run-data.js';
import { type DrillRuntime, peers, say } from './runtime.js';
import { closeSilences, refindSilences } from './silences.js';

/** One pass over one run: advance, or roll back, then store and report. */
export async function reconcileDrill(rt: DrillRuntime, run: Run, maxErrors: number): Promise<void> {
  const data = run.data as DrillData;
  const def = rt.options.drills.find((d) => d.name === data.drill);
  const handler = DRILL_HANDLERS[data.kind];
  const ops = rt.options.clusters.get(data.params.cluster);
  const fresh: Message[] = [];
  if (!def || !handler || !ops) {
    finish(
      rt,
      run,
      'failed',
      `cannot continue: drill ${data.drill} or cluster ${data.params.cluster} is no longer configured`,
    );
    await persist(rt, run, fresh);
    return;
  }
  const ctx = stepContext(rt, run, def, ops, fresh);

  if (run.state === 'running') {
    if (data.abortRequestedBy) beginRollback(rt, run, `aborted by ${data.abortRequestedBy}`, fresh);
    else if (rt.now() - run.startedAt > data.timeLimitMs)
      beginRollback(
        rt,
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
        finish(rt, run, ms <= data.objectiveMs ? 'passed' : 'failed');
      }
    } else if (run.state === 'rolling-back') {
      if (await handler.rollback(ctx)) finish(rt, run, rolledBackState(data));
      data.errors = 0;
    }
  } catch (error) {
    data.errors = (data.errors ?? 0) + 1;
    const message = error instanceof Error ? error.message : String(error);
    rt.options.log.warn(
      { err: error, run: run.id, drill: run.name, cluster: run.cluster },
      'drill step failed',
    );
    if (data.errors >= maxErrors) {
      if (run.state === 'running')
        beginRollback(rt, run, `a step failed ${data.errors} times: ${message}`, fresh);
      else {
        ctx.note(
          `Rollback failed ${data.errors} times (${message}); fix it by hand, then mark the drill done with \`drill abort\`.`,
        );
        data.errors = 0;
      }
    } else if (data.errors === 1) ctx.note(`A step failed, retrying: ${message}`);
  }
  await persist(rt, run, fresh);
}

/** Interrupted mid-way by a restart: rolled back (e.g. the drained node is uncordoned), never continued. */
export async function rollBackOrphan(rt: DrillRuntime, run: Run): Promise<void> {
  if (run.state !== 'running') return;
  const data = run.data as DrillData;
  run.state = 'rolling-back';
  data.rollbackReason = 'coxswain restarted while the drill was running';
  data.steps.push({ at: rt.now(), text: 'coxswain restarted mid-drill; rolling back.' });
  run.updatedAt = rt.now();
  await rt.options.store.saveRun(run);
  await say(rt, run, { text: 'coxswain restarted mid-drill; rolling back.', severity: 'warning' });
  await refindSilences(rt, run);
}

/** What the kind gets for one stage: the cluster, and callbacks that record into the run. */
function stepContext(
  rt: DrillRuntime,
  run: Run,
  definition: DrillDefinition,
  ops: ClusterOps,
  fresh: Message[],
): StepContext {
  const data = run.data as DrillData;
  return {
    definition,
    params: data.params,
    ops,
    peers: peers(rt, data.params.cluster),
    writer: ops.writer(run.startedBy),
    state: data.kindState,
    now: rt.now,
    note: (text) => {
      data.steps.push({ at: rt.now(), text });
      fresh.push({ text });
    },
    finding: (text) => {
      data.steps.push({ at: rt.now(), text });
      fresh.push({ text });
      data.findings = [...(data.findings ?? []), text];
    },
    disrupted: () => {
      data.recovery ??= { startedAt: rt.now() };
    },
    recovered: () => {
      const recovery = data.recovery ?? { startedAt: run.startedAt };
      recovery.recoveredAt = rt.now();
      recovery.ms = recovery.recoveredAt - recovery.startedAt;
      data.recovery = recovery;
    },
    fail: (reason) => {
      if (run.state !== 'running') return;
      data.failed = true;
      beginRollback(rt, run, reason, fresh);
    },
  };
}

/** How a finished rollback ends: aborted by a person, failed (time limit, kind), or rolled back. */
function rolledBackState(data: DrillData): DrillState {
  const reason = data.rollbackReason ?? '';
  if (data.abortRequestedBy) return 'aborted';
  return data.failed || reason.startsWith('the time limit') ? 'failed' : 'rolled-back';
}

function beginRollback(rt: DrillRuntime, run: Run, reason: string, fresh: Message[]): void {
  const data = run.data as DrillData;
  run.state = 'rolling-back';
  data.rollbackReason = reason;
  // Reasons carry outside text (a chat username, an API server's error message): escaped here.
  const text = `Rolling back: ${escapeChat(reason)}.`;
  data.steps.push({ at: rt.now(), text });
  fresh.push({ text, severity: 'warning' });
}

function finish(rt: DrillRuntime, run: Run, state: DrillState, reason?: string): void {
  const data = run.data as DrillData;
  run.state = state;
  run.finishedAt = rt.now();
  if (reason) data.rollbackReason = reason;
  data.report = reportText(run);
}

/** Stores the run, then posts the pass's steps; a finished run also gets its report and root post updated. */
async function persist(rt: DrillRuntime, run: Run, fresh: Message[]): Promise<void> {
  const { store, chat, log } = rt.options;
  const data = run.data as DrillData;
  // Before the finished run is stored: a crash in between resumes the run, which expires them then.
  const closed = run.finishedAt === undefined ? undefined : await closeSilences(rt, run);
  if (closed) {
    data.steps.push({ at: rt.now(), text: closed });
    fresh.push({ text: closed });
  }
  run.updatedAt = rt.now();
  await store.saveRun(run);
  for (const message of fresh) await say(rt, run, message);
  if (run.finishedAt !== undefined) {
    await say(rt, run, reportMessage(run));
    if (data.post)
      await chat
        .update(data.post, summaryMessage(run))
        .catch((error: unknown) => log.warn({ err: error, run: run.id }, 'updating the drill post failed'));
  }
}
