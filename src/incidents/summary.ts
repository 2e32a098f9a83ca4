/**
 * The pinned summary of an incident room: what it shows (title, severity, people, linked alerts,
 * runbooks, the health snapshot taken at opening, the way back to the alert post) and its
 * rewrite after each change. Its own file because the summary keeps memory the store does not
 * (the snapshot and the origin's name) and serialises its rewrites, and every other part of the
 * engine only asks it to refresh.
 */
import type { Message, MessageLink } from '../message.js';
import type { PostRef } from '../ports.js';
import type { Incident } from '../store/store.js';
import type { IncidentContext } from './context.js';
import { summaryMessage } from './render.js';

export class PinnedSummary {
  /** Health snapshots taken at opening, so a refreshed summary does not query the clusters again. */
  private readonly health = new Map<number, string>();
  /** Where each was opened, by channel name, so a refreshed summary still says so (not in the store). */
  private readonly origins = new Map<number, string>();
  /** The summary rewrite in progress per incident; the next one waits for it. */
  private readonly refreshing = new Map<number, Promise<void>>();

  constructor(private readonly ic: IncidentContext) {}

  /** Remembers what the room was opened with, for every later rewrite. */
  opened(id: number, health: string, origin: string): void {
    this.health.set(id, health);
    this.origins.set(id, origin);
  }

  async message(incident: Incident): Promise<Message> {
    const origin = this.origins.get(incident.id);
    const alerts = await this.ic.deps.store.listIncidentAlerts(incident.id);
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
      link: (name) => this.ic.mention(name),
      ...(origin ? { origin } : {}),
      ...(alertPost ? { alertPost } : {}),
    });
    if (incident.state === 'resolved') {
      message.title = `[resolved] ${message.title}`;
      message.severity = 'ok';
    }
    return message;
  }

  /**
   * Rewrites the pinned summary after a change; a failure only costs freshness. Rewrites of one
   * incident run one after another, each from the store as it is then, so two commands in quick
   * succession cannot leave the older picture pinned.
   */
  refresh(incident: Incident): Promise<void> {
    const id = incident.id;
    const run = (this.refreshing.get(id) ?? Promise.resolve()).then(() => this.refreshNow(id));
    this.refreshing.set(id, run);
    void run.finally(() => {
      if (this.refreshing.get(id) === run) this.refreshing.delete(id);
    });
    return run;
  }

  private async refreshNow(id: number): Promise<void> {
    const { store, chat, log } = this.ic.deps;
    try {
      const incident = await store.getIncident(id);
      if (!incident?.summaryPostId || !incident.channelId) return;
      const ref: PostRef = {
        platform: incident.platform,
        channelId: incident.channelId,
        postId: incident.summaryPostId,
      };
      await chat.update(ref, await this.message(incident));
    } catch (error) {
      log.warn({ err: error, incident: id }, 'could not update the summary');
    }
  }

  private runbooks(cluster: string | undefined): MessageLink[] {
    return this.ic.deps.incidents.runbooks
      .filter((r) => r.clusters.length === 0 || (cluster !== undefined && r.clusters.includes(cluster)))
      .map((r) => ({ label: r.label, url: r.url }));
  }

  /** The room's way back to the alert post it was opened from, where the platform has permalinks. */
  private alertPostLink(incident: Incident): string | undefined {
    const { chat } = this.ic.deps;
    if (!incident.originThreadId || !incident.originChannelId || !chat.permalink) return undefined;
    return chat.permalink({
      platform: incident.platform,
      channelId: incident.originChannelId,
      postId: incident.originThreadId,
    });
  }
}
