/**
 * The incident engine: opens rooms, keeps the timeline, resolves and archives. It talks to the
 * chat platform only through the ChatPort and its optional rooms capability, and keeps every
 * fact in the Store so a restart (or another replica) carries on where this one stopped.
 */
import { parseDuration } from '../duration.js';
import type { Logger } from '../log.js';
import type { Message, MessageLink } from '../message.js';
import {
  type ChatPort,
  type Destination,
  type PostRef,
  type Room,
  RoomExistsError,
  type RoomsCapability,
} from '../ports.js';
import type { Incident, Store, TimelineEntry } from '../store/store.js';
import { escapeChat, inlineCode } from '../text/escape.js';
import { compactDate } from '../text/time.js';
import type { IncidentsConfig, OncallConfig } from './config-schema.js';
import type { OncallRoster } from './oncall-roster.js';
import {
  handoverReminder,
  listMessage,
  messageSeverity,
  oncallMessage,
  postmortemMarkdown,
  roomLink,
  type ShiftView,
  sevLabel,
  statusMessage,
  summaryMessage,
  timelineMarkdown,
} from './render.js';
import { roomName } from './room-name.js';
import { type RotaTeam, type Shift, shiftAt, splitPeople } from './rota.js';

/** A problem the person who asked can fix; its message is a sentence shown to them. */
export class IncidentError extends Error {}

/** An alert as a button payload or a webhook describes it. */
export interface AlertRef {
  fingerprint: string;
  alertname?: string;
  cluster?: string;
  /** firing or resolved; unknown when linked by hand. */
  state?: string;
}

export interface OpenRequest {
  title: string;
  severity?: number;
  cluster?: string;
  /** The username of whoever opened it. */
  by: string;
  /** Where it was opened: a channel, or an alert post's thread. */
  origin: { channelId: string; channelName: string; threadId?: string };
  alert?: AlertRef;
}

export interface IncidentEngineDeps {
  incidents: IncidentsConfig;
  /** The top-level display zone, used when incidents.timeZone is not set (unset: UTC). */
  timeZone?: string;
  oncall: OncallConfig;
  store: Store;
  chat: ChatPort;
  log: Logger;
  now: () => number;
  /** A markdown health summary of one cluster, when a health engine is wired in (looked up per call). */
  healthSnapshot?: () => ((cluster: string) => Promise<string>) | undefined;
  /** The rota with overrides applied; without it, the rota alone. */
  roster?: OncallRoster;
}

const HEALTH_TIMEOUT_MS = 10_000;
const USERNAME = /^@?([a-z0-9][a-z0-9._-]{0,63})$/i;

export class IncidentEngine {
  private opening: Promise<unknown> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Health snapshots taken at opening, so a refreshed summary does not query the clusters again. */
  private readonly health = new Map<number, string>();
  /** Where each was opened, by channel name, so a refreshed summary still says so (not in the store). */
  private readonly origins = new Map<number, string>();
  /** The summary rewrite in progress per incident; the next one waits for it. */
  private readonly refreshing = new Map<number, Promise<void>>();
  private readonly archiveAfterMs: number;

  constructor(private readonly deps: IncidentEngineDeps) {
    this.archiveAfterMs = parseDuration(deps.incidents.archiveAfter) as number;
  }

  get timeZone(): string {
    return this.deps.incidents.timeZone ?? this.deps.timeZone ?? 'UTC';
  }

  /** A channel as a link in message text, the way this platform writes one (Mattermost `~name`). */
  mention(name: string): string {
    return this.deps.chat.rooms?.mention?.({ name }) ?? roomLink(name);
  }

  /** Opens a room; one at a time per process, so two opens of one title get two names. */
  open(request: OpenRequest): Promise<{ incident: Incident; room: Room }> {
    const run = this.opening.then(() => this.openNow(request));
    this.opening = run.catch(() => undefined);
    return run;
  }

