/**
 * Delivery from the outbox to chat, the way Alertmanager's notify pipeline sends: at least once,
 * retried with backoff, one place for retries. Each pass takes the due rows, groups them by
 * Alertmanager group and renders each group once (so a burst of updates to one group becomes one
 * post update), posts a new group or updates its earlier post, and tells the post's thread when
 * the group resolves. Past a threshold of new groups per window a channel gets one storm summary
 * instead of a flood. Rows are marked delivered only after chat accepted the post; nothing is
 * ever deleted from the store.
 *
 * In a storm, the chat rate limit is the scarce thing. A post made before the storm whose group
 * changes again (more alerts, same status) is not updated at once: the group is marked stale in
 * the store and its post refreshed, with its latest state, once the outbox has no backlog. So
 * many changes cost one update, and new groups and the summary never queue behind them. A change
 * of status (resolved, firing again) is news and is updated at once, with its thread reply.
 */
import { backoffMs } from '../backoff.js';
import type { Config } from '../config/schema.js';
import { parseDuration } from '../duration.js';
import type { Logger } from '../log.js';
import type { ChatPort, Destination, PostRef } from '../ports.js';
import type { OutboxItem, Store } from '../store/store.js';
import { humanDuration } from './format-duration.js';
import {
  type GroupSilence,
  type GroupState,
  groupEndedAt,
  groupLabelsForRouting,
  groupStartedAt,
  groupStatus,
  mergeAlert,
  newGroup,
} from './group.js';
import type { AlertMetrics } from './metrics.js';
import type { OutboxAlert } from './payload.js';
import { renderGroup, renderStorm, type StormStats } from './render.js';
import type { AlertRouter, RouteTarget } from './routing.js';

export interface DeliveryOptions {
  store: Store;
  chat: ChatPort;
  router: AlertRouter;
  log: Logger;
  metrics: AlertMetrics;
  alerts: Config['alerts'];
  now?: () => number;
  /** Waits between chat calls to respect the rate; tests pass one that advances a fake clock. */
  sleep?: (ms: number) => Promise<void>;
  /** Told about every alert delivered (incidents link alerts); its failures never block delivery. */
  onDelivered?: (alert: {
    fingerprint: string;
    alertname?: string;
    cluster?: string;
    state: string;
  }) => Promise<unknown>;
}

interface Storm {
  postRef?: PostRef;
  stats: StormStats;
  dirty: boolean;
  lastNewAt?: number;
}

