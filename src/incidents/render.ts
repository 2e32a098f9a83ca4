/**
 * Incident messages and documents, platform-neutral: the pinned summary, status, the timeline
 * in markdown, the postmortem skeleton, lists. Every string that came from a person or an alert
 * goes through escapeChat (or inlineCode), so a title cannot mention @all or inject a link.
 */
import { formatDuration } from '../duration.js';
import type { Message, MessageLink, Severity } from '../message.js';
import type { Incident, IncidentAlert, TimelineEntry } from '../store/store.js';
import { escapeChat, inlineCode } from '../text/escape.js';
import { formatShort, formatStamp, formatTime } from '../text/time.js';
import { mention, type Shift } from './rota.js';

export function sevLabel(severity: number): string {
  return `SEV${severity}`;
}

export function messageSeverity(severity: number): Severity {
  return severity <= 1 ? 'critical' : severity <= 3 ? 'warning' : 'info';
}

/** A room as a channel link: `~name` is how Mattermost links channels, and still reads as a name elsewhere. */
export function roomLink(name: string): string {
  return `~${name}`;
}

/** How a channel name becomes a link on the platform at hand (RoomsCapability.mention); roomLink by default. */
export type RoomLinker = (name: string) => string;

/** A chat username as a mention; anything not shaped like a username is escaped instead. */
function who(username: string | undefined): string {
  if (!username) return '—';
  return /^[a-z0-9][a-z0-9._-]{0,63}$/i.test(username) ? `@${username}` : escapeChat(username);
}

/** One line: the alert's name, fingerprint, cluster and state. */
export function alertLine(alert: IncidentAlert): string {
  const cluster = alert.cluster ? ` on ${escapeChat(alert.cluster)}` : '';
  return `${escapeChat(alert.alertname)} ${inlineCode(alert.fingerprint)}${cluster}: **${escapeChat(alert.state)}**`;
}

export interface SummaryInput {
  incident: Incident;
  alerts: IncidentAlert[];
  runbooks: MessageLink[];
  /** Markdown from the health engine, or a sentence saying why there is none. */
  health: string;
  /** Where it was opened from, as a channel name. */
  origin?: string;
  /** A link to the alert post it was opened from (the platform's permalink), when there is one. */
  alertPost?: string;
  link?: RoomLinker;
}

/** The summary pinned in the room. */
export function summaryMessage(input: SummaryInput): Message {
  const { incident } = input;
  const link = input.link ?? roomLink;
  const lines = [
    `**${sevLabel(incident.severity)}**${incident.cluster ? ` on cluster **${escapeChat(incident.cluster)}**` : ''}, opened by ${who(incident.createdBy)}${input.origin ? ` from ${link(input.origin)}` : ''}.`,
    `Commander: ${who(incident.commander)} · Comms: ${who(incident.comms)}`,
    '',
    '**Linked alerts**',
    ...(input.alerts.length > 0
      ? input.alerts.map((a) => `- ${alertLine(a)}`)
      : ['- none yet (`incident link-alert <fingerprint>`)']),
    '',
    `**Health of ${incident.cluster ? escapeChat(incident.cluster) : 'the platform'}**`,
    input.health,
  ];
  if (input.runbooks.length === 0) lines.push('', 'No runbooks are configured (incidents.runbooks).');
  const message: Message = {
    title: `Incident: ${escapeChat(incident.title)}`,
    text: lines.join('\n'),
    severity: messageSeverity(incident.severity),
  };
  const links = [
    ...(input.alertPost ? [{ label: 'Alert post', url: input.alertPost }] : []),
    ...input.runbooks,
  ];
  if (links.length > 0) message.links = links;
  return message;
}