  private async openNow(request: OpenRequest): Promise<{ incident: Incident; room: Room }> {
    const { store, chat, now } = this.deps;
    const rooms = this.rooms();
    const title = request.title.trim().replace(/\s+/g, ' ');
    if (title === '') throw new IncidentError('An incident needs a title: say in a few words what is wrong.');
    const severity = request.severity ?? this.deps.incidents.defaultSeverity;
    const openedAt = now();
    const room = await this.createRoom(rooms, compactDate(openedAt, this.timeZone), title);
    const draft: Omit<Incident, 'id'> = {
      title,
      severity,
      state: 'open',
      platform: chat.platform,
      channelId: room.channelId,
      channelName: room.name,
      commander: request.by,
      createdBy: request.by,
      createdAt: openedAt,
      originChannelId: request.origin.channelId,
    };
    if (request.cluster) draft.cluster = request.cluster;
    if (request.origin.threadId) draft.originThreadId = request.origin.threadId;
    const incident = await store.createIncident(draft);
    await this.record(
      incident,
      request.by,
      'opened',
      `${title} (${sevLabel(severity)}${request.cluster ? `, cluster ${request.cluster}` : ''}) from #${request.origin.channelName}`,
    );

    const people = this.peopleFor(request.cluster, severity, request.by);
    try {
      const { skipped } = await rooms.invite(room, people);
      const invited = [...people.users.map((u) => `@${u}`), ...people.groups.map((g) => `~${g}`)];
      await this.record(
        incident,
        'coxswain',
        'invited',
        `${invited.join(' ')}${skipped.length > 0 ? ` (skipped: ${skipped.join(' ')})` : ''}`,
      );
    } catch (error) {
      this.deps.log.warn({ err: error, room: room.name }, 'could not invite the on-call people');
      await this.record(incident, 'coxswain', 'invited', `inviting failed: ${errorText(error)}`);
    }

    if (request.alert) await this.link(incident, request.by, request.alert);
    this.health.set(incident.id, await this.snapshot(request.cluster));
    this.origins.set(incident.id, request.origin.channelName);
    const summaryRef = await chat.post(room, await this.summary(incident));
    await store.updateIncident(incident.id, { summaryPostId: summaryRef.postId });
    incident.summaryPostId = summaryRef.postId;
    await rooms
      .pin(summaryRef)
      .catch((error: unknown) =>
        this.deps.log.warn({ err: error, room: room.name }, 'could not pin the summary'),
      );

    if (request.origin.threadId) {
      // Opened from an alert post: the link back goes into the alert's thread.
      await chat
        .post(
          { channelId: request.origin.channelId, threadId: request.origin.threadId },
          this.openedNotice(incident),
        )
        .catch((error: unknown) =>
          this.deps.log.warn({ err: error }, 'could not link the room in the alert thread'),
        );
    }
    if (severity <= this.deps.incidents.announceUpTo) await this.announce(incident);
    return { incident, room };
  }

  /** The notice in the originating channel or thread that links to the room. */
  openedNotice(incident: Incident): Message {
    return {
      text: `Incident room ${this.mention(incident.channelName)} is open: **${sevLabel(incident.severity)}** ${escapeChat(incident.title)} (commander @${incident.commander}). Join it for updates.`,
      severity: messageSeverity(incident.severity),
    };
  }

  private async createRoom(rooms: RoomsCapability, date: string, title: string): Promise<Room> {
    const taken = new Set(
      (await this.deps.store.listIncidents({}))
        .filter((i) => i.platform === this.deps.chat.platform)
        .map((i) => i.channelName),
    );
    // Another replica, or a person, may have taken the name in between: try the next one.
    for (let attempt = 0; attempt < 20; attempt++) {
      const name = roomName(date, title, taken);
      try {
        return await rooms.create(name, {
          private: this.deps.incidents.private,
          purpose: `Incident: ${title}`,
        });
      } catch (error) {
        if (!(error instanceof RoomExistsError) && (error as { code?: unknown }).code !== 'room-exists')
          throw error;
        taken.add(name);
      }
    }
    throw new IncidentError('Could not find a free room name for this incident; try a more specific title.');
  }

  private rooms(): RoomsCapability {
    const { rooms, platform } = this.deps.chat;
    if (!rooms)
      throw new IncidentError(
        `The ${platform} adapter cannot create rooms yet, so incidents cannot be opened here. Nothing was done.`,
      );
    return rooms;
  }

  /** Who is invited: the opener, every matching team's on-call person, and the severity's list. */
  peopleFor(
    cluster: string | undefined,
    severity: number,
    opener: string,
  ): { users: string[]; groups: string[] } {
    const now = this.deps.now();
    const people = [opener];
    for (const team of this.deps.oncall.teams) {
      if (cluster && team.clusters.length > 0 && !team.clusters.includes(cluster)) continue;
      people.push(this.shiftOf(team, now).current);
    }
    const key = String(severity) as '1' | '2' | '3' | '4';
    people.push(...(this.deps.incidents.invite[key] ?? []));
    return splitPeople(people);
  }