export class AlertDelivery {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly intervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly stormWindowMs: number;
  private readonly minGapMs: number;
  private lastChatCall = Number.NEGATIVE_INFINITY;
  /** Per channel: when each recent new group was posted, for the storm threshold. */
  private readonly recentNew = new Map<string, number[]>();
  private readonly storms = new Map<string, Storm>();
  private readonly locks = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: DeliveryOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    const d = options.alerts.delivery;
    this.intervalMs = parseDuration(d.interval) as number;
    this.maxBackoffMs = parseDuration(d.maxBackoff) as number;
    this.stormWindowMs = parseDuration(options.alerts.storm.window) as number;
    this.minGapMs = 1000 / d.ratePerSecond;
  }

  /** Runs passes every interval, and soon after each kick(), until stop(). */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** New rows are in the outbox: deliver them without waiting for the interval. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over the due rows; returns how many rows were delivered. */
  async runOnce(): Promise<number> {
    const { store, alerts } = this.options;
    const due = await store.dueOutbox(this.now(), alerts.delivery.batchSize);
    const byGroup = new Map<string, OutboxItem[]>();
    for (const item of due) {
      const list = byGroup.get(item.groupKey);
      if (list) list.push(item);
      else byGroup.set(item.groupKey, [item]);
    }
    let delivered = 0;
    for (const [groupKey, items] of byGroup) {
      try {
        await this.withGroup(groupKey, () => this.deliverGroup(groupKey, items));
        await store.markOutboxDeliveredMany(items.map((item) => item.id));
        await this.tellDelivered(items);
        delivered += items.length;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.options.log.warn(
          { err: error, groupKey, rows: items.length },
          'alert delivery failed; will retry',
        );
        const maxAttempts = alerts.delivery.maxAttempts;
        const giveUp = maxAttempts > 0 && items.some((item) => item.attempts + 1 >= maxAttempts);
        this.options.metrics.posts.inc({ outcome: giveUp ? 'failed' : 'retried' });
        if (giveUp) {
          this.options.log.error(
            { groupKey, rows: items.length, maxAttempts },
            'alert delivery gave up after maxAttempts; the rows stay in the store as failed',
          );
        }
        for (const item of items) {
          await store.markOutboxRetry(item.id, this.now() + this.backoff(item.attempts), message, giveUp);
        }
      }
    }
    await this.flushStorms();
    // A full batch means more rows are waiting: held-back updates wait until they are through.
    if (due.length < alerts.delivery.batchSize) await this.refreshStale(this.staleBudget());
    return delivered;
  }

  private async tellDelivered(items: OutboxItem[]): Promise<void> {
    const { onDelivered, log } = this.options;
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

  /** Records an acknowledgement and shows it on the group's posts. */
  acknowledge(groupKey: string, user: string): Promise<boolean> {
    return this.withGroup(groupKey, async () => {
      const group = await this.load(groupKey);
      if (!group) return false;
      if (!group.acks.some((a) => a.user === user)) group.acks.push({ user, at: this.now() });
      await this.save(group);
      await this.refreshPosts(group);
      return true;
    });
  }

  /** Records a silence made from the post and shows who made it. */
  recordSilence(groupKey: string, silence: GroupSilence): Promise<boolean> {
    return this.withGroup(groupKey, async () => {
      const group = await this.load(groupKey);
      if (!group) return false;
      group.silences.push(silence);
      await this.save(group);
      await this.refreshPosts(group);
      return true;
    });
  }

  async group(groupKey: string): Promise<GroupState | undefined> {
    return this.load(groupKey);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.loop().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        } else this.schedule(this.intervalMs);
      });
    }, ms);
    this.timer.unref?.();
  }

  private async loop(): Promise<void> {
    try {
      // Keep going while a full batch came back: a backlog drains without waiting for ticks.
      while (!this.stopped) {
        const due = await this.runOnce();
        if (due < this.options.alerts.delivery.batchSize) break;
      }
    } catch (error) {
      this.options.log.error({ err: error }, 'alert delivery pass failed');
    }
  }

  private backoff(attempts: number): number {
    return Math.round(backoffMs(attempts, { baseMs: 1000, maxMs: this.maxBackoffMs, jitter: [0.75, 1] }));
  }

  private async deliverGroup(groupKey: string, items: OutboxItem[]): Promise<void> {
    const { chat, store, router, metrics } = this.options;
    const rows = items.map((item) => item.payload as unknown as OutboxAlert);
    const group = (await this.load(groupKey)) ?? newGroup(rows[0] as OutboxAlert);
    for (const row of rows) mergeAlert(group, row);
    const status = groupStatus(group);
    const labels = groupLabelsForRouting(group);
    const targets = router.route(labels, chat.platform);
    const posts = await store.findAlertPosts(groupKey);
    for (const target of targets) {
      const destination = await chat.resolveChannel(target.channel);
      const existing = posts.find(
        (p) => p.platform === chat.platform && p.channelId === destination.channelId,
      );
      if (existing) {
        const ref: PostRef = {
          platform: chat.platform,
          channelId: existing.channelId,
          postId: existing.postId,
        };
        if (group.announced === status && this.inStorm(destination)) {
          this.markStale(group, destination.channelId);
          metrics.posts.inc({ outcome: 'deferred' });
          continue;
        }
        await this.call(() => chat.update(ref, this.render(group, target)));
        metrics.posts.inc({ outcome: 'updated' });
        this.clearStale(group, destination.channelId);
        await this.tellThread(group, status, ref);
      } else if (group.folded.includes(destination.channelId) && this.inStorm(destination)) {
        this.countInStorm(destination, group, rows.length, false);
      } else if (group.folded.includes(destination.channelId) && status === 'resolved') {
        // Folded into a storm that is over, and resolved since: the summary told of it, and a
        // post now would only say that something nobody saw has ended.
      } else if (!group.folded.includes(destination.channelId) && this.inStorm(destination)) {
        group.folded.push(destination.channelId);
        this.countInStorm(destination, group, Object.keys(group.alerts).length, true);
        metrics.posts.inc({ outcome: 'stormed' });
      } else {
        const ref = await this.call(() => chat.post(destination, this.render(group, target)));
        await store.saveAlertPost({
          groupKey,
          platform: chat.platform,
          channelId: destination.channelId,
          postId: ref.postId,
        });
        metrics.posts.inc({ outcome: 'posted' });
        // A group folded into a storm that has ended gets its own post once it changes again.
        group.folded = group.folded.filter((channelId) => channelId !== destination.channelId);
        this.noteNew(destination);
      }
    }
    group.announced = status;
    await this.save(group);
  }

  private async tellThread(group: GroupState, status: 'firing' | 'resolved', ref: PostRef): Promise<void> {
    if (group.announced === undefined || group.announced === status) return;
    const thread: Destination = { channelId: ref.channelId, threadId: ref.postId };
    let text: string;
    if (status === 'resolved') {
      const started = groupStartedAt(group);
      const ended = groupEndedAt(group) ?? this.now();
      text = started === undefined ? 'Resolved.' : `Resolved after ${humanDuration(ended - started)}.`;
    } else text = 'Firing again.';
    await this.call(() =>
      this.options.chat.post(thread, { text, severity: status === 'resolved' ? 'ok' : 'warning' }),
    );
  }

  private render(group: GroupState, target: RouteTarget) {
    return renderGroup(
      group,
      target.mention ? { now: this.now(), mention: target.mention } : { now: this.now() },
    );
  }

  /** The group's routes by channel id, as its posts were saved, so each keeps its route's mention. */
  private async targetsByChannel(group: GroupState): Promise<Map<string, RouteTarget>> {
    const { chat, router } = this.options;
    const targets = new Map<string, RouteTarget>();
    for (const target of router.route(groupLabelsForRouting(group), chat.platform)) {
      targets.set((await chat.resolveChannel(target.channel)).channelId, target);
    }
    return targets;
  }

  private async refreshPosts(group: GroupState): Promise<void> {
    const { chat, store } = this.options;
    const targets = await this.targetsByChannel(group);
    const behind = group.stale?.length ?? 0;
    for (const post of await store.findAlertPosts(group.groupKey)) {
      if (post.platform !== chat.platform) continue;
      const target = targets.get(post.channelId) ?? { channel: post.channelId };
      const ref: PostRef = { platform: post.platform, channelId: post.channelId, postId: post.postId };
      await this.call(() => chat.update(ref, this.render(group, target)));
      this.clearStale(group, post.channelId);
    }
    // Any post held back in a storm now shows the latest state too.
    if ((group.stale?.length ?? 0) !== behind) await this.save(group);
  }

  // --- storms ---------------------------------------------------------------------------------

  private markStale(group: GroupState, channelId: string): void {
    const stale = group.stale ?? [];
    if (!stale.includes(channelId)) stale.push(channelId);
    group.stale = stale;
    group.staleSince ??= this.now();
  }

  private clearStale(group: GroupState, channelId: string): void {
    if (!group.stale) return;
    group.stale = group.stale.filter((id) => id !== channelId);
    if (group.stale.length === 0) {
      delete group.stale;
      delete group.staleSince;
    }
  }

  /** Held-back updates per pass: half a second of the chat rate, so new rows wait little. */
  private staleBudget(): number {
    return Math.max(1, Math.floor(this.options.alerts.delivery.ratePerSecond / 2));
  }

  /** Brings the posts that fell behind in a storm up to date, the longest behind first. */
  private async refreshStale(budget: number): Promise<void> {
    const { chat, store, log, metrics } = this.options;
    for (const groupKey of await store.staleAlertGroups(budget)) {
      try {
        await this.withGroup(groupKey, async () => {
          const group = await this.load(groupKey);
          if (!group?.stale) return;
          const targets = await this.targetsByChannel(group);
          const posts = await store.findAlertPosts(groupKey);
          for (const channelId of [...group.stale]) {
            const post = posts.find((p) => p.platform === chat.platform && p.channelId === channelId);
            if (post) {
              const ref: PostRef = { platform: post.platform, channelId, postId: post.postId };
              const target = targets.get(channelId) ?? { channel: channelId };
              await this.call(() => chat.update(ref, this.render(group, target)));
              metrics.posts.inc({ outcome: 'updated' });
            }
            this.clearStale(group, channelId);
            await this.save(group);
          }
        });
      } catch (error) {
        // Still marked stale, now at the back of the queue, so a post that cannot be updated
        // (deleted in chat, say) does not hold up the others; a later pass tries it again.
        log.warn({ err: error, groupKey }, 'refreshing a post held back in a storm failed; will retry');
        await this.withGroup(groupKey, async () => {
          const group = await this.load(groupKey);
          if (!group?.stale) return;
          group.staleSince = this.now();
          await this.save(group);
        }).catch(() => undefined);
      }
    }
  }

  private noteNew(destination: Destination): void {
    const times = this.recentNew.get(destination.channelId) ?? [];
    times.push(this.now());
    this.recentNew.set(destination.channelId, times);
  }

  private inStorm(destination: Destination): boolean {
    const now = this.now();
    const storm = this.storms.get(destination.channelId);
    const times = (this.recentNew.get(destination.channelId) ?? []).filter(
      (t) => t > now - this.stormWindowMs,
    );
    this.recentNew.set(destination.channelId, times);
    if (storm) {
      // A storm lasts until a whole window passes without a new group folded into it.
      if (
        storm.stats.groups > 0 &&
        storm.lastNewAt !== undefined &&
        storm.lastNewAt <= now - this.stormWindowMs
      ) {
        this.storms.delete(destination.channelId);
        this.recentNew.set(destination.channelId, []);
        return false;
      }
      return true;
    }
    if (times.length >= this.options.alerts.storm.threshold) {
      this.storms.set(destination.channelId, {
        stats: { since: now, groups: 0, alerts: 0, byAlertname: new Map() },
        dirty: true,
      });
      return true;
    }
    return false;
  }

  private countInStorm(destination: Destination, group: GroupState, alerts: number, newGroup: boolean): void {
    const storm = this.storms.get(destination.channelId);
    if (!storm) return;
    const name = groupLabelsForRouting(group).alertname ?? 'unknown';
    if (newGroup) {
      storm.stats.groups++;
      storm.lastNewAt = this.now();
    }
    storm.stats.alerts += alerts;
    storm.stats.byAlertname.set(name, (storm.stats.byAlertname.get(name) ?? 0) + alerts);
    storm.dirty = true;
  }

  /** One post (then one update per pass) per stormy channel: the coalesced summary. */
  private async flushStorms(): Promise<void> {
    const { chat, alerts, log } = this.options;
    for (const [channelId, storm] of this.storms) {
      if (!storm.dirty || storm.stats.groups === 0) continue;
      const message = renderStorm(storm.stats, alerts.storm.threshold, alerts.storm.window);
      try {
        if (storm.postRef) {
          const ref = storm.postRef;
          await this.call(() => chat.update(ref, message));
        } else storm.postRef = await this.call(() => chat.post({ channelId }, message));
        storm.dirty = false;
      } catch (error) {
        // The rows behind it are already safe in the store; the summary is tried again next pass.
        log.warn({ err: error, channelId }, 'storm summary not posted; will retry');
      }
    }
  }

  // --- plumbing -------------------------------------------------------------------------------

  /** Spaces chat calls to the configured rate. */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    const wait = this.lastChatCall + this.minGapMs - this.now();
    if (wait > 0) await this.sleep(wait);
    this.lastChatCall = this.now();
    return work();
  }

  /** Serialises work on one group between delivery passes and button clicks. */
  private async withGroup<T>(groupKey: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(groupKey) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => mine);
    this.locks.set(groupKey, chained);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.locks.get(groupKey) === chained) this.locks.delete(groupKey);
    }
  }

  private async load(groupKey: string): Promise<GroupState | undefined> {
    const record = await this.options.store.getAlertGroup(groupKey);
    return record ? (record.data as unknown as GroupState) : undefined;
  }

  private async save(group: GroupState): Promise<void> {
    await this.options.store.saveAlertGroup({
      groupKey: group.groupKey,
      data: group as unknown as Record<string, unknown>,
      updatedAt: this.now(),
      ...(group.staleSince === undefined ? {} : { staleSince: group.staleSince }),
    });
  }
}
