/**
 * The per-group pass: a claimed group's due rows are merged into the stored group, routed, and
 * rendered once per channel; a new group is posted (post-once.ts) or folded into a storm, an
 * earlier post is updated (or, in a storm, marked to be refreshed later), and the post's thread
 * is told when the group resolves or fires again. Rows are marked delivered only after chat
 * accepted; a failure schedules them again with backoff. Its own file because this is the one
 * stage between the outbox and chat, like a stage of Alertmanager's notify/; the loop that feeds
 * it is delivery.ts, the claims around it group-claims.ts.
 */
import { backoffMs } from '../backoff.js';
import { humanDuration } from '../duration.js';
import type { Destination, PostRef } from '../ports.js';
import type { AlertPost, OutboxItem } from '../store/store.js';
import type { DeliveryContext } from './delivery-context.js';
import {
  type GroupState,
  groupEndedAt,
  groupLabelsForRouting,
  groupStartedAt,
  groupStatus,
  mergeAlert,
  newGroup,
} from './group.js';
import type { Claimed } from './group-claims.js';
import type { OutboxAlert } from './payload.js';
import { postKey } from './post-key.js';
import { postGroupOnce } from './post-once.js';
import type { RouteTarget } from './routing.js';
import { clearStale, markStale, type StormFolder } from './storm.js';

/** A claim with the oldest row's arrival: a post a dead replica made for them is newer than this. */
interface ClaimedRows extends Claimed {
  since: number;
}

export class GroupDelivery {
  constructor(
    private readonly dc: DeliveryContext,
    private readonly storms: StormFolder<PostRef>,
  ) {}

  /**
   * Delivers a claimed group's rows of this batch, checked again now that no other replica can
   * change them: one that another replica delivered since the batch was read is not sent again.
   * Only their state and attempts are read again; the payloads, which cannot change, are the
   * batch's (parsing them twice was a good part of a pass's work).
   */
  async deliverDue(groupKey: string, batch: OutboxItem[], claimed: Claimed): Promise<number> {
    const { store, alerts, log, metrics } = this.dc.options;
    const attempts = await store.pendingOutboxAttempts(batch.map((item) => item.id));
    const items = batch.flatMap((item) => {
      const now = attempts.get(item.id);
      return now === undefined ? [] : [{ ...item, attempts: now }];
    });
    if (items.length === 0) return 0; // delivered by another replica since the batch was read
    const since = Math.min(...items.map((item) => item.receivedAt));
    try {
      const group = await this.deliverGroup(groupKey, items, { claim: claimed.claim, since });
      // The state, the delivered marks and the claim's release in one commit: per group this was
      // three (a commit is most of a lazy write's cost).
      await store.completeAlertGroup(
        this.dc.record(group),
        items.map((item) => item.id),
        this.dc.owner,
      );
      claimed.released = true;
      await this.tellDelivered(items);
      return items.length;
    } catch (error) {
      // A chat call may have been taken though its answer was lost: the next attempt, here or on
      // another replica, looks before it posts.
      claimed.unsettled = true;
      const message = error instanceof Error ? error.message : String(error);
      log.warn({ err: error, groupKey, rows: items.length }, 'alert delivery failed; will retry');
      const maxAttempts = alerts.delivery.maxAttempts;
      const giveUp = maxAttempts > 0 && items.some((item) => item.attempts + 1 >= maxAttempts);
      metrics.posts.inc({ outcome: giveUp ? 'failed' : 'retried' });
      if (giveUp) {
        log.error(
          { groupKey, rows: items.length, maxAttempts },
          'alert delivery gave up after maxAttempts; the rows stay in the store as failed',
        );
      }
      for (const item of items) {
        await store.markOutboxRetry(item.id, this.dc.now() + this.backoff(item.attempts), message, giveUp);
      }
      return 0;
    }
  }

  private backoff(attempts: number): number {
    return Math.round(backoffMs(attempts, { baseMs: 1000, maxMs: this.dc.maxBackoffMs, jitter: [0.75, 1] }));
  }

  private async tellDelivered(items: OutboxItem[]): Promise<void> {
    const { onDelivered, log } = this.dc.options;
    if (!onDelivered) return;
    for (const item of items) {
      const { alert } = item.payload as unknown as OutboxAlert;
      const ref: { fingerprint: string; alertname?: string; cluster?: string; state: string } = {
        fingerprint: alert.fingerprint,
        state: alert.status,
      };
      if (alert.labels.alertname) ref.alertname = alert.labels.alertname;
      if (alert.labels.cluster) ref.cluster = alert.labels.cluster;
      await onDelivered(ref).catch((error: unknown) =>
        log.warn({ err: error, fingerprint: alert.fingerprint }, 'telling incidents about an alert failed'),
      );
    }
  }

