/**
 * The incident engine: opens rooms, keeps the timeline, resolves and archives. It talks to the
 * chat platform only through the ChatPort and its optional rooms capability, and keeps every
 * fact in the Store so a restart (or another replica) carries on where this one stopped.
 *
 * This file is the engine's face: the commands typed in a room (note, assign, severity, status,
 * list) and the entry points of the parts beside it: open-room.ts (opening), summary.ts (the
 * pinned summary), alert-links.ts (alerts in and linked), resolve.ts (resolving and archiving),
 * shifts.ts (who is on call), context.ts (what they all work with).
 */
import type { Message } from '../message.js';
import type { Room } from '../ports.js';
import type { Incident, TimelineEntry } from '../store/store.js';
import { escapeChat, inlineCode } from '../text/escape.js';
import { type AlertRef, alertChanged, linkAlert } from './alert-links.js';
import { IncidentContext, type IncidentEngineDeps, IncidentError } from './context.js';
import { announce, type OpenRequest, openedNotice, openRoom } from './open-room.js';
import { listMessage, messageSeverity, sevLabel, statusMessage } from './render.js';
import { IncidentCloser } from './resolve.js';
import { oncallNow, peopleFor, reminderFor } from './shifts.js';
import { PinnedSummary } from './summary.js';

const USERNAME = /^@?([a-z0-9][a-z0-9._-]{0,63})$/i;

export class IncidentEngine {
  private opening: Promise<unknown> = Promise.resolve();
  private readonly ic: IncidentContext;
  private readonly summary: PinnedSummary;
  private readonly closer: IncidentCloser;

  constructor(private readonly deps: IncidentEngineDeps) {
    this.ic = new IncidentContext(deps);
    this.summary = new PinnedSummary(this.ic);
    this.closer = new IncidentCloser(this.ic, this.summary);
  }

  get timeZone(): string {
    return this.ic.timeZone;
  }

  /** A channel as a link in message text, the way this platform writes one (Mattermost `~name`). */
  mention(name: string): string {
    return this.ic.mention(name);
  }

  /** Opens a room; one at a time per process, so two opens of one title get two names. */
  open(request: OpenRequest): Promise<{ incident: Incident; room: Room }> {
    const run = this.opening.then(() => openRoom(this.ic, this.summary, request));
    this.opening = run.catch(() => undefined);
    return run;
  }

  /** The notice in the originating channel or thread that links to the room. */
  openedNotice(incident: Incident): Message {
    return openedNotice(this.ic, incident);
  }

  /** Who is invited: the opener, every matching team's on-call person, and the severity's list. */
  peopleFor(
    cluster: string | undefined,
    severity: number,
    opener: string,
  ): { users: string[]; groups: string[] } {
    return peopleFor(this.ic, cluster, severity, opener);
  }

  /**
   * The incident a room command is about: the given number, else the room it is typed in.
   * Changes need an open incident.
   */
  async target(
    platform: string,
    channelId: string,
    id: number | undefined,
    mustBeOpen: boolean,
  ): Promise<Incident> {
    const incident =
      id !== undefined
        ? await this.deps.store.getIncident(id)
        : await this.deps.store.findIncidentByChannel(platform, channelId);
    if (!incident)
      throw new IncidentError(
        id !== undefined
          ? `There is no incident ${id}; \`incident list\` shows them.`
          : 'This channel is not an incident room: run it in the room, or give `--id N` (see `incident list`).',
      );
    if (mustBeOpen && incident.state !== 'open')
      throw new IncidentError(
        `Incident ${incident.id} (${incident.channelName}) is resolved already; nothing was changed.`,
      );
    return incident;
  }

  async note(incident: Incident, by: string, text: string): Promise<void> {
    await this.ic.record(incident, by, 'note', text);
    await this.ic.postInRoom(incident, { text: `📝 @${by}: ${escapeChat(text)}` });
  }

