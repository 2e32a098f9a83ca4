/**
 * The end of an incident: resolving it (the timeline posted, the postmortem skeleton attached,
 * the origin channel told) and archiving its room after `incidents.archiveAfter`, armed by a
 * timer and caught up by a periodic sweep, each room exactly once across replicas. Its own file
 * because this is the incident's handover to the postmortem, with timers the rest does not have.
 */
import { parseDuration } from '../duration.js';
import type { Destination } from '../ports.js';
import type { Incident } from '../store/store.js';
import { escapeChat, inlineCode } from '../text/escape.js';
import type { IncidentContext } from './context.js';
import { postmortemMarkdown, timelineMarkdown } from './render.js';
import type { PinnedSummary } from './summary.js';

export class IncidentCloser {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly archiveAfterMs: number;

  constructor(
    private readonly ic: IncidentContext,
    private readonly summary: PinnedSummary,
  ) {
    this.archiveAfterMs = parseDuration(ic.deps.incidents.archiveAfter) as number;
  }

  /**
   * Resolves: posts the timeline, exports the postmortem skeleton as a file, tells the channel it
   * came from, and archives the room after `incidents.archiveAfter`.
   */
  async resolve(incident: Incident, by: string, summary: string): Promise<void> {
    const { ic } = this;
    const { store, chat, log, now } = ic.deps;
    const rooms = ic.rooms();
    const resolvedAt = now();
    const changes = {
      state: 'resolved' as const,
      resolvedAt,
      summary,
      archiveAt: resolvedAt + this.archiveAfterMs,
    };
    await store.updateIncident(incident.id, changes);
    Object.assign(incident, changes);
    await ic.record(incident, by, 'resolved', summary);
    const [timeline, alerts] = await Promise.all([
      store.listTimeline(incident.id),
      store.listIncidentAlerts(incident.id),
    ]);
    const room = ic.roomOf(incident);
    await chat.post(room, {
      title: `Resolved by @${by}: ${escapeChat(incident.title)}`,
      severity: 'ok',
      text: `${escapeChat(summary)}\n\n**Timeline**\n${timelineMarkdown(timeline, ic.timeZone)}`,
    });
    const file = `${incident.channelName}-postmortem.md`;
    await rooms.attach(
      room,
      {
        name: file,
        content: postmortemMarkdown(incident, alerts, timeline, ic.timeZone),
        mimeType: 'text/markdown',
      },
      {
        text: `Postmortem skeleton (summary, impact, detection, timeline, root cause, action items): ${inlineCode(file)}. This room is archived in ${ic.deps.incidents.archiveAfter}.`,
      },
    );
    await this.summary.refresh(incident);
    if (incident.originChannelId) {
      const origin: Destination = { channelId: incident.originChannelId };
      if (incident.originThreadId) origin.threadId = incident.originThreadId;
      await chat
        .post(origin, {
          text: `Incident ${ic.mention(incident.channelName)} is resolved: ${escapeChat(summary)}`,
          severity: 'ok',
        })
        .catch((error: unknown) => log.warn({ err: error }, 'could not tell the origin channel'));
    }
    this.scheduleArchive(incident);
  }

  /** Arms a timer for the room's archiving; the periodic sweep catches what a restart lost. */
  scheduleArchive(incident: Incident): void {
    if (incident.archiveAt === undefined) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.archiveDue().catch((error: unknown) =>
          this.ic.deps.log.error({ err: error }, 'archiving failed'),
        );
      },
      Math.max(0, incident.archiveAt - this.ic.deps.now()),
    );
    timer.unref();
    this.timers.add(timer);
  }

  /** Archives every resolved room whose time has come; each exactly once across replicas. */
  async archiveDue(): Promise<number> {
    const { store, chat, now, log } = this.ic.deps;
    if (!chat.rooms) return 0;
    let count = 0;
    for (const incident of await store.listIncidents({ state: 'resolved' })) {
      if (incident.platform !== chat.platform || incident.archivedAt !== undefined) continue;
      if (incident.archiveAt === undefined || incident.archiveAt > now() || !incident.channelId) continue;
      if (!(await store.claimIncidentArchive(incident.id, now()))) continue;
      try {
        await chat.rooms.archive({ channelId: incident.channelId });
        await this.ic.record(incident, 'coxswain', 'archived', `#${incident.channelName}`);
        count++;
      } catch (error) {
        // Give it back so the next sweep tries again.
        await store.updateIncident(incident.id, { archivedAt: undefined });
        log.warn({ err: error, room: incident.channelName }, 'could not archive the room');
      }
    }
    return count;
  }

  /** Cancels the armed timers; the sweep after a restart archives what they would have. */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
