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
 *
 * This file is the loop (a pass per interval or kick, draining a backlog) and the entry points
 * for buttons; the parts are beside it: group-claims.ts (claims and leases), deliver-group.ts
 * (the per-group pass: route, render, post, record), post-once.ts (the post intent and its
 * recovery), post-refresh.ts (clicks, held-back posts, storm summaries), storm.ts (folding),
 * delivery-context.ts (options, clock, the paced chat call, the stored group).
 */
import { parseDuration } from '../duration.js';
import type { PostRef } from '../ports.js';
import type { OutboxItem } from '../store/store.js';
import { GroupDelivery } from './deliver-group.js';
import { DeliveryContext, type DeliveryOptions } from './delivery-context.js';
import type { GroupSilence, GroupState } from './group.js';
import { GroupClaims, NOT_CLAIMED } from './group-claims.js';
import { flushStorms, refreshPosts, refreshStale, staleBudget } from './post-refresh.js';
import { StormFolder } from './storm.js';

export class AlertDelivery {
  private readonly dc: DeliveryContext;
  private readonly claims: GroupClaims;
  private readonly groups: GroupDelivery;
  private readonly intervalMs: number;
  private readonly storms: StormFolder<PostRef>;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: DeliveryOptions) {
    this.dc = new DeliveryContext(options);
    const now = this.dc.now;
    this.intervalMs = parseDuration(options.alerts.delivery.interval) as number;
    this.storms = new StormFolder(
      options.alerts.storm.threshold,
      parseDuration(options.alerts.storm.window) as number,
      now,
    );
    this.claims = new GroupClaims({
      store: options.store,
      log: options.log,
      metrics: options.metrics,
      owner: this.dc.owner,
      leaseMs: options.claimLeaseMs ?? 30_000,
      now,
    });
    this.groups = new GroupDelivery(this.dc, this.storms);
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
    const now = this.dc.now;
    const leaseMs = this.claims.leaseMs;
    const due = await store.dueOutbox(now(), alerts.delivery.batchSize);
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
      const result = await this.claims.withClaim(groupKey, (claimed) =>
        this.groups.deliverDue(groupKey, rows, claimed),
      );
      if (result === NOT_CLAIMED) busy.set(groupKey, rows);
      else delivered += result;
    };
    let retryAt = now() + leaseMs / 2;
    for (const [groupKey, rows] of byGroup) {
      await attempt(groupKey, rows);
      if (busy.size > 0 && now() >= retryAt) {
        retryAt = now() + leaseMs / 2;
        for (const [key, waiting] of [...busy]) {
          busy.delete(key);
          await attempt(key, waiting);
        }
      }
    }
    if (busy.size > 0) metrics.claims?.inc({ outcome: 'busy' }, busy.size);
    await flushStorms(this.dc, this.storms);
    // A full batch means more rows are waiting: held-back updates wait until they are through.
    if (due.length < alerts.delivery.batchSize)
      await refreshStale(this.dc, this.claims, staleBudget(this.dc));
    return delivered;
  }

  /** Records an acknowledgement and shows it on the group's posts. */
  acknowledge(groupKey: string, user: string): Promise<boolean> {
    return this.claims.withClickClaim(groupKey, async () => {
      const group = await this.dc.load(groupKey);
      if (!group) return false;
      if (!group.acks.some((a) => a.user === user)) group.acks.push({ user, at: this.dc.now() });
      await this.dc.save(group);
      await refreshPosts(this.dc, group);
      return true;
    });
  }

  /** Records a silence made from the post and shows who made it. */
  recordSilence(groupKey: string, silence: GroupSilence): Promise<boolean> {
    return this.claims.withClickClaim(groupKey, async () => {
      const group = await this.dc.load(groupKey);
      if (!group) return false;
      group.silences.push(silence);
      await this.dc.save(group);
      await refreshPosts(this.dc, group);
      return true;
    });
  }

  async group(groupKey: string): Promise<GroupState | undefined> {
    return this.dc.load(groupKey);
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
}
