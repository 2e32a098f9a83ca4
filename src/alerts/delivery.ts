/**
 * Delivery from the outbox to chat, the way Alertmanager's notify pipeline sends: retried with
 * backoff until chat takes it, one place for retries, and (below) one post per group even when a
 * retry follows a crash. Each pass takes the due rows, groups them by
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
 *
 * With several replicas on one PostgreSQL, every replica runs this loop and takes the webhook,
 * and each group is delivered by one replica at a time: it claims the group in the store (a row
 * with a lease, renewed while it works, released after) and reads the group's due rows again
 * under the claim. Claims in the store rather than leader-only delivery, because they need no
 * Kubernetes API (the Lease) to be exact, a replica that dies hands its groups over after one
 * lease instead of a leader election plus catch-up, and the load spreads over the replicas. A
 * group's post is made by whichever replica holds the claim, and updated by whichever holds it
 * next: the post mapping in the store is never overwritten. SQLite is one replica's file.
 *
 * Exactly one post after a crash: before the chat call that makes a group's post, the intent is
 * stored with the post's deterministic key (post-key.ts), and the post carries the key. A retry
 * that finds an intent without a post id (the process died between the chat call and the store
 * write) looks the key up in chat first and takes the post it finds instead of posting again;
 * thread replies under a claim recovered from a dead replica are looked up the same way.
 */
import { backoffMs } from '../backoff.js';
import { humanDuration, parseDuration } from '../duration.js';
import type { Logger } from '../log.js';
import type { ChatPort, Destination, PostRef } from '../ports.js';
import type { AlertGroupRecord, AlertPost, GroupClaim, OutboxItem, Store } from '../store/store.js';
import type { AlertsConfig } from './config-schema.js';
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
import { postKey } from './post-key.js';
import { renderGroup, renderStorm } from './render.js';
import type { AlertRouter, RouteTarget } from './routing.js';
import { clearStale, markStale, StormFolder } from './storm.js';

export interface DeliveryOptions {
  store: Store;
  chat: ChatPort;
  router: AlertRouter;
  log: Logger;
  metrics: AlertMetrics;
  alerts: AlertsConfig;
  /** The zone the posts show times in (config `timeZone`); unset: UTC. */
  timeZone?: string;
  /** This replica's name in group claims; stable across its restarts (the pod name). */
  owner?: string;
  /** How long a group claim lasts without renewal: a dead replica's groups wait this long. */
  claimLeaseMs?: number;
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

/** What a group's delivery knows about how it got its claim. */
interface Claimed {
  claim: GroupClaim;
  /** Set by work that failed part way: the claim is left for the next claimant to treat as recovered. */
  unsettled?: boolean;
  /** Set when the work released the claim itself (in the transaction that ended the delivery). */
  released?: boolean;
  /** The oldest row's arrival: a post a dead replica made for them is newer than this. */
  since: number;
}

const NOT_CLAIMED = Symbol('not claimed');
/** How long a button click waits for a group another replica is delivering. */
const CLICK_CLAIM_WAIT_MS = 15_000;

export class AlertDelivery {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly intervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly minGapMs: number;
  private readonly owner: string;
  private readonly claimLeaseMs: number;
  private lastChatCall = Number.NEGATIVE_INFINITY;
  private readonly storms: StormFolder<PostRef>;
  private readonly locks = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: DeliveryOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    const d = options.alerts.delivery;
    this.intervalMs = parseDuration(d.interval) as number;
    this.maxBackoffMs = parseDuration(d.maxBackoff) as number;
    this.storms = new StormFolder(
      options.alerts.storm.threshold,
      parseDuration(options.alerts.storm.window) as number,
      this.now,
    );
    this.minGapMs = 1000 / d.ratePerSecond;
    this.owner = options.owner ?? 'local';
    this.claimLeaseMs = options.claimLeaseMs ?? 30_000;
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
    this.cancel();
    await this.running;
  }

