/**
 * Delivery from the outbox with a fake clock: one post per group, updates to the same post,
 * a thread reply on resolution, coalescing, storms, and retries through a chat outage.
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
let slept: number[];

function delivery(
  alerts: Record<string, unknown> = {},
  onDelivered?: (alert: { fingerprint: string; state: string }) => Promise<unknown>,
) {
  const config = configSchema.parse({
    alerts: { routes: [{ matchers: ['cluster="infra"'], channels: ['infra'] }], ...alerts },
  });
  return new AlertDelivery({
    store,
    chat,
    router: new AlertRouter(config.alerts),
    log: pino({ level: 'silent' }),
    metrics: createAlertMetrics(registry, store),
    alerts: config.alerts,
    now: () => clock.now,
    sleep: async (ms) => {
      slept.push(ms);
      clock.now += ms;
    },
    ...(onDelivered ? { onDelivered } : {}),
  });
}

/** What the webhook does: one outbox row per alert. */
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

beforeEach(async () => {
  store = new SqlStore(new SqliteDriver(':memory:'));
  await store.migrate();
  chat = new RecordingChat();
  clock = { now: Date.parse('2026-11-23T12:00:00Z') };
  registry = new Registry();
  slept = [];
});
afterEach(() => store.close());

describe('alert delivery', () => {
  it('posts a group once, updates the same post when it changes, and replies in its thread when resolved', async () => {
    const d = delivery();
    const firing = alert({ startsAt: '2026-11-23T11:48:00Z' });
    await receive(payload([firing]));
    expect(await d.runOnce()).toBe(1);
    expect(chat.calls).toHaveLength(1);
    expect(chat.calls[0]).toMatchObject({ kind: 'post', channelId: 'infra', postId: 'p1' });
    expect(chat.calls[0]?.message.title).toBe('FIRING: DiskFull');

    // Alertmanager sends the group again (repeat): already stored, nothing new to say.
    await receive(payload([firing]));
    expect(await d.runOnce()).toBe(0);

    const second = alert({ labels: { pod: 'db-1' }, startsAt: '2026-11-23T11:55:00Z' });
    await receive(payload([firing, second], { groupKey: payload([firing]).groupKey }));
    await d.runOnce();
    expect(chat.calls[1]).toMatchObject({ kind: 'update', postId: 'p1' });
    expect(chat.calls[1]?.message.title).toBe('FIRING (2): DiskFull');

    const ended = '2026-11-23T12:00:00Z';
    await receive(
      payload(
        [
          { ...firing, status: 'resolved', endsAt: ended },
          { ...second, status: 'resolved', endsAt: ended },
        ],
        { groupKey: payload([firing]).groupKey },
      ),
    );
    await d.runOnce();
    expect(chat.calls.slice(2)).toEqual([
      expect.objectContaining({ kind: 'update', postId: 'p1' }),
      expect.objectContaining({
        kind: 'post',
        threadId: 'p1',
        message: expect.objectContaining({ text: 'Resolved after 12 min.' }),
      }),
    ]);
    expect(chat.calls[2]?.message.title).toBe('RESOLVED (2): DiskFull');
    expect(chat.posts).toHaveLength(1);
    expect(await store.countOutbox()).toEqual({ pending: 0, delivered: 4, failed: 0 });
    expect(await registry.getSingleMetricAsString('coxswain_alert_posts_total')).toContain(
      'coxswain_alert_posts_total{outcome="posted"} 1',
    );
  });

  it('coalesces many changes to one group within a pass into one update', async () => {
    const d = delivery();
    const base = payload([alert()]);
    await receive(base);
    await d.runOnce();
    for (let i = 0; i < 50; i++)
      await receive(payload([alert({ labels: { pod: `p${i}` } })], { groupKey: base.groupKey }));
    await d.runOnce();
    expect(chat.calls.map((c) => c.kind)).toEqual(['post', 'update']);
    expect(chat.calls[1]?.message.title).toBe('FIRING (51): DiskFull');
    expect((await store.countOutbox()).delivered).toBe(51);
  });

  it('keeps to the chat rate limit', async () => {
    const d = delivery({ delivery: { ratePerSecond: 4 } });
    for (let i = 0; i < 5; i++) await receive(payload([alert({ labels: { alertname: `A${i}` } })]));
    const started = clock.now;
    await d.runOnce();
    expect(chat.posts).toHaveLength(5);
    expect(clock.now - started).toBeGreaterThanOrEqual(1000);
    expect(slept.every((ms) => ms <= 250)).toBe(true);
  });

  it('posts one storm summary past the threshold, drops nothing, and posts normally once calm', async () => {
    const d = delivery({ storm: { threshold: 5, window: '1m' }, delivery: { ratePerSecond: 1000 } });
    for (let i = 0; i < 40; i++) {
      const name = i % 3 === 0 ? 'NodeDown' : 'PodCrashLooping';
      await receive(
        payload([alert({ labels: { alertname: name, pod: `pod-${i}` } })], { groupKey: `g${i}` }),
      );
    }
    await d.runOnce();
    const summaries = chat.posts.filter((c) => c.message.title === 'Alert storm');
    expect(chat.posts).toHaveLength(6);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]?.message.text).toMatch(
      /^35 alerts in 35 groups since 2026-11-23 12:00 UTC, top: PodCrashLooping \(\d+\), NodeDown \(\d+\)/,
    );
    expect(await store.countOutbox()).toEqual({ pending: 0, delivered: 40, failed: 0 });

    // More groups in the same storm update the one summary, they do not add posts.
    clock.now += 10_000;
    for (let i = 40; i < 45; i++)
      await receive(payload([alert({ labels: { pod: `pod-${i}` } })], { groupKey: `g${i}` }));
    await d.runOnce();
    expect(chat.posts).toHaveLength(6);
    expect(chat.calls.at(-1)).toMatchObject({ kind: 'update', postId: summaries[0]?.postId });
    expect(chat.calls.at(-1)?.message.text).toMatch(/^40 alerts in 40 groups/);

    // A whole window without new groups ends the storm.
    clock.now += 61_000;
    await receive(payload([alert({ labels: { alertname: 'Calm' } })], { groupKey: 'calm' }));
    await d.runOnce();
    expect(chat.posts.at(-1)?.message.title).toBe('FIRING: Calm');
  });

  it('updates a storm summary at most once a second, however many passes change it', async () => {
    const d = delivery({ storm: { threshold: 2, window: '1m' }, delivery: { ratePerSecond: 1000 } });
    let n = 0;
    const newGroup = () =>
      receive(payload([alert({ labels: { alertname: `S${n}` } })], { groupKey: `s${n++}` }));
    const summaries = () => chat.calls.filter((c) => c.message.title === 'Alert storm');
    // Two posts reach the threshold; the third group is folded and the summary posted.
    for (let i = 0; i < 3; i++) await newGroup();
    await d.runOnce();
    expect(summaries()).toHaveLength(1);
    // Five passes within 500 ms each fold one more group: the summary is not touched.
    for (let pass = 0; pass < 5; pass++) {
      clock.now += 100;
      await newGroup();
      await d.runOnce();
    }
    expect(summaries()).toHaveLength(1);
    // The next pass a second after the post (a timer's, with nothing new) sends the latest count.
    clock.now += 600;
    await d.runOnce();
    expect(summaries().map((c) => c.kind)).toEqual(['post', 'update']);
    expect(summaries().at(-1)?.message.text).toMatch(/^6 alerts in 6 groups/);
    // Nothing changed since: no more updates.
    clock.now += 2000;
    await d.runOnce();
    expect(summaries()).toHaveLength(2);
  });

  it('gives a group folded into a storm its own post when it changes after the storm, not when it resolves', async () => {
    const d = delivery({ storm: { threshold: 3, window: '1m' }, delivery: { ratePerSecond: 1000 } });
    const alerts = Array.from({ length: 6 }, (_, i) => alert({ labels: { alertname: `A${i}` } }));
    for (const [i, a] of alerts.entries()) await receive(payload([a], { groupKey: `g${i}` }));
    await d.runOnce();
    const titles = () => chat.posts.map((c) => c.message.title);
    // Three posts reach the threshold; g3..g5 are folded into the summary.
    expect(titles()).toEqual(['FIRING: A0', 'FIRING: A1', 'FIRING: A2', 'Alert storm']);

    // The storm ends after a whole window without new groups.
    clock.now += 61_000;
    const more = alert({ labels: { alertname: 'A3', pod: 'second' } });
    await receive(payload([alerts[3]!, more], { groupKey: 'g3' }));
    await receive(
      payload([{ ...alerts[4]!, status: 'resolved', endsAt: '2026-11-23T12:01:00Z' }], { groupKey: 'g4' }),
    );
    await d.runOnce();
    expect(titles().slice(4)).toEqual(['FIRING (2): A3']);
    expect(await store.countOutbox()).toEqual({ pending: 0, delivered: 8, failed: 0 });

    // Posted now, so its next change updates that post.
    await receive(
      payload([{ ...more, status: 'resolved', endsAt: '2026-11-23T12:02:00Z' }, alerts[3]!], {
        groupKey: 'g3',
      }),
    );
    await d.runOnce();
    expect(chat.calls.at(-1)).toMatchObject({ kind: 'update', postId: chat.posts.at(-1)?.postId });
  });

  describe('posts made before a storm', () => {
    const storm = { storm: { threshold: 3, window: '1m' } };
    /** Three posts reach the threshold; the next new group starts the storm. */
    async function preStorm(d: AlertDelivery): Promise<void> {
      for (let i = 0; i < 3; i++)
        await receive(payload([alert({ labels: { alertname: `Pre${i}` } })], { groupKey: `pre${i}` }));
      while ((await d.runOnce()) > 0);
      expect(chat.posts.map((c) => c.message.title)).toEqual([
        'FIRING: Pre0',
        'FIRING: Pre1',
        'FIRING: Pre2',
      ]);
    }
    const change = (i: number, pod: string) =>
      receive(payload([alert({ labels: { alertname: `Pre${i}`, pod } })], { groupKey: `pre${i}` }));

    it('are updated once, with their latest state, after the backlog; new groups and the summary go first', async () => {
      const d = delivery({ ...storm, delivery: { ratePerSecond: 1000, batchSize: 4 } });
      await preStorm(d);
      const before = chat.calls.length;
      // Four rounds, each changing pre0 and pre1 and bringing two new groups: four full batches.
      for (let round = 0; round < 4; round++) {
        await change(0, `r${round}`);
        await change(1, `r${round}`);
        for (const x of ['a', 'b'])
          await receive(
            payload([alert({ labels: { alertname: `New${round}${x}` } })], { groupKey: `new${round}${x}` }),
          );
      }
      for (let pass = 0; pass < 4; pass++) expect(await d.runOnce()).toBe(4);
      // Through the backlog only the storm summary was sent; both changed posts are behind.
      expect(chat.calls.slice(before).every((c) => c.message.title === 'Alert storm')).toBe(true);
      expect(await store.staleAlertGroups(10)).toEqual(['pre0', 'pre1']);

      expect(await d.runOnce()).toBe(0);
      const updates = chat.calls.slice(before).filter((c) => c.message.title !== 'Alert storm');
      expect(updates.map((c) => [c.kind, c.postId, c.message.title])).toEqual([
        ['update', chat.posts[0]?.postId, 'FIRING (5): Pre0'],
        ['update', chat.posts[1]?.postId, 'FIRING (5): Pre1'],
      ]);
      expect(await store.staleAlertGroups(10)).toEqual([]);
      expect(await store.countOutbox()).toEqual({ pending: 0, delivered: 19, failed: 0 });
      expect(await registry.getSingleMetricAsString('coxswain_alert_posts_total')).toContain(
        'coxswain_alert_posts_total{outcome="deferred"} 8',
      );
    });

    it('are updated at once when their status changes, with the thread reply', async () => {
      const d = delivery({ ...storm, delivery: { ratePerSecond: 1000, batchSize: 4 } });
      await preStorm(d);
      for (let i = 0; i < 3; i++)
        await receive(payload([alert({ labels: { alertname: `New${i}` } })], { groupKey: `new${i}` }));
      await receive(
        payload(
          [alert({ labels: { alertname: 'Pre0' }, status: 'resolved', endsAt: '2026-11-23T12:05:00Z' })],
          {
            groupKey: 'pre0',
          },
        ),
      );
      expect(await d.runOnce()).toBe(4);
      const pre0 = chat.posts[0]?.postId;
      expect(
        chat.calls.filter((c) => c.postId === pre0 && c.kind === 'update').map((c) => c.message.title),
      ).toEqual(['RESOLVED: Pre0']);
      expect(chat.calls.find((c) => c.threadId === pre0)?.message.text).toMatch(/^Resolved after/);
      expect(await store.staleAlertGroups(10)).toEqual([]);
    });

    it('go to the back of the queue when their refresh fails, so one broken post holds up no other', async () => {
      const d = delivery({ ...storm, delivery: { ratePerSecond: 2, batchSize: 10 } });
      await preStorm(d);
      await receive(payload([alert({ labels: { alertname: 'New' } })], { groupKey: 'new' }));
      for (const i of [0, 1, 2]) await change(i, 'later');
      chat.failing = true;
      // Budget 1 a pass (half a second of 2/s): pre0, the longest behind, fails and moves back.
      expect(await d.runOnce()).toBe(4);
      expect(await store.staleAlertGroups(10)).toEqual(['pre1', 'pre2', 'pre0']);
      chat.failing = false;
      clock.now += 1000;
      expect(await d.runOnce()).toBe(0);
      expect(await store.staleAlertGroups(10)).toEqual(['pre2', 'pre0']);
      expect(chat.calls.at(-1)).toMatchObject({ kind: 'update', postId: chat.posts[1]?.postId });
    });

    it('are still refreshed by a bot restarted on the same store', async () => {
      const first = delivery({ ...storm, delivery: { ratePerSecond: 1000, batchSize: 2 } });
      await preStorm(first);
      await receive(payload([alert({ labels: { alertname: 'New' } })], { groupKey: 'new' }));
      await change(2, 'later');
      expect(await first.runOnce()).toBe(2);
      expect(await store.staleAlertGroups(10)).toEqual(['pre2']);
      // The process dies here; a new one starts on the same store with nothing in the outbox.
      registry = new Registry();
      const second = delivery({ ...storm, delivery: { ratePerSecond: 1000, batchSize: 2 } });
      expect(await second.runOnce()).toBe(0);
      expect(chat.calls.at(-1)).toMatchObject({
        kind: 'update',
        postId: chat.posts[2]?.postId,
        message: { title: 'FIRING (2): Pre2' },
      });
      expect(await store.staleAlertGroups(10)).toEqual([]);
    });
  });

  it('retries forever by default, and with maxAttempts marks the rows failed, keeps them and counts it', async () => {
    const d = delivery({ delivery: { maxBackoff: '1s', maxAttempts: 3 } });
    chat.failing = true;
    await receive(payload([alert()]));
    for (let i = 0; i < 5; i++) {
      await d.runOnce();
      clock.now += 2_000;
    }
    expect(await store.countOutbox()).toEqual({ pending: 0, delivered: 0, failed: 1 });
    const metrics = await registry.getMetricsAsJSON();
    const posts = metrics.find((m) => m.name === 'coxswain_alert_posts_total');
    const byOutcome = Object.fromEntries(posts?.values.map((v) => [v.labels.outcome, v.value]) ?? []);
    expect(byOutcome).toEqual({ retried: 2, failed: 1 });
    expect(metrics.find((m) => m.name === 'coxswain_outbox_failed')?.values[0]?.value).toBe(1);
    // A failed row is not tried again.
    chat.failing = false;
    expect(await d.runOnce()).toBe(0);
    expect(chat.posts).toHaveLength(0);
  });

  it('retries through a chat outage with backoff and then delivers each group exactly once', async () => {
    const d = delivery({ delivery: { maxBackoff: '30s' } });
    chat.failing = true;
    for (let i = 0; i < 3; i++)
      await receive(payload([alert({ labels: { alertname: `A${i}` } })], { groupKey: `g${i}` }));
    expect(await d.runOnce()).toBe(0);
    const [row] = await store.dueOutbox(clock.now + 60_000, 1);
    expect(row?.attempts).toBe(1);
    expect(row?.lastError).toBe('chat is down');
    expect(row!.nextAttemptAt).toBeGreaterThan(clock.now);
    // Not due yet: nothing is tried.
    expect(await d.runOnce()).toBe(0);
    for (let i = 0; i < 6; i++) {
      clock.now += 30_000;
      await d.runOnce();
    }
    expect((await store.dueOutbox(clock.now + 60_000, 10))[0]?.attempts).toBe(7);
    chat.failing = false;
    clock.now += 30_000;
    expect(await d.runOnce()).toBe(3);
    expect(chat.posts.map((p) => p.message.title)).toEqual(['FIRING: A0', 'FIRING: A1', 'FIRING: A2']);
    clock.now += 30_000;
    expect(await d.runOnce()).toBe(0);
    expect(chat.posts).toHaveLength(3);
    expect(await store.countOutbox()).toEqual({ pending: 0, delivered: 3, failed: 0 });
  });

  it('tells the incidents feature about every delivered alert, and is not stopped by its failures', async () => {
    const told: string[] = [];
    const d = delivery({}, async (a) => {
      told.push(`${a.fingerprint}:${a.state}`);
      throw new Error('incidents are down');
    });
    const firing = alert();
    await receive(payload([firing]));
    await d.runOnce();
    await receive(payload([{ ...firing, status: 'resolved', endsAt: '2026-11-23T12:00:00Z' }]));
    await d.runOnce();
    expect(told).toEqual([`${firing.fingerprint}:firing`, `${firing.fingerprint}:resolved`]);
    expect(await store.countOutbox()).toEqual({ pending: 0, delivered: 2, failed: 0 });
  });

  it('keeps the on-call mention of a critical post when an acknowledgement updates it', async () => {
    const d = delivery({
      routes: [{ matchers: ['cluster="infra"'], channels: ['#infra'], mention: '@oncall-platform' }],
    });
    chat.channelIds.set('infra', 'ch-7f3a');
    const p = payload([alert({ labels: { severity: 'critical' } })]);
    await receive(p);
    await d.runOnce();
    await d.acknowledge(p.groupKey, 'olivia');
    expect(chat.calls.map((c) => [c.kind, c.channelId, c.message.text.split('\n')[0]])).toEqual([
      ['post', 'ch-7f3a', '@oncall-platform critical alert'],
      ['update', 'ch-7f3a', '@oncall-platform critical alert'],
    ]);
  });

  it('shows acknowledgements and silences on the post', async () => {
    const d = delivery();
    const p = payload([alert()]);
    await receive(p);
    await d.runOnce();
    expect(await d.acknowledge(p.groupKey, 'olivia')).toBe(true);
    expect(await d.acknowledge('unknown', 'olivia')).toBe(false);
    await d.recordSilence(p.groupKey, {
      user: 'olivia',
      id: 's1',
      alertmanager: 'infra',
      until: clock.now + 3_600_000,
      at: clock.now,
    });
    expect(chat.calls.map((c) => [c.kind, c.postId])).toEqual([
      ['post', 'p1'],
      ['update', 'p1'],
      ['update', 'p1'],
    ]);
    expect(chat.calls[2]?.message.text).toContain('Acknowledged by olivia');
    expect(chat.calls[2]?.message.text).toContain('Silenced by olivia until 2026-11-23 13:00 UTC');
  });
});
