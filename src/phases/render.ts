/**
 * A phase run as one post, updated as it advances: each step and check, who ran it and when.
 * Pure, apart from the zone; its own file so the wording of a run is in one place.
 */
import type { Message } from '../message.js';
import type { Run } from '../store/store.js';
import { escapeChat } from '../text/escape.js';
import { formatTimeSeconds } from '../text/time.js';
import { label } from './flux-objects.js';
import { type PhaseData, type StepState, TERMINAL } from './run-data.js';

/** The run as one post: each step and check, who ran it and when. */
export function renderRun(run: Run, timeZone: string | undefined): Message {
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
  const when = formatTimeSeconds(run.startedAt, timeZone ?? 'UTC');
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