/** The timeline as a markdown table; newlines in notes are folded so a row stays one row. */
export function timelineMarkdown(entries: readonly TimelineEntry[], timeZone: string): string {
  const rows = entries.map(
    (entry) =>
      `| ${formatStamp(entry.at, timeZone)} | ${who(entry.author)} | ${escapeChat(entry.kind)} | ${escapeChat(entry.text.replace(/\s*[\r\n]+\s*/g, ' / '))} |`,
  );
  return [
    `| Time (${escapeChat(timeZone)}) | Who | What | Detail |`,
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The postmortem skeleton exported on resolve: facts filled in, judgement left as placeholders. */
export function postmortemMarkdown(
  incident: Incident,
  alerts: readonly IncidentAlert[],
  timeline: readonly TimelineEntry[],
  timeZone: string,
): string {
  const resolvedAt = incident.resolvedAt ?? incident.createdAt;
  // Both sides of every change count: an incident opened as SEV1 and lowered to SEV2 was at worst SEV1.
  const worst = Math.min(
    incident.severity,
    ...timeline
      .filter((e) => e.kind === 'severity')
      .flatMap((e) => [...e.text.matchAll(/SEV(\d)/g)].map((m) => Number(m[1]))),
  );
  const firstAlert = alerts[0];
  const detection = firstAlert
    ? `Alert ${alertLine(firstAlert)}; the room was opened by ${who(incident.createdBy)} at ${formatTime(incident.createdAt, timeZone)}.`
    : `Opened by hand by ${who(incident.createdBy)} at ${formatTime(incident.createdAt, timeZone)}; no alert was linked. _Why did no alert fire?_`;
  return [
    `# Postmortem: ${escapeChat(incident.title)}`,
    '',
    `- Room: ${escapeChat(incident.channelName)}`,
    `- Severity: ${sevLabel(incident.severity)} at resolution, worst ${sevLabel(worst)}`,
    `- Cluster: ${incident.cluster ? escapeChat(incident.cluster) : 'not given'}`,
    `- Opened: ${formatTime(incident.createdAt, timeZone)} by ${who(incident.createdBy)}`,
    `- Resolved: ${formatTime(resolvedAt, timeZone)}, after ${formatDuration(resolvedAt - incident.createdAt)}`,
    `- Commander: ${who(incident.commander)}; comms: ${who(incident.comms)}`,
    '',
    '## Summary',
    '',
    incident.summary ? escapeChat(incident.summary) : '_To be written._',
    '',
    '## Impact',
    '',
    '_Who and what was affected, how badly, for how long. To be written._',
    '',
    '## Detection',
    '',
    detection,
    '',
    '## Timeline',
    '',
    timelineMarkdown(timeline, timeZone),
    '',
    '## Root cause',
    '',
    '_To be written: the cause, and why it was possible._',
    '',
    '## Action items',
    '',
    '| Action | Owner | Due |',
    '| --- | --- | --- |',
    '| _to be written_ | | |',
    '',
  ].join('\n');
}

export function statusMessage(
  incident: Incident,
  alerts: readonly IncidentAlert[],
  timeline: readonly TimelineEntry[],
  timeZone: string,
  now: number,
  link: RoomLinker = roomLink,
): Message {
  const recent = timeline.slice(-10);
  const state =
    incident.state === 'open'
      ? `open for ${formatDuration(now - incident.createdAt)}`
      : `resolved ${formatTime(incident.resolvedAt ?? incident.createdAt, timeZone)}${incident.archivedAt ? ', room archived' : ''}`;
  return {
    title: `${sevLabel(incident.severity)} · ${escapeChat(incident.title)}`,
    severity: incident.state === 'open' ? messageSeverity(incident.severity) : 'ok',
    text: [
      `Incident ${incident.id} in ${link(incident.channelName)}: ${state}.`,
      `Commander: ${who(incident.commander)} · Comms: ${who(incident.comms)}${incident.cluster ? ` · Cluster: ${escapeChat(incident.cluster)}` : ''}`,
      ...(incident.summary ? [`Summary: ${escapeChat(incident.summary)}`] : []),
      '',
      '**Linked alerts**',
      ...(alerts.length > 0 ? alerts.map((a) => `- ${alertLine(a)}`) : ['- none']),
      '',
      `**Timeline**${timeline.length > recent.length ? ` (last ${recent.length} of ${timeline.length})` : ''}`,
      timelineMarkdown(recent, timeZone),
    ].join('\n'),
  };
}

export function listMessage(
  incidents: readonly Incident[],
  timeZone: string,
  onlyOpen: boolean,
  link: RoomLinker = roomLink,
): Message {
  if (incidents.length === 0) return { text: onlyOpen ? 'No open incidents.' : 'No incidents yet.' };
  const rows = incidents.map(
    (i) =>
      `| ${i.id} | ${link(i.channelName)} | ${sevLabel(i.severity)} | ${i.state}${i.archivedAt ? ' (archived)' : ''} | ${escapeChat(i.title)} | ${who(i.commander)} | ${formatTime(i.createdAt, timeZone)} |`,
  );
  return {
    title: onlyOpen ? 'Open incidents' : 'Incidents',
    text: [
      '| # | Room | Sev | State | Title | Commander | Opened |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  };
}

export interface ShiftView {
  shift: Shift;
  timeZone: string;
  rotation: string;
}

export function oncallMessage(views: readonly ShiftView[]): Message {
  if (views.length === 0)
    return { text: 'No on-call rota is configured: add teams under oncall.teams in the config.' };
  return {
    title: 'On call',
    text: views
      .map(
        ({ shift, timeZone, rotation }) =>
          `**${escapeChat(shift.team)}**: now ${mention(shift.current)} (since ${formatShort(shift.since, timeZone)}), next ${mention(shift.next)} from ${formatShort(shift.until, timeZone)} ${escapeChat(timeZone)} (${rotation} handover)`,
      )
      .join('\n'),
  };
}

/** The handover reminder a cron job posts. */
export function handoverReminder(views: readonly ShiftView[]): Message {
  return {
    title: 'On-call handover',
    text: views
      .map(
        ({ shift, timeZone }) =>
          `**${escapeChat(shift.team)}**: ${mention(shift.current)} hands over to ${mention(shift.next)} at ${formatShort(shift.until, timeZone)} ${escapeChat(timeZone)}.`,
      )
      .join('\n'),
  };
}
