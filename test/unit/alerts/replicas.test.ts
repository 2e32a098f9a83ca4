/**
 * Delivery by several replicas on one store: each group is claimed by one replica at a time, so
 * it is posted once and updated by whichever replica delivers it next; a claim left by a replica
 * that died is taken over after its lease; and a post whose answer never reached the store (the
 * process died between the chat call and the store write) is found by its key, not posted again.
 * The store is the real SQLite implementation; chat is the recording double of the unit tests.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertDelivery } from '../../../src/alerts/delivery.js';
import { createAlertMetrics } from '../../../src/alerts/metrics.js';
import { dedupeKey, type OutboxAlert, type WebhookPayload } from '../../../src/alerts/payload.js';
import { AlertRouter } from '../../../src/alerts/routing.js';
import { configSchema } from '../../../src/config/schema.js';
import { SqlStore } from '../../../src/store/sql-store.js';
import { SqliteDriver } from '../../../src/store/sqlite-driver.js';
import { alert, payload } from '../../support/alert-payloads.js';
import { RecordingChat } from '../../support/recording-chat.js';

let store: SqlStore;
let chat: RecordingChat;
let clock: { now: number };
let registry: Registry;

/** One replica: its own process, so its own metrics registry (`registry` for the first made). */
function replica(owner: string, metrics = new Registry()) {
  const config = configSchema.parse({ alerts: { storm: { threshold: 1000 } } });
  return new AlertDelivery({
    store,
    chat,
    router: new AlertRouter(config.alerts),
    log: pino({ level: 'silent' }),
    metrics: createAlertMetrics(metrics, store),
    alerts: config.alerts,
    owner,
    claimLeaseMs: 30_000,
    now: () => clock.now,
    sleep: async (ms) => {
      clock.now += ms;
    },
  });
}

async function receive(p: WebhookPayload): Promise<void> {
  for (const a of p.alerts) {
    const row: OutboxAlert = {
      groupKey: p.groupKey,
      receiver: p.receiver,
      groupLabels: p.groupLabels,
      commonLabels: p.commonLabels,
      commonAnnotations: p.commonAnnotations,
      externalURL: p.externalURL,
      alert: a,
    };
    await store.enqueueOutbox({
      dedupeKey: dedupeKey(p.groupKey, a),
      groupKey: p.groupKey,
      payload: row as unknown as Record<string, unknown>,
      nextAttemptAt: clock.now,
      receivedAt: clock.now,
    });
  }
}

const group = (i: number, pod = 'a') =>
  payload([alert({ labels: { alertname: `Probe${i}`, pod } })], { groupKey: `g${i}` });

beforeEach(async () => {
  store = new SqlStore(new SqliteDriver(':memory:'));
  await store.migrate();
  chat = new RecordingChat();
  clock = { now: Date.parse('2026-12-04T12:00:00Z') };
  registry = new Registry();
});
afterEach(() => store.close());

describe('two replicas delivering from one store', () => {
  it('post each group once when both run at the same time, and update it from either', async () => {
    const [a, b] = [replica('a'), replica('b')];
    for (let i = 0; i < 20; i++) await receive(group(i));
    chat.postDelayTicks = 3; // both passes are in flight together
    const [byA, byB] = await Promise.all([a.runOnce(), b.runOnce()]);
    expect(byA + byB).toBe(20);
    expect(chat.posts).toHaveLength(20);
    expect(new Set(chat.posts.map((p) => p.message.title)).size).toBe(20);

    // The next change of each group goes to its post, whichever replica delivers it.
    for (let i = 0; i < 20; i++) await receive(group(i, 'b'));
    await Promise.all([b.runOnce(), a.runOnce()]);
    expect(chat.posts).toHaveLength(20);
    const updates = chat.calls.filter((c) => c.kind === 'update');
    expect(updates).toHaveLength(20);
    expect(new Set(updates.map((u) => u.postId))).toEqual(new Set(chat.posts.map((p) => p.postId)));
    expect(await store.countOutbox()).toEqual({ pending: 0, delivered: 40, failed: 0 });
  });

  it('leave a group claimed by a replica that died alone until the lease runs out, then take it over', async () => {
    await receive(group(1));
    expect(await store.claimAlertGroup('g1', 'dead', clock.now, 30_000)).toBe('fresh');
    const live = replica('live', registry);
    expect(await live.runOnce()).toBe(0);
    expect(chat.posts).toHaveLength(0);
    clock.now += 30_001;
    expect(await live.runOnce()).toBe(1);
    expect(chat.posts).toHaveLength(1);
    expect(await registry.getSingleMetricAsString('coxswain_alert_group_claims_total')).toContain(
      'coxswain_alert_group_claims_total{outcome="recovered"} 1',
    );
  });
});

describe('a post whose answer never reached the store', () => {
  it('is found by its key on the retry and not posted again', async () => {
    const d = replica('a', registry);
    await receive(group(1));
    chat.loseNextAnswer = true;
    expect(await d.runOnce()).toBe(0); // the post exists in chat; the store does not know its id
    expect(chat.posts).toHaveLength(1);
    clock.now += 60_000;
    expect(await d.runOnce()).toBe(1);
    expect(chat.posts).toHaveLength(1);
    const [saved] = await store.findAlertPosts('g1');
    expect(saved?.postId).toBe(chat.posts[0]?.postId);
    expect(chat.posts[0]?.key).toBe(saved?.postKey);
    expect(await registry.getSingleMetricAsString('coxswain_alert_posts_total')).toContain(
      'coxswain_alert_posts_total{outcome="recovered"} 1',
    );
  });

  it('a resolved reply whose answer was lost is not told twice', async () => {
    const d = replica('a');
    await receive(group(1));
    await d.runOnce();
    await receive(
      payload([alert({ labels: { alertname: 'Probe1', pod: 'a' }, status: 'resolved' })], { groupKey: 'g1' }),
    );
    // The reply reaches chat, but its answer is lost before the store hears of it.
    chat.loseNextAnswer = true;
    await d.runOnce();
    const replies = () => chat.calls.filter((c) => c.kind === 'post' && c.threadId);
    expect(replies()).toHaveLength(1);
    clock.now += 60_000;
    // Another replica retries: the claim was left unsettled, so it looks for the reply first.
    await replica('b').runOnce();
    expect(replies()).toHaveLength(1);
    expect(await store.countOutbox()).toMatchObject({ pending: 0 });
  });
});

describe('a long pass', () => {
  it('takes over a dead replica’s group once its lease runs out, not only after the whole backlog', async () => {
    // One post every 5 s (fake clock): the 12 groups take a minute, the lease is 30 s.
    const config = configSchema.parse({
      alerts: { storm: { threshold: 1000 }, delivery: { ratePerSecond: 0.2 } },
    });
    const d = new AlertDelivery({
      store,
      chat,
      router: new AlertRouter(config.alerts),
      log: pino({ level: 'silent' }),
      metrics: createAlertMetrics(registry, store),
      alerts: config.alerts,
      owner: 'live',
      claimLeaseMs: 30_000,
      now: () => clock.now,
      sleep: async (ms) => {
        clock.now += ms;
      },
    });
    for (let i = 0; i < 12; i++) await receive(group(i));
    expect(await store.claimAlertGroup('g0', 'dead', clock.now, 30_000)).toBe('fresh');
    expect(await d.runOnce()).toBe(12);
    const order = chat.posts.map((p) => p.message.title);
    expect(order.indexOf('FIRING: Probe0')).toBeGreaterThan(0);
    expect(order.indexOf('FIRING: Probe0')).toBeLessThan(order.length - 1);
  });
});
