/**
 * An alert group as a platform-neutral Message: severity colour, title, summary and
 * description, the labels that matter, start time and duration, links and buttons. Everything
 * that came from Alertmanager is escaped; links must be plain http(s) URLs or they are left out.
 */

import { humanDuration } from '../duration.js';
import { type AlertButtonInput, openIncidentButton } from '../incidents/actions.js';
import type { Message, MessageButton, MessageField, MessageLink, Severity } from '../message.js';
import { escapeChat } from '../text/escape.js';
import { formatTime } from '../text/time.js';
import {
  type GroupState,
  groupEndedAt,
  groupLabelsForRouting,
  groupStartedAt,
  groupStatus,
} from './group.js';
import type { WebhookAlert } from './payload.js';

export const ALERT_ACTIONS = {
  silence: 'alert.silence',
  /** `Silence…`: opens the silence form (silence-dialog.ts) where the platform has dialogs. */
  silenceForm: 'alert.silence.form',
  acknowledge: 'alert.ack',
} as const;

const KEY_LABELS = ['alertname', 'cluster', 'namespace', 'pod', 'severity'] as const;
const MAX_LISTED = 10;

export interface RenderOptions {
  now: number;
  /** The zone times are shown in (config `timeZone`); unset: UTC. */
  timeZone?: string;
  /** On-call to mention; only used while the group is firing and critical. */
  mention?: string;
}

export function severityOf(group: GroupState): Severity {
  if (groupStatus(group) === 'resolved') return 'ok';
  const severities = Object.values(group.alerts)
    .filter((a) => a.status === 'firing')
    .map((a) => a.labels.severity ?? group.commonLabels.severity ?? '');
  if (severities.some((s) => /^(critical|page|error|high)$/i.test(s))) return 'critical';
  if (severities.some((s) => /^(warning|warn|medium)$/i.test(s))) return 'warning';
  return 'info';
}

export function renderGroup(group: GroupState, options: RenderOptions): Message {
  const status = groupStatus(group);
  const zone = options.timeZone ?? 'UTC';
  const alerts = Object.values(group.alerts);
  const firing = alerts.filter((a) => a.status === 'firing');
  const labels = groupLabelsForRouting(group);
  const first = (firing[0] ?? alerts[0]) as WebhookAlert | undefined;
  const alertname = labels.alertname ?? first?.labels.alertname ?? 'alert';
  const annotations = { ...first?.annotations, ...group.commonAnnotations };
  const severity = severityOf(group);

  const count = status === 'firing' ? firing.length : alerts.length;
  const title = `${status === 'firing' ? 'FIRING' : 'RESOLVED'}${count > 1 ? ` (${count})` : ''}: ${escapeChat(alertname)}`;

  const lines: string[] = [];
  if (status === 'firing' && severity === 'critical' && options.mention)
    lines.push(`${options.mention} critical alert`);
  if (annotations.summary) lines.push(`**${escapeChat(annotations.summary)}**`);
  if (annotations.description) lines.push(escapeChat(annotations.description));
  if (alerts.length > 1) {
    const listed = [...firing, ...alerts.filter((a) => a.status !== 'firing')].slice(0, MAX_LISTED);
    for (const alert of listed) lines.push(`- ${alertLine(alert, labels)}`);
    if (alerts.length > MAX_LISTED) lines.push(`- … and ${alerts.length - MAX_LISTED} more`);
  }
  for (const ack of group.acks)
    lines.push(`Acknowledged by ${escapeChat(ack.user)} at ${formatTime(ack.at, zone)}.`);
  for (const silence of group.silences) {
    lines.push(
      `Silenced by ${escapeChat(silence.user)} until ${formatTime(silence.until, zone)} (silence ${escapeChat(silence.id)} in ${escapeChat(silence.alertmanager)}).`,
    );
  }

  const fields: MessageField[] = [];
  for (const name of KEY_LABELS) {
    const value = labels[name];
    if (value) fields.push({ title: name, value: escapeChat(value), short: true });
  }
  const startedAt = groupStartedAt(group);
  if (startedAt !== undefined) {
    fields.push({ title: 'started', value: formatTime(startedAt, zone), short: true });
    const end = status === 'resolved' ? (groupEndedAt(group) ?? options.now) : options.now;
    fields.push({
      title: status === 'resolved' ? 'lasted' : 'firing for',
      value: humanDuration(end - startedAt),
      short: true,
    });
  }

  const message: Message = { title, text: lines.join('\n'), severity, fields };
  const links = alertLinks(first, annotations);
  if (links.length > 0) message.links = links;
  if (status === 'firing' && first) {
    const incident: AlertButtonInput = { alertname, fingerprint: first.fingerprint };
    const cluster = labels.cluster ?? first.labels.cluster;
    if (cluster) incident.cluster = cluster;
    if (annotations.summary) incident.title = `${alertname}: ${annotations.summary}`;
    const sev = INCIDENT_SEVERITY[labels.severity ?? first.labels.severity ?? ''];
    if (sev) incident.severity = sev;
    // The incidents feature owns this button: a click opens a room with the alert linked.
    message.buttons = [...buttons(group.groupKey), openIncidentButton(incident)];
  }
  return message;
}