  private async snapshot(cluster: string | undefined): Promise<string> {
    if (!cluster) return 'No cluster was given (`--cluster`), so there is no health snapshot.';
    const source = this.deps.healthSnapshot?.();
    if (!source) return 'A health snapshot is not available: this coxswain has no health engine configured.';
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        source(cluster),
        new Promise<string>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer within 10s')), HEALTH_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      return `The health snapshot failed: ${inlineCode(errorText(error))}.`;
    } finally {
      clearTimeout(timer);
    }
  }

  private runbooks(cluster: string | undefined): MessageLink[] {
    return this.deps.incidents.runbooks
      .filter((r) => r.clusters.length === 0 || (cluster !== undefined && r.clusters.includes(cluster)))
      .map((r) => ({ label: r.label, url: r.url }));
  }

  private async summary(incident: Incident): Promise<Message> {
    const origin = this.origins.get(incident.id);
    const alerts = await this.deps.store.listIncidentAlerts(incident.id);
    const input = {
      incident,
      alerts,
      runbooks: this.runbooks(incident.cluster),
      health:
        this.health.get(incident.id) ??
        'The health snapshot was taken when the room opened; ask `health` for a fresh one.',
    };
    const alertPost = this.alertPostLink(incident);
    const message = summaryMessage({
      ...input,
      link: (name) => this.mention(name),
      ...(origin ? { origin } : {}),
      ...(alertPost ? { alertPost } : {}),
    });
    if (incident.state === 'resolved') {
      message.title = `[resolved] ${message.title}`;
      message.severity = 'ok';
    }
    return message;
  }

  /** The room's way back to the alert post it was opened from, where the platform has permalinks. */
  private alertPostLink(incident: Incident): string | undefined {
    const { chat } = this.deps;
    if (!incident.originThreadId || !incident.originChannelId || !chat.permalink) return undefined;
    return chat.permalink({
      platform: incident.platform,
      channelId: incident.originChannelId,
      postId: incident.originThreadId,
    });
  }

  /**
   * Rewrites the pinned summary after a change; a failure only costs freshness. Rewrites of one
   * incident run one after another, each from the store as it is then, so two commands in quick
   * succession cannot leave the older picture pinned.
   */
  private refreshSummary(incident: Incident): Promise<void> {
    const id = incident.id;
    const run = (this.refreshing.get(id) ?? Promise.resolve()).then(() => this.refreshSummaryNow(id));
    this.refreshing.set(id, run);
    void run.finally(() => {
      if (this.refreshing.get(id) === run) this.refreshing.delete(id);
    });
    return run;
  }

  private async refreshSummaryNow(id: number): Promise<void> {
    try {
      const incident = await this.deps.store.getIncident(id);
      if (!incident?.summaryPostId || !incident.channelId) return;
      const ref: PostRef = {
        platform: incident.platform,
        channelId: incident.channelId,
        postId: incident.summaryPostId,
      };
      await this.deps.chat.update(ref, await this.summary(incident));
    } catch (error) {
      this.deps.log.warn({ err: error, incident: id }, 'could not update the summary');
    }
  }

  private async announce(incident: Incident): Promise<void> {
    const channel = this.deps.incidents.announceChannel;
    if (!channel) return;
    try {
      const destination = await this.deps.chat.resolveChannel(channel);
      await this.deps.chat.post(destination, {
        title: `${sevLabel(incident.severity)} incident: ${escapeChat(incident.title)}`,
        text: `Opened by @${incident.createdBy}${incident.cluster ? ` on cluster ${escapeChat(incident.cluster)}` : ''}. Room: ${this.mention(incident.channelName)}; commander @${incident.commander}.`,
        severity: messageSeverity(incident.severity),
      });
      await this.record(incident, 'coxswain', 'announced', `in #${channel}`);
    } catch (error) {
      this.deps.log.warn({ err: error, channel }, 'could not announce the incident');
    }
  }

  private async record(incident: Incident, author: string, kind: string, text: string): Promise<void> {
    await this.deps.store.addTimeline({ incidentId: incident.id, at: this.deps.now(), author, kind, text });
  }

  private roomOf(incident: Incident): Destination {
    if (!incident.channelId) throw new IncidentError(`Incident ${incident.id} has no room.`);
    return { channelId: incident.channelId };
  }

  private async postInRoom(incident: Incident, message: Message): Promise<void> {
    await this.deps.chat.post(this.roomOf(incident), message);
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
    await this.record(incident, by, 'note', text);
    await this.postInRoom(incident, { text: `📝 @${by}: ${escapeChat(text)}` });
  }

  async assign(incident: Incident, by: string, user: string, role: 'commander' | 'comms'): Promise<void> {
    const match = USERNAME.exec(user);
    if (!match) throw new IncidentError(`${inlineCode(user)} is not a username; write it like @alice.`);
    const username = (match[1] as string).toLowerCase();
    const changes = role === 'commander' ? { commander: username } : { comms: username };
    await this.deps.store.updateIncident(incident.id, changes);
    Object.assign(incident, changes);
    await this.rooms()
      .invite(this.roomOf(incident), { users: [username], groups: [] })
      .catch((error: unknown) => this.deps.log.warn({ err: error }, 'could not invite the assignee'));
    await this.record(incident, by, 'assign', `@${username} is ${role}`);
    await this.postInRoom(incident, { text: `@${username} is now the ${role} (set by @${by}).` });
    await this.refreshSummary(incident);
  }

  async setSeverity(incident: Incident, by: string, severity: number): Promise<void> {
    const before = incident.severity;
    if (before === severity)
      throw new IncidentError(`Incident ${incident.id} is ${sevLabel(severity)} already.`);
    await this.deps.store.updateIncident(incident.id, { severity });
    incident.severity = severity;
    await this.record(incident, by, 'severity', `${sevLabel(before)} → ${sevLabel(severity)}`);
    await this.postInRoom(incident, {
      text: `Severity changed by @${by}: ${sevLabel(before)} → **${sevLabel(severity)}**.`,
      severity: messageSeverity(severity),
    });
    await this.refreshSummary(incident);
    const threshold = this.deps.incidents.announceUpTo;
    if (severity <= threshold && before > threshold) await this.announce(incident);
  }

  /** Links an alert (or a link to its post); linking twice is harmless. */
  async linkAlert(incident: Incident, by: string, alert: AlertRef): Promise<boolean> {
    const linked = await this.link(incident, by, alert);
    if (linked) {
      await this.postInRoom(incident, {
        text: `Alert ${escapeChat(alert.alertname ?? 'alert')} ${inlineCode(alert.fingerprint)} linked by @${by}; its changes will be posted here.`,
      });
      await this.refreshSummary(incident);
    }
    return linked;
  }

  private async link(incident: Incident, by: string, alert: AlertRef): Promise<boolean> {
    const link = {
      incidentId: incident.id,
      fingerprint: alert.fingerprint,
      alertname: alert.alertname ?? 'alert',
      state: alert.state ?? 'unknown',
      linkedBy: by,
      linkedAt: this.deps.now(),
    };
    const linked = await this.deps.store.linkIncidentAlert(
      alert.cluster ? { ...link, cluster: alert.cluster } : link,
    );
    if (linked)
      await this.record(
        incident,
        by,
        'alert',
        `linked ${link.alertname} ${alert.fingerprint} (${link.state})`,
      );
    return linked;
  }

  /**
   * An alert changed state (the alerts feature calls this for each alert it delivers): every open
   * incident it is linked to gets a timeline entry and a post in its room. Returns how many.
   */
  async alertChanged(alert: AlertRef & { state: string }): Promise<number> {
    let count = 0;
    for (const link of await this.deps.store.findAlertIncidents(alert.fingerprint)) {
      if (link.state === alert.state) continue;
      const incident = await this.deps.store.getIncident(link.incidentId);
      if (incident?.state !== 'open') continue;
      await this.deps.store.setIncidentAlertState(incident.id, alert.fingerprint, alert.state);
      const name = alert.alertname ?? link.alertname;
      await this.record(incident, 'alertmanager', 'alert', `${name} ${alert.fingerprint} is ${alert.state}`);
      await this.postInRoom(incident, {
        text: `Linked alert ${escapeChat(name)} ${inlineCode(alert.fingerprint)} is now **${escapeChat(alert.state)}**.`,
        severity: alert.state === 'resolved' ? 'ok' : 'warning',
      });
      await this.refreshSummary(incident);
      count++;
    }
    return count;
  }

  /**
   * Resolves: posts the timeline, exports the postmortem skeleton as a file, tells the channel it
   * came from, and archives the room after `incidents.archiveAfter`.
   */
  async resolve(incident: Incident, by: string, summary: string): Promise<void> {
    const rooms = this.rooms();
    const resolvedAt = this.deps.now();
    const changes = {
      state: 'resolved' as const,
      resolvedAt,
      summary,
      archiveAt: resolvedAt + this.archiveAfterMs,
    };
    await this.deps.store.updateIncident(incident.id, changes);
    Object.assign(incident, changes);
    await this.record(incident, by, 'resolved', summary);
    const [timeline, alerts] = await Promise.all([
      this.deps.store.listTimeline(incident.id),
      this.deps.store.listIncidentAlerts(incident.id),
    ]);
    const room = this.roomOf(incident);
    await this.deps.chat.post(room, {
      title: `Resolved by @${by}: ${escapeChat(incident.title)}`,
      severity: 'ok',
      text: `${escapeChat(summary)}\n\n**Timeline**\n${timelineMarkdown(timeline, this.timeZone)}`,
    });
    const file = `${incident.channelName}-postmortem.md`;
    await rooms.attach(
      room,
      {
        name: file,
        content: postmortemMarkdown(incident, alerts, timeline, this.timeZone),
        mimeType: 'text/markdown',
      },
      {
        text: `Postmortem skeleton (summary, impact, detection, timeline, root cause, action items): ${inlineCode(file)}. This room is archived in ${this.deps.incidents.archiveAfter}.`,
      },
    );
    await this.refreshSummary(incident);
    if (incident.originChannelId) {
      const origin: Destination = { channelId: incident.originChannelId };
      if (incident.originThreadId) origin.threadId = incident.originThreadId;
      await this.deps.chat
        .post(origin, {
          text: `Incident ${this.mention(incident.channelName)} is resolved: ${escapeChat(summary)}`,
          severity: 'ok',
        })
        .catch((error: unknown) => this.deps.log.warn({ err: error }, 'could not tell the origin channel'));
    }
    this.scheduleArchive(incident);
  }

  /** Arms a timer for the room's archiving; the periodic sweep catches what a restart lost. */
  scheduleArchive(incident: Incident): void {
    if (incident.archiveAt === undefined) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.archiveDue().catch((error: unknown) => this.deps.log.error({ err: error }, 'archiving failed'));
      },
      Math.max(0, incident.archiveAt - this.deps.now()),
    );
    timer.unref();
    this.timers.add(timer);
  }

  /** Archives every resolved room whose time has come; each exactly once across replicas. */
  async archiveDue(): Promise<number> {
    const { store, chat, now } = this.deps;
    if (!chat.rooms) return 0;
    let count = 0;
    for (const incident of await store.listIncidents({ state: 'resolved' })) {
      if (incident.platform !== chat.platform || incident.archivedAt !== undefined) continue;
      if (incident.archiveAt === undefined || incident.archiveAt > now() || !incident.channelId) continue;
      if (!(await store.claimIncidentArchive(incident.id, now()))) continue;
      try {
        await chat.rooms.archive({ channelId: incident.channelId });
        await this.record(incident, 'coxswain', 'archived', `#${incident.channelName}`);
        count++;
      } catch (error) {
        // Give it back so the next sweep tries again.
        await store.updateIncident(incident.id, { archivedAt: undefined });
        this.deps.log.warn({ err: error, room: incident.channelName }, 'could not archive the room');
      }
    }
    return count;
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

  private shifts(teams?: readonly string[]): ShiftView[] {
    const now = this.deps.now();
    return this.deps.oncall.teams
      .filter((team) => !teams || teams.length === 0 || teams.includes(team.name))
      .map((team) => ({ shift: this.shiftOf(team, now), timeZone: team.timeZone, rotation: team.rotation }));
  }

  /** The team's shift at `now`, with the roster's overrides when there is a roster. */
  private shiftOf(team: RotaTeam, now: number): Shift {
    if (!this.deps.roster) return shiftAt(team, now);
    const { current, next } = this.deps.roster.now(team, now);
    return {
      team: team.name,
      current: current.person,
      next: next.person,
      since: current.from,
      until: current.until,
    };
  }

  oncall(): Message {
    return oncallMessage(this.shifts());
  }

  /** What a handover reminder cron job posts. */
  reminder(teams: readonly string[]): Message | undefined {
    const views = this.shifts(teams);
    return views.length > 0 ? handoverReminder(views) : undefined;
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
