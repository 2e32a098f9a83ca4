/**
 * Silences for a drill or phase run: the alerts a run is expected to cause (a drill that kills a
 * pod makes KubePodNotReady fire) are silenced in every Alertmanager for the run's duration, so
 * on-call is not paged for what coxswain does on purpose. As with maintenance windows, the
 * silences themselves are the record: their comment names the run id, so a bot restarted
 * mid-run finds them again in Alertmanager (and expires them when the resumed run ends), and
 * each ends by itself at the run's time limit should nobody expire it.
 */

import { silencesAcross } from './across.js';
import type { AlertmanagerApi } from './alertmanager-api.js';
import type { Matcher } from './matchers.js';

export const RUN_SILENCE_MARK = 'coxswain run ';

/** What the drill and phase engines need: open at start, find after a restart, close at the end. */
export interface RunSilencer {
  /** One silence per matcher set, with `cluster="C"` added, in every Alertmanager. */
  open(run: RunSilenceRequest): Promise<{ created: number; failed: string[] }>;
  /** Ids of the run's silences still in force (active or pending), from every Alertmanager. */
  find(runId: string): Promise<string[]>;
  /** Expires the run's silences; resolves to how many. */
  close(runId: string): Promise<number>;
}

export interface RunSilenceRequest {
  runId: string;
  /** What runs, for the comment: `drill pod-kill on apps`. */
  what: string;
  cluster?: string;
  by: string;
  startsAt: number;
  endsAt: number;
  expected: readonly Matcher[][];
}

function mark(runId: string): string {
  return `${RUN_SILENCE_MARK}${runId}: `;
}

export function alertmanagerRunSilencer(clients: () => readonly AlertmanagerApi[]): RunSilencer {
  const mine = async (runId: string) =>
    (await silencesAcross(clients(), [])).items.filter((s) => s.comment.startsWith(mark(runId)));
  return {
    async open(run) {
      const comment = `${mark(run.runId)}${run.what} expects these alerts; silenced until it ends`;
      const specs = run.expected.map((matchers) => [
        ...matchers.filter((m) => m.name !== 'cluster'),
        ...(run.cluster ? [{ name: 'cluster', type: '=' as const, value: run.cluster }] : []),
      ]);
      const failed: string[] = [];
      let created = 0;
      for (const client of clients())
        for (const matchers of specs)
          try {
            await client.createSilence({
              matchers,
              startsAt: run.startsAt,
              endsAt: run.endsAt,
              createdBy: run.by,
              comment,
            });
            created++;
          } catch (error) {
            failed.push(`${client.name}: ${error instanceof Error ? error.message : String(error)}`);
          }
      return { created, failed };
    },
    async find(runId) {
      return (await mine(runId)).map((s) => s.id);
    },
    async close(runId) {
      const byName = new Map(clients().map((c) => [c.name, c]));
      let closed = 0;
      for (const silence of await mine(runId))
        for (const am of silence.alertmanagers) {
          await byName.get(am)?.expireSilence(silence.id);
          closed++;
        }
      return closed;
    },
  };
}