  /** One pass over the due rows; returns how many rows this replica delivered. */
  async runOnce(): Promise<number> {
    const { store, alerts, metrics } = this.options;
    const due = await store.dueOutbox(this.now(), alerts.delivery.batchSize);
    const byGroup = new Map<string, OutboxItem[]>();
    for (const item of due) {
      const rows = byGroup.get(item.groupKey);
      if (rows) rows.push(item);
      else byGroup.set(item.groupKey, [item]);
    }
    let delivered = 0;
    // Groups another replica holds. A claim left by a replica that died expires within a lease:
    // they are tried again every half lease while this pass runs, so a long backlog does not keep
    // a dead replica's groups waiting until it is through.
    const busy = new Map<string, OutboxItem[]>();
    const attempt = async (groupKey: string, rows: OutboxItem[]) => {
      const result = await this.withClaim(groupKey, (claimed) => this.deliverDue(groupKey, rows, claimed));
      if (result === NOT_CLAIMED) busy.set(groupKey, rows);
      else delivered += result;
    };
    let retryAt = this.now() + this.claimLeaseMs / 2;
    for (const [groupKey, rows] of byGroup) {
      await attempt(groupKey, rows);
      if (busy.size > 0 && this.now() >= retryAt) {
        retryAt = this.now() + this.claimLeaseMs / 2;
        for (const [key, waiting] of [...busy]) {
          busy.delete(key);
          await attempt(key, waiting);
        }
      }
    }
    if (busy.size > 0) metrics.claims?.inc({ outcome: 'busy' }, busy.size);
    await this.flushStorms();
    // A full batch means more rows are waiting: held-back updates wait until they are through.
    if (due.length < alerts.delivery.batchSize) await this.refreshStale(this.staleBudget());
    return delivered;
  }

