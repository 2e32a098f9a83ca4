/**
 * Storm folding, per channel: past `alerts.storm.threshold` new groups within `alerts.storm.window`
 * a channel is in a storm, and new groups are folded into one summary post (updated at most once
 * per SUMMARY_UPDATE_GAP_MS) instead of a post each. A storm lasts until a whole window passes without a new
 * group folded into it. Also here: marking a group's post as held back (stale) in a storm, so its
 * update is sent once, later, with the latest state (delivery.ts does the sending under the
 * group's claim). The state is this replica's memory: after a restart a storm starts afresh,
 * which at worst posts up to a threshold of groups before folding again.
 */
import type { GroupState } from './group.js';
import type { StormStats } from './render.js';

/**
 * The least time between two updates of one summary. It is a count that changes with every folded
 * group: updated on every delivery pass, it took a chat request (and its rendering) per pass, most
 * of the bot's CPU per alert at a few thousand alerts a second, for figures no one reads faster.
 * A change held back is sent by a later pass (one runs every delivery interval).
 */
export const SUMMARY_UPDATE_GAP_MS = 1000;

interface Storm<Ref> {
  stats: StormStats;
  /** The summary post, once made. */
  postRef?: Ref;
  dirty: boolean;
  lastNewAt?: number;
  /** When the summary was last posted or updated. */
  sentAt?: number;
}

/** A summary due to be posted or updated: `ref` is the post made for it before, if any. */
export interface DueSummary<Ref> {
  channelId: string;
  stats: StormStats;
  ref: Ref | undefined;
  /** Call once chat took the summary, with the post it made or updated. */
  sent(ref: Ref): void;
}

export class StormFolder<Ref> {
  /** Per channel: when each recent new group was posted, for the threshold. */
  private readonly recentNew = new Map<string, number[]>();
  private readonly storms = new Map<string, Storm<Ref>>();

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** A group got its own post in the channel: counts towards the threshold. */
  noteNew(channelId: string): void {
    const times = this.recentNew.get(channelId) ?? [];
    times.push(this.now());
    this.recentNew.set(channelId, times);
  }

  /** Whether the channel is in a storm now (starting or ending one as the counts say). */
  inStorm(channelId: string): boolean {
    const now = this.now();
    const storm = this.storms.get(channelId);
    const times = (this.recentNew.get(channelId) ?? []).filter((t) => t > now - this.windowMs);
    this.recentNew.set(channelId, times);
    if (storm) {
      // A storm lasts until a whole window passes without a new group folded into it.
      if (storm.stats.groups > 0 && storm.lastNewAt !== undefined && storm.lastNewAt <= now - this.windowMs) {
        this.storms.delete(channelId);
        this.recentNew.set(channelId, []);
        return false;
      }
      return true;
    }
    if (times.length >= this.threshold) {
      this.storms.set(channelId, {
        stats: { since: now, groups: 0, alerts: 0, byAlertname: new Map() },
        dirty: true,
      });
      return true;
    }
    return false;
  }

  /** Counts a group (new to the storm, or one folded before that changed) into the summary. */
  count(channelId: string, alertname: string, alerts: number, newGroup: boolean): void {
    const storm = this.storms.get(channelId);
    if (!storm) return;
    if (newGroup) {
      storm.stats.groups++;
      storm.lastNewAt = this.now();
    }
    storm.stats.alerts += alerts;
    storm.stats.byAlertname.set(alertname, (storm.stats.byAlertname.get(alertname) ?? 0) + alerts);
    storm.dirty = true;
  }

  /**
   * The summaries that changed since they were last sent: the post at once, then an update when
   * the last was at least SUMMARY_UPDATE_GAP_MS ago.
   */
  due(): DueSummary<Ref>[] {
    const due: DueSummary<Ref>[] = [];
    const now = this.now();
    for (const [channelId, storm] of this.storms) {
      if (!storm.dirty || storm.stats.groups === 0) continue;
      if (storm.sentAt !== undefined && now - storm.sentAt < SUMMARY_UPDATE_GAP_MS) continue;
      due.push({
        channelId,
        stats: storm.stats,
        ref: storm.postRef,
        sent: (ref) => {
          storm.postRef = ref;
          storm.dirty = false;
          storm.sentAt = this.now();
        },
      });
    }
    return due;
  }
}

/** Marks the group's post in the channel as showing an older state than the group. */
export function markStale(group: GroupState, channelId: string, now: number): void {
  const stale = group.stale ?? [];
  if (!stale.includes(channelId)) stale.push(channelId);
  group.stale = stale;
  group.staleSince ??= now;
}

/** The group's post in the channel shows its latest state again. */
export function clearStale(group: GroupState, channelId: string): void {
  if (!group.stale) return;
  group.stale = group.stale.filter((id) => id !== channelId);
  if (group.stale.length === 0) {
    delete group.stale;
    delete group.staleSince;
  }
}
