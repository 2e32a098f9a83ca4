/**
 * The silences a drill opens for the alerts it is expected to cause (its definition's
 * expectedAlerts): opened when it starts, found again by the run id after a restart, expired when
 * it ends. Its own file because the three moments belong to different parts of the run (start,
 * adoption after a restart, the last pass) but must agree on `data.silenced` and on the wording.
 */
import type { Run } from '../store/store.js';
import { escapeChat } from '../text/escape.js';
import { type DrillDefinition, expectedAlertMatchers } from './definitions.js';
import type { DrillData } from './run-data.js';
import { type DrillRuntime, say } from './runtime.js';

/** Silences the alerts the drill expects, until its time limit (and the rollback after it). */
export async function openSilences(rt: DrillRuntime, run: Run, def: DrillDefinition): Promise<void> {
  const { silences, store } = rt.options;
  const data = run.data as DrillData;
  const expected = expectedAlertMatchers(def, data.params);
  if (!silences || expected.length === 0) return;
  const result = await silences
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
  data.steps.push({ at: rt.now(), text });
  run.updatedAt = rt.now();
  await store.saveRun(run);
  await say(rt, run, { text });
}

/** After a restart: the run's silences live in Alertmanager, found by the run id. */
export async function refindSilences(rt: DrillRuntime, run: Run): Promise<void> {
  const { silences, store } = rt.options;
  const data = run.data as DrillData;
  if (!data.silenced || !silences) return;
  const found = await silences.find(run.id).catch(() => undefined);
  const text =
    found === undefined
      ? "Could not read the drill's silences from Alertmanager; they end by themselves."
      : found.length
        ? `Found the drill's ${found.length} silences again; they are expired when the rollback ends.`
        : "The drill's silences are already gone.";
  data.steps.push({ at: rt.now(), text });
  await store.saveRun(run);
  await say(rt, run, { text });
}

/** Expires the run's silences; the line to report, if any. */
export async function closeSilences(rt: DrillRuntime, run: Run): Promise<string | undefined> {
  const { silences, log } = rt.options;
  const data = run.data as DrillData;
  if (!data.silenced || !silences) return undefined;
  try {
    const closed = await silences.close(run.id);
    data.silenced = false;
    return `Expired the drill's ${closed} silences.`;
  } catch (error) {
    log.warn({ err: error, run: run.id }, 'expiring the drill silences failed');
    return "Could not expire the drill's silences in Alertmanager; they end by themselves at twice the time limit.";
  }
}