  /** Posts or updates the group's posts; returns its new state, for the caller to save. */
  private async deliverGroup(
    groupKey: string,
    items: OutboxItem[],
    claimed: ClaimedRows,
  ): Promise<GroupState> {
    const { chat, store, router } = this.dc.options;
    const rows = items.map((item) => item.payload as unknown as OutboxAlert);
    const group = (await this.dc.load(groupKey)) ?? newGroup(rows[0] as OutboxAlert);
    for (const row of rows) mergeAlert(group, row);
    const status = groupStatus(group);
    const targets = router.route(groupLabelsForRouting(group), chat.platform);
    const posts = await store.findAlertPosts(groupKey);
    for (const target of targets) {
      const destination = await chat.resolveChannel(target.channel);
      const mine = posts.find((p) => p.platform === chat.platform && p.channelId === destination.channelId);
      await this.deliverToChannel(group, status, rows.length, target, destination, mine, claimed);
    }
    group.announced = status;
    return group;
  }

  /** The group's news in one of its channels: update its post, fold it into a storm, or post it. */
  private async deliverToChannel(
    group: GroupState,
    status: 'firing' | 'resolved',
    newRows: number,
    target: RouteTarget,
    destination: Destination,
    mine: AlertPost | undefined,
    claimed: ClaimedRows,
  ): Promise<void> {
    const { chat, metrics } = this.dc.options;
    const channelId = destination.channelId;
    // A row without a post id is an intent: a post may or may not have been made for it.
    const existing = mine?.postId ? mine : undefined;
    if (existing) {
      const ref: PostRef = {
        platform: chat.platform,
        channelId: existing.channelId,
        postId: existing.postId,
      };
      if (group.announced === status && this.storms.inStorm(channelId)) {
        markStale(group, channelId, this.dc.now());
        metrics.posts.inc({ outcome: 'deferred' });
        return;
      }
      await this.dc.call(() => chat.update(ref, this.dc.render(group, target)));
      metrics.posts.inc({ outcome: 'updated' });
      clearStale(group, channelId);
      await this.tellThread(group, status, ref, claimed);
    } else if (group.folded.includes(channelId) && this.storms.inStorm(channelId)) {
      this.storms.count(channelId, alertnameOf(group), newRows, false);
    } else if (group.folded.includes(channelId) && status === 'resolved') {
      // Folded into a storm that is over, and resolved since: the summary told of it, and a
      // post now would only say that something nobody saw has ended.
    } else if (!group.folded.includes(channelId) && this.storms.inStorm(channelId)) {
      group.folded.push(channelId);
      this.storms.count(channelId, alertnameOf(group), Object.keys(group.alerts).length, true);
      metrics.posts.inc({ outcome: 'stormed' });
    } else {
      await postGroupOnce(this.dc, group, target, destination, mine);
      // A group folded into a storm that has ended gets its own post once it changes again.
      group.folded = group.folded.filter((id) => id !== channelId);
      this.storms.noteNew(channelId);
    }
  }

  private async tellThread(
    group: GroupState,
    status: 'firing' | 'resolved',
    ref: PostRef,
    claimed: ClaimedRows,
  ): Promise<void> {
    if (group.announced === undefined || group.announced === status) return;
    const thread: Destination = { channelId: ref.channelId, threadId: ref.postId };
    const { chat } = this.dc.options;
    // The same state gives the same key: a retry of this very reply finds it (or Mattermost's
    // pending_post_id folds it) instead of telling the thread twice.
    const moment = status === 'resolved' ? groupEndedAt(group) : latestStart(group);
    const key = postKey(group.groupKey, ref.channelId, `reply:${status}:${moment ?? ''}`);
    if (claimed.claim === 'recovered' && chat.findPost) {
      const found = await this.dc.call(async () => chat.findPost?.(thread, key, claimed.since - 60_000));
      if (found) return;
    }
    let text: string;
    if (status === 'resolved') {
      const started = groupStartedAt(group);
      const ended = groupEndedAt(group) ?? this.dc.now();
      text = started === undefined ? 'Resolved.' : `Resolved after ${humanDuration(ended - started)}.`;
    } else text = 'Firing again.';
    await this.dc.call(() =>
      chat.post(thread, { text, severity: status === 'resolved' ? 'ok' : 'warning' }, { key }),
    );
  }
}

/** When the newest alert of the group started: marks one "firing again" apart from the next. */
function latestStart(group: GroupState): number | undefined {
  const starts = Object.values(group.alerts)
    .map((a) => Date.parse(a.startsAt))
    .filter((t) => Number.isFinite(t) && t > 0);
  return starts.length > 0 ? Math.max(...starts) : undefined;
}

/** The name a group is counted under in a storm summary. */
function alertnameOf(group: GroupState): string {
  return groupLabelsForRouting(group).alertname ?? 'unknown';
}