  async assign(incident: Incident, by: string, user: string, role: 'commander' | 'comms'): Promise<void> {
    const match = USERNAME.exec(user);
    if (!match) throw new IncidentError(`${inlineCode(user)} is not a username; write it like @alice.`);
    const username = (match[1] as string).toLowerCase();
    const changes = role === 'commander' ? { commander: username } : { comms: username };
    await this.deps.store.updateIncident(incident.id, changes);
    Object.assign(incident, changes);
    await this.ic
      .rooms()
      .invite(this.ic.roomOf(incident), { users: [username], groups: [] })
      .catch((error: unknown) => this.deps.log.warn({ err: error }, 'could not invite the assignee'));
    await this.ic.record(incident, by, 'assign', `@${username} is ${role}`);
    await this.ic.postInRoom(incident, { text: `@${username} is now the ${role} (set by @${by}).` });
    await this.summary.refresh(incident);
  }

  async setSeverity(incident: Incident, by: string, severity: number): Promise<void> {
    const before = incident.severity;
    if (before === severity)
      throw new IncidentError(`Incident ${incident.id} is ${sevLabel(severity)} already.`);
    await this.deps.store.updateIncident(incident.id, { severity });
    incident.severity = severity;
    await this.ic.record(incident, by, 'severity', `${sevLabel(before)} → ${sevLabel(severity)}`);
    await this.ic.postInRoom(incident, {
      text: `Severity changed by @${by}: ${sevLabel(before)} → **${sevLabel(severity)}**.`,
      severity: messageSeverity(severity),
    });
    await this.summary.refresh(incident);
    const threshold = this.deps.incidents.announceUpTo;
    if (severity <= threshold && before > threshold) await announce(this.ic, incident);
  }

  /** Links an alert (or a link to its post); linking twice is harmless. */
  linkAlert(incident: Incident, by: string, alert: AlertRef): Promise<boolean> {
    return linkAlert(this.ic, this.summary, incident, by, alert);
  }

  /**
   * An alert changed state (the alerts feature calls this for each alert it delivers): every open
   * incident it is linked to gets a timeline entry and a post in its room. Returns how many.
   */
  alertChanged(alert: AlertRef & { state: string }): Promise<number> {
    return alertChanged(this.ic, this.summary, alert);
  }

  /**
   * Resolves: posts the timeline, exports the postmortem skeleton as a file, tells the channel it
   * came from, and archives the room after `incidents.archiveAfter`.
   */
  resolve(incident: Incident, by: string, summary: string): Promise<void> {
    return this.closer.resolve(incident, by, summary);
  }

  /** Arms a timer for the room's archiving; the periodic sweep catches what a restart lost. */
  scheduleArchive(incident: Incident): void {
    this.closer.scheduleArchive(incident);
  }

  /** Archives every resolved room whose time has come; each exactly once across replicas. */
  archiveDue(): Promise<number> {
    return this.closer.archiveDue();
  }

  async status(incident: Incident): Promise<Message> {
    const [timeline, alerts] = await Promise.all([
      this.deps.store.listTimeline(incident.id),
      this.deps.store.listIncidentAlerts(incident.id),
    ]);
    return statusMessage(incident, alerts, timeline, this.timeZone, this.deps.now(), (name) =>
      this.mention(name),
    );
  }

  async timeline(incident: Incident): Promise<TimelineEntry[]> {
    return this.deps.store.listTimeline(incident.id);
  }

  async list(query: { open?: boolean; cluster?: string }): Promise<Message> {
    let incidents = await this.deps.store.listIncidents(query.open ? { state: 'open' } : {});
    if (query.cluster) incidents = incidents.filter((i) => i.cluster === query.cluster);
    return listMessage(incidents, this.timeZone, query.open === true, (name) => this.mention(name));
  }

  oncall(): Message {
    return oncallNow(this.ic);
  }

  /** What a handover reminder cron job posts. */
  reminder(teams: readonly string[]): Message | undefined {
    return reminderFor(this.ic, teams);
  }

  stop(): void {
    this.closer.stop();
  }
}