function alertLine(alert: WebhookAlert, common: Record<string, string>): string {
  const distinct = Object.entries(alert.labels)
    .filter(([name, value]) => common[name] !== value && name !== 'alertname')
    .slice(0, 4)
    .map(([name, value]) => `${escapeChat(name)}=${escapeChat(value)}`)
    .join(' ');
  const mark = alert.status === 'firing' ? 'firing' : 'resolved';
  const summary = alert.annotations.summary ? `: ${escapeChat(alert.annotations.summary)}` : '';
  return `${mark} ${distinct || escapeChat(alert.fingerprint)}${summary}`;
}

function alertLinks(alert: WebhookAlert | undefined, annotations: Record<string, string>): MessageLink[] {
  const candidates: [string, string | undefined][] = [
    ['Runbook', annotations.runbook_url ?? annotations.runbook],
    ['Grafana', annotations.grafana_url ?? annotations.dashboard_url ?? annotations.dashboard],
    ['Source', alert?.generatorURL],
  ];
  const links: MessageLink[] = [];
  for (const [label, url] of candidates) {
    const safe = safeUrl(url);
    if (safe) links.push({ label, url: safe });
  }
  return links;
}

/** Only absolute http(s) URLs, re-serialised so no markdown or spaces ride along. */
export function safeUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password) return undefined;
  const text = url.toString();
  return /[\s<>()[\]`]/.test(text) ? undefined : text;
}

function buttons(groupKey: string): MessageButton[] {
  return [
    { label: 'Silence 1h', action: ALERT_ACTIONS.silence, payload: { group: groupKey, for: '1h' } },
    { label: 'Silence 4h', action: ALERT_ACTIONS.silence, payload: { group: groupKey, for: '4h' } },
    { label: 'Silence…', action: ALERT_ACTIONS.silenceForm, payload: { group: groupKey } },
    {
      label: 'Acknowledge',
      action: ALERT_ACTIONS.acknowledge,
      payload: { group: groupKey },
      style: 'primary',
    },
  ];
}

/** Alert severity label → incident severity (1 is the worst); others get the incidents default. */
const INCIDENT_SEVERITY: Record<string, 1 | 2 | 3 | 4> = {
  critical: 1,
  page: 1,
  error: 2,
  warning: 3,
  warn: 3,
};

/** The one post that stands in for many groups while a storm lasts. */
export interface StormStats {
  since: number;
  groups: number;
  alerts: number;
  byAlertname: Map<string, number>;
}

export function renderStorm(stats: StormStats, threshold: number, window: string, timeZone = 'UTC'): Message {
  const top = [...stats.byAlertname.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, n]) => `${escapeChat(name)} (${n})`)
    .join(', ');
  return {
    title: 'Alert storm',
    severity: 'critical',
    text:
      `${stats.alerts} alerts in ${stats.groups} groups since ${formatTime(stats.since, timeZone)}, top: ${top || 'none'}.\n` +
      `More than ${threshold} new alert groups in ${window}: new groups are counted here instead of posted ` +
      'one by one until it calms down. Every alert is kept; see Alertmanager for the full list.',
  };
}
