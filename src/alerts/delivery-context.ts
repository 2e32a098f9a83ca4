/**
 * What every part of alert delivery works with: the options, the clock, chat calls spaced to the
 * configured rate, the group as stored, and how a group is rendered for one of its routes. One
 * instance per AlertDelivery, shared by the per-group pass (deliver-group.ts), the exactly-once
 * post (post-once.ts) and the refreshes (post-refresh.ts), so they share one rate limit: in a
 * storm the chat rate is the scarce thing, and two pacers would each spend all of it.
 */
import { parseDuration } from '../duration.js';
import type { Logger } from '../log.js';
import type { Message } from '../message.js';
import type { ChatPort } from '../ports.js';
import type { AlertGroupRecord, Store } from '../store/store.js';
import type { AlertsConfig } from './config-schema.js';
import { type GroupState, groupLabelsForRouting } from './group.js';
import type { AlertMetrics } from './metrics.js';
import { renderGroup } from './render.js';
import type { AlertRouter, RouteTarget } from './routing.js';

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

export class DeliveryContext {
  readonly now: () => number;
  readonly maxBackoffMs: number;
  /** This replica's name in group claims. */
  readonly owner: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly minGapMs: number;
  private lastChatCall = Number.NEGATIVE_INFINITY;

  constructor(readonly options: DeliveryOptions) {
    this.now = options.now ?? Date.now;
    this.owner = options.owner ?? 'local';
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.maxBackoffMs = parseDuration(options.alerts.delivery.maxBackoff) as number;
    this.minGapMs = 1000 / options.alerts.delivery.ratePerSecond;
  }

  /** Spaces chat calls to the configured rate. */
  async call<T>(work: () => Promise<T>): Promise<T> {
    const wait = this.lastChatCall + this.minGapMs - this.now();
    if (wait > 0) await this.sleep(wait);
    this.lastChatCall = this.now();
    return work();
  }

  render(group: GroupState, target: RouteTarget): Message {
    const timeZone = this.options.timeZone ?? 'UTC';
    return renderGroup(
      group,
      target.mention ? { now: this.now(), timeZone, mention: target.mention } : { now: this.now(), timeZone },
    );
  }

  /** The group's routes by channel id, as its posts were saved, so each keeps its route's mention. */
  async targetsByChannel(group: GroupState): Promise<Map<string, RouteTarget>> {
    const { chat, router } = this.options;
    const targets = new Map<string, RouteTarget>();
    for (const target of router.route(groupLabelsForRouting(group), chat.platform)) {
      targets.set((await chat.resolveChannel(target.channel)).channelId, target);
    }
    return targets;
  }

  async load(groupKey: string): Promise<GroupState | undefined> {
    const record = await this.options.store.getAlertGroup(groupKey);
    return record ? (record.data as unknown as GroupState) : undefined;
  }

  async save(group: GroupState): Promise<void> {
    await this.options.store.saveAlertGroup(this.record(group));
  }

  /** The group as the store keeps it. */
  record(group: GroupState): AlertGroupRecord {
    return {
      groupKey: group.groupKey,
      data: group as unknown as Record<string, unknown>,
      updatedAt: this.now(),
      ...(group.staleSince === undefined ? {} : { staleSince: group.staleSince }),
    };
  }
}
