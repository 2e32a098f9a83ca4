/**
 * What a drill says about itself: the run's root post (updated as the run changes state), the
 * final report posted in its thread, and the one-line verdict stored with the run. Pure
 * functions of the stored run, apart from the pass that decides when to post them, so the
 * wording of every result is in one place.
 */
import { formatDuration } from '../duration.js';
import type { Message } from '../message.js';
import type { Run } from '../store/store.js';
import { escapeChat } from '../text/escape.js';
import { type DrillData, TERMINAL } from './run-data.js';

/** The verdict: the state and the measured recovery against the objective. */
export function reportText(run: Run): string {
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
export function reportMessage(run: Run): Message {
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
    text: data.report ?? reportText(run),
    severity: run.state === 'passed' ? 'ok' : run.state === 'failed' ? 'critical' : 'warning',
    fields,
  };
}

/** The run's root post, updated as it changes state. */
export function summaryMessage(run: Run): Message {
  const data = run.data as DrillData;
  const target = [data.params.namespace, data.params.workload ?? data.params.node].filter(Boolean).join('/');
  const state = run.finishedAt === undefined ? run.state : (data.report ?? run.state);
  return {
    title: `Drill ${run.name} on ${run.cluster}${target ? ` (${escapeChat(target)})` : ''}`,
    text: `${state}. Started by ${escapeChat(run.startedBy)}; steps follow in the thread.`,
    severity: run.state === 'passed' ? 'ok' : TERMINAL.includes(run.state) ? 'warning' : 'info',
  };
}