  /**
   * Delivers a claimed group's rows of this batch, checked again now that no other replica can
   * change them: one that another replica delivered since the batch was read is not sent again.
   * Only their state and attempts are read again; the payloads, which cannot change, are the
   * batch's (parsing them twice was a good part of a pass's work).
   */
  private async deliverDue(
    groupKey: string,
    batch: OutboxItem[],
    claimed: Omit<Claimed, 'since'>,
  ): Promise<number> {
    const { store, alerts } = this.options;
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
        this.record(group),
        items.map((item) => item.id),
        this.owner,
      );
      claimed.released = true;
      await this.tellDelivered(items);
      return items.length;
    } catch (error) {
      // A chat call may have been taken though its answer was lost: the next attempt, here or on
      // another replica, looks before it posts.
      claimed.unsettled = true;
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
      return 0;
    }
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
    return this.withClickClaim(groupKey, async () => {
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
    return this.withClickClaim(groupKey, async () => {
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
    this.cancel();
    const pass = () => {
      this.timer = undefined;
      this.immediate = undefined;
      this.running = this.loop().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        } else this.schedule(this.intervalMs);
      });
    };
    // A kick runs the pass at the end of this turn: setTimeout(0) would add a millisecond to
    // every alert's way to chat.
    if (ms === 0) this.immediate = setImmediate(pass);
    else {
      this.timer = setTimeout(pass, ms);
      this.timer.unref?.();
    }
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
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

  /** Posts or updates the group's posts; returns its new state, for the caller to save. */
  private async deliverGroup(groupKey: string, items: OutboxItem[], claimed: Claimed): Promise<GroupState> {
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
      const mine = posts.find((p) => p.platform === chat.platform && p.channelId === destination.channelId);
      // A row without a post id is an intent: a post may or may not have been made for it.
      const existing = mine?.postId ? mine : undefined;
      if (existing) {
        const ref: PostRef = {
          platform: chat.platform,
          channelId: existing.channelId,
          postId: existing.postId,
        };
        if (group.announced === status && this.storms.inStorm(destination.channelId)) {
          markStale(group, destination.channelId, this.now());
          metrics.posts.inc({ outcome: 'deferred' });
          continue;
        }
        await this.call(() => chat.update(ref, this.render(group, target)));
        metrics.posts.inc({ outcome: 'updated' });
        clearStale(group, destination.channelId);
        await this.tellThread(group, status, ref, claimed);
      } else if (group.folded.includes(destination.channelId) && this.storms.inStorm(destination.channelId)) {
        this.storms.count(destination.channelId, alertnameOf(group), rows.length, false);
      } else if (group.folded.includes(destination.channelId) && status === 'resolved') {
        // Folded into a storm that is over, and resolved since: the summary told of it, and a
        // post now would only say that something nobody saw has ended.
      } else if (
        !group.folded.includes(destination.channelId) &&
        this.storms.inStorm(destination.channelId)
      ) {
        group.folded.push(destination.channelId);
        this.storms.count(destination.channelId, alertnameOf(group), Object.keys(group.alerts).length, true);
        metrics.posts.inc({ outcome: 'stormed' });
      } else {
        await this.postGroup(group, target, destination, mine);
        // A group folded into a storm that has ended gets its own post once it changes again.
        group.folded = group.folded.filter((channelId) => channelId !== destination.channelId);
        this.storms.noteNew(destination.channelId);
      }
    }
    group.announced = status;
    return group;
  }

  /**
   * Makes the group's post in a channel, exactly once: the intent (with the post's key) is stored
   * before the chat call; an intent found here means an earlier attempt died after it, so the
   * post is looked up by its key before posting again.
   */
  private async postGroup(
    group: GroupState,
    target: RouteTarget,
    destination: Destination,
    intent: AlertPost | undefined,
  ): Promise<void> {
    const { chat, store, metrics, log } = this.options;
    const key = intent?.postKey ?? postKey(group.groupKey, destination.channelId);
    const intentAt = intent?.intentAt ?? this.now();
    let ref: PostRef | undefined;
    if (intent) {
      ref = await this.call(async () => chat.findPost?.(destination, key, intentAt));
      if (ref) {
        metrics.posts.inc({ outcome: 'recovered' });
        log.info(
          { groupKey: group.groupKey, channelId: destination.channelId, postId: ref.postId },
          'found the post an earlier attempt made before it died; not posting again',
        );
      }
    } else {
      await store.recordAlertPostIntent({
        groupKey: group.groupKey,
        platform: chat.platform,
        channelId: destination.channelId,
        postKey: key,
        intentAt,
      });
    }
    if (!ref) {
      const message = this.render(group, target);
      ref = await this.call(() => chat.post(destination, message, { key }));
      metrics.posts.inc({ outcome: 'posted' });
    }
    const saved = await store.saveAlertPost({
      groupKey: group.groupKey,
      platform: chat.platform,
      channelId: destination.channelId,
      postId: ref.postId,
      postKey: key,
      intentAt,
    });
    if (!saved)
      // Cannot happen under the group claim; if it does, say which post is left over.
      log.error(
        { groupKey: group.groupKey, channelId: destination.channelId, postId: ref.postId },
        'the group already had a post in this channel; this one is left over and will not be updated',
      );
  }

  private async tellThread(
    group: GroupState,
    status: 'firing' | 'resolved',
    ref: PostRef,
    claimed: Claimed,
  ): Promise<void> {
    if (group.announced === undefined || group.announced === status) return;
    const thread: Destination = { channelId: ref.channelId, threadId: ref.postId };
    const { chat } = this.options;
    // The same state gives the same key: a retry of this very reply finds it (or Mattermost's
    // pending_post_id folds it) instead of telling the thread twice.
    const moment = status === 'resolved' ? groupEndedAt(group) : latestStart(group);
    const key = postKey(group.groupKey, ref.channelId, `reply:${status}:${moment ?? ''}`);
    if (claimed.claim === 'recovered' && chat.findPost) {
      const found = await this.call(async () => chat.findPost?.(thread, key, claimed.since - 60_000));
      if (found) return;
    }
    let text: string;
    if (status === 'resolved') {
      const started = groupStartedAt(group);
      const ended = groupEndedAt(group) ?? this.now();
      text = started === undefined ? 'Resolved.' : `Resolved after ${humanDuration(ended - started)}.`;
    } else text = 'Firing again.';
    await this.call(() =>
      chat.post(thread, { text, severity: status === 'resolved' ? 'ok' : 'warning' }, { key }),
    );
  }

  private render(group: GroupState, target: RouteTarget) {
    const timeZone = this.options.timeZone ?? 'UTC';
    return renderGroup(
      group,
      target.mention ? { now: this.now(), timeZone, mention: target.mention } : { now: this.now(), timeZone },
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
      if (post.platform !== chat.platform || !post.postId) continue;
      const target = targets.get(post.channelId) ?? { channel: post.channelId };
      const ref: PostRef = { platform: post.platform, channelId: post.channelId, postId: post.postId };
      await this.call(() => chat.update(ref, this.render(group, target)));
      clearStale(group, post.channelId);
    }
    // Any post held back in a storm now shows the latest state too.
    if ((group.stale?.length ?? 0) !== behind) await this.save(group);
  }

  // --- storms ---------------------------------------------------------------------------------

  /** Held-back updates per pass: half a second of the chat rate, so new rows wait little. */
  private staleBudget(): number {
    return Math.max(1, Math.floor(this.options.alerts.delivery.ratePerSecond / 2));
  }

  /** Brings the posts that fell behind in a storm up to date, the longest behind first. */
  private async refreshStale(budget: number): Promise<void> {
    const { chat, store, log, metrics } = this.options;
    for (const groupKey of await store.staleAlertGroups(budget)) {
      try {
        await this.withClaim(groupKey, async () => {
          const group = await this.load(groupKey);
          if (!group?.stale) return;
          const targets = await this.targetsByChannel(group);
          const posts = await store.findAlertPosts(groupKey);
          for (const channelId of [...group.stale]) {
            const post = posts.find(
              (p) => p.platform === chat.platform && p.channelId === channelId && p.postId !== '',
            );
            if (post) {
              const ref: PostRef = { platform: post.platform, channelId, postId: post.postId };
              const target = targets.get(channelId) ?? { channel: channelId };
              await this.call(() => chat.update(ref, this.render(group, target)));
              metrics.posts.inc({ outcome: 'updated' });
            }
            clearStale(group, channelId);
            await this.save(group);
          }
        });
      } catch (error) {
        // Still marked stale, now at the back of the queue, so a post that cannot be updated
        // (deleted in chat, say) does not hold up the others; a later pass tries it again.
        log.warn({ err: error, groupKey }, 'refreshing a post held back in a storm failed; will retry');
        await this.withClaim(groupKey, async () => {
          const group = await this.load(groupKey);
          if (!group?.stale) return;
          group.staleSince = this.now();
          await this.save(group);
        }).catch(() => undefined);
      }
    }
  }

  /** One post (then an update at most once a second) per stormy channel: the coalesced summary. */
  private async flushStorms(): Promise<void> {
    const { chat, alerts, log } = this.options;
    for (const summary of this.storms.due()) {
      const message = renderStorm(
        summary.stats,
        alerts.storm.threshold,
        alerts.storm.window,
        this.options.timeZone,
      );
      try {
        const ref = summary.ref;
        if (ref) await this.call(() => chat.update(ref, message));
        summary.sent(ref ?? (await this.call(() => chat.post({ channelId: summary.channelId }, message))));
      } catch (error) {
        // The rows behind it are already safe in the store; the summary is tried again next pass.
        log.warn({ err: error, channelId: summary.channelId }, 'storm summary not posted; will retry');
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

  /**
   * Runs `work` holding the group's claim in the store (and the in-process lock), renewing it
   * while the work runs and releasing it after. NOT_CLAIMED when another replica holds it and
   * `waitMs` passed without it letting go.
   */
  private async withClaim<T>(
    groupKey: string,
    work: (claimed: Omit<Claimed, 'since'>) => Promise<T>,
    waitMs = 0,
  ): Promise<T | typeof NOT_CLAIMED> {
    const { store, log, metrics } = this.options;
    return this.withGroup(groupKey, async () => {
      const giveUpAt = this.now() + waitMs;
      let claim = await store.claimAlertGroup(groupKey, this.owner, this.now(), this.claimLeaseMs);
      while (!claim && this.now() < giveUpAt) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        claim = await store.claimAlertGroup(groupKey, this.owner, this.now(), this.claimLeaseMs);
      }
      if (!claim) return NOT_CLAIMED;
      if (claim === 'recovered') {
        metrics.claims?.inc({ outcome: 'recovered' });
        log.info({ groupKey }, 'took over an alert group a replica left claimed (it died mid-delivery)');
      }
      const renew = setInterval(() => {
        store.renewAlertGroup(groupKey, this.owner, this.now(), this.claimLeaseMs).then(
          (held) => {
            if (!held)
              log.error({ groupKey }, 'lost the claim on an alert group while delivering it (lease expired)');
          },
          (error: unknown) => log.warn({ err: error, groupKey }, 'renewing an alert group claim failed'),
        );
      }, this.claimLeaseMs / 3);
      renew.unref?.();
      const claimed: Omit<Claimed, 'since'> = { claim };
      try {
        return await work(claimed);
      } catch (error) {
        claimed.unsettled = true;
        throw error;
      } finally {
        clearInterval(renew);
        if (!claimed.released)
          await store
            .releaseAlertGroup(groupKey, this.owner, claimed.unsettled === true)
            .catch((error: unknown) =>
              log.warn(
                { err: error, groupKey },
                'releasing an alert group claim failed; it expires by itself',
              ),
            );
      }
    });
  }

  /** A button click's work on a group: waits a while for a replica that is delivering it. */
  private async withClickClaim(groupKey: string, work: () => Promise<boolean>): Promise<boolean> {
    const result = await this.withClaim(groupKey, work, CLICK_CLAIM_WAIT_MS);
    if (result === NOT_CLAIMED)
      throw new Error('another replica is busy updating this alert post; try again in a moment');
    return result;
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
    await this.options.store.saveAlertGroup(this.record(group));
  }

  private record(group: GroupState): AlertGroupRecord {
    return {
      groupKey: group.groupKey,
      data: group as unknown as Record<string, unknown>,
      updatedAt: this.now(),
      ...(group.staleSince === undefined ? {} : { staleSince: group.staleSince }),
    };
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
