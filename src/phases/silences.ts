/**
 * The silences a phase run opens for the alerts it is expected to cause (phases.yaml
 * expectedAlerts), one per matcher set and cluster the run touches, and their expiry when the
 * run ends or is paused, found by the run id (so also by the engine that continues it after a
 * restart). Its own file because start, the last pass and pause all reach them.
 */
import type { Run } from '../store/store.js';
import { type PhaseDefinition, phaseExpectedAlerts } from './definitions.js';
import type { PhaseData } from './run-data.js';
import type { PhaseRuntime } from './runtime.js';

/** One silence per expected matcher set and cluster the run touches, until its time is up. */
export async function openSilences(rt: PhaseRuntime, run: Run, def: PhaseDefinition): Promise<void> {
  const { silences, phases, store } = rt.options;
  const data = run.data as PhaseData;
  const expected = phaseExpectedAlerts(phases, def);
  if (!silences || expected.length === 0) return;
  const clusters = [...new Set(data.steps.map((s) => s.cluster))];
  const failed: string[] = [];
  let created = 0;
  for (const cluster of clusters) {
    const result = await silences
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
  await store.saveRun(run);
}

/** Expires the run's silences, found in Alertmanager by the run id (so also after a restart). */
export async function closeSilences(rt: PhaseRuntime, run: Run): Promise<void> {
  const { silences, log } = rt.options;
  const data = run.data as PhaseData;
  if (!data.silenced || !silences) return;
  try {
    await silences.close(run.id);
    data.silenced = false;
  } catch (error) {
    log.warn({ err: error, run: run.id }, 'expiring the phase silences failed; they end by themselves');
  }
}
