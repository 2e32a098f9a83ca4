/**
 * The webhook over fastify's inject (the real HTTP layer, no socket): who may call it, what it
 * accepts, and that a retried webhook is stored once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerAlertWebhook } from '../../../handlers/alertmanager-webhook.js';
import { createAlertMetrics } from '../../../src/alerts/metrics.js';
import { SqlStore } from '../../../src/store/sql-store.js';
import { SqliteDriver } from '../../../src/store/sqlite-driver.js';
import { alert, payload } from '../../support/alert-payloads.js';

const TOKEN = 'test-token-0123456789';
let app: FastifyInstance;
let store: SqlStore;
let registry: Registry;
let kicks = 0;

async function setup(token: string | undefined, maxBodyBytes = 1024 * 1024) {
  store = new SqlStore(new SqliteDriver(':memory:'));
  await store.migrate();
  registry = new Registry();
  app = Fastify();
  kicks = 0;
  registerAlertWebhook({
    http: app,
    store,
    log: pino({ level: 'silent' }),
    metrics: createAlertMetrics(registry, store),
    token,
    maxBodyBytes,
    onStored: () => kicks++,
  });
  await app.ready();
}

function post(
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
  url = '/hooks/alertmanager',
) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

afterEach(async () => {
  await app.close();
  await store.close();
});

describe('the Alertmanager webhook', () => {
  beforeEach(() => setup(TOKEN));

  it('answers 401 without the right bearer token, and stores nothing', async () => {
    const body = payload([alert()]);
    expect((await post(body, {})).statusCode).toBe(401);
    expect((await post(body, { authorization: 'Bearer wrong' })).statusCode).toBe(401);
    expect((await post(body, { authorization: `Basic ${TOKEN}` })).statusCode).toBe(401);
    expect((await post(body, { authorization: `Bearer ${TOKEN}x` })).statusCode).toBe(401);
    expect((await store.countOutbox()).pending).toBe(0);
  });

  it('answers 400 for malformed JSON and for a payload of the wrong shape or version', async () => {
    expect((await post('{"version": "4", ')).statusCode).toBe(400);
    expect((await post({ hello: 'world' })).statusCode).toBe(400);
    expect((await post({ ...payload([alert()]), version: '3' })).statusCode).toBe(400);
    const noFingerprint = payload([alert()]);
    (noFingerprint.alerts[0] as { fingerprint?: string }).fingerprint = undefined;
    const response = await post(noFingerprint);
    expect(response.statusCode).toBe(400);
    expect(response.json().problems.join()).toContain('alerts.0.fingerprint');
    expect((await store.countOutbox()).pending).toBe(0);
  });

  it('answers 200 once the alerts are in the outbox, and stores a retried webhook once', async () => {
    const body = payload([alert({ labels: { pod: 'a' } }), alert({ labels: { pod: 'b' } })]);
    const first = await post(body);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ stored: 2, duplicates: 0 });
    expect((await store.countOutbox()).pending).toBe(2);
    const retry = await post(body, undefined, '/hooks/alertmanager/platform');
    expect(retry.json()).toEqual({ stored: 0, duplicates: 2 });
    expect((await store.countOutbox()).pending).toBe(2);
    expect(kicks).toBe(1);
    // The same alert resolving is news; firing again later (a new start) is news too.
    await post(
      payload([alert({ labels: { pod: 'a' }, status: 'resolved', endsAt: '2026-11-23T12:00:00Z' })]),
    );
    await post(payload([alert({ labels: { pod: 'a' }, startsAt: '2026-11-23T13:00:00Z' })]));
    expect((await store.countOutbox()).pending).toBe(4);
    const metrics = await registry.getSingleMetricAsString('coxswain_alerts_received_total');
    expect(metrics).toContain('coxswain_alerts_received_total{status="firing"} 3');
    expect(metrics).toContain('coxswain_alerts_received_total{status="resolved"} 1');
    expect(await registry.getSingleMetricAsString('coxswain_outbox_pending')).toContain(
      'coxswain_outbox_pending 4',
    );
  });

  it('keeps the receiver named in the path with the row', async () => {
    await post(payload([alert()]), undefined, '/hooks/alertmanager/databases');
    const [row] = await store.dueOutbox(Date.now() + 1000, 10);
    expect(row?.payload.pathReceiver).toBe('databases');
  });
});

describe('the webhook limits', () => {
  it('answers 413 over maxBodyBytes', async () => {
    await setup(TOKEN, 2048);
    const big = payload([alert({ annotations: { description: 'x'.repeat(4096) } })]);
    expect((await post(big)).statusCode).toBe(413);
    expect((await post(payload([alert()]))).statusCode).toBe(200);
  });

  it('refuses everything when no token is configured', async () => {
    await setup(undefined);
    const response = await post(payload([alert()]), { authorization: 'Bearer ' });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toMatch(/no alert webhook token configured/);
    expect((await post(payload([alert()]), { authorization: 'Bearer undefined' })).statusCode).toBe(401);
  });
});

describe('group commit of the outbox', () => {
  /** The real SQLite store, with its outbox transaction counted and held until `commit()`. */
  function heldStore() {
    const inner = new SqlStore(new SqliteDriver(':memory:'));
    const transactions: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let fail: Error | undefined;
    const held = Object.create(inner) as SqlStore;
    held.enqueueOutboxBatch = async (items) => {
      transactions.push(items.length);
      await gate;
      if (fail) throw fail;
      return inner.enqueueOutboxBatch(items);
    };
    return {
      inner,
      held,
      transactions,
      commit: () => release(),
      failCommit: (error: Error) => {
        fail = error;
        release();
      },
    };
  }

  async function appOn(held: SqlStore) {
    await held.migrate();
    registry = new Registry();
    store = held;
    app = Fastify();
    registerAlertWebhook({
      http: app,
      store: held,
      log: pino({ level: 'silent' }),
      metrics: createAlertMetrics(registry, held),
      token: TOKEN,
      maxBodyBytes: 1024 * 1024,
    });
    await app.ready();
  }

  const webhooks = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      payload([alert({ labels: { pod: `p${i}-a` } }), alert({ labels: { pod: `p${i}-b` } })], {
        groupKey: `{}:{alertname="DiskFull", pod="p${i}"}`,
      }),
    );

  it('commits webhooks arriving together in one transaction and answers none before the commit', async () => {
    const s = heldStore();
    await appOn(s.held);
    const answered: number[] = [];
    const responses = webhooks(8).map((body, i) =>
      post(body).then((response) => {
        answered.push(i);
        return response;
      }),
    );
    await waitUntil(() => s.transactions.length > 0);
    // Another turn or two: a webhook answered before its commit would show up now.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(s.transactions).toEqual([16]);
    expect(answered).toEqual([]);
    expect((await s.inner.countOutbox()).pending).toBe(0);
    s.commit();
    const done = await Promise.all(responses);
    expect(done.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    expect(done.map((r) => r.json())).toEqual(Array(8).fill({ stored: 2, duplicates: 0 }));
    expect((await s.inner.countOutbox()).pending).toBe(16);
    expect(s.transactions).toEqual([16]);
  });

  it('tells each webhook of a group its own duplicates (a retry inside the same group)', async () => {
    const s = heldStore();
    await appOn(s.held);
    const [first] = webhooks(1);
    const responses = [post(first), post(first)];
    await waitUntil(() => s.transactions.length > 0);
    s.commit();
    const [a, b] = await Promise.all(responses);
    expect(s.transactions).toEqual([4]);
    expect([a?.json(), b?.json()]).toEqual([
      { stored: 2, duplicates: 0 },
      { stored: 0, duplicates: 2 },
    ]);
  });

  it('answers no 200 to any webhook of a group whose commit fails, and stores none of them', async () => {
    const s = heldStore();
    await appOn(s.held);
    const responses = webhooks(5).map((body) => post(body));
    await waitUntil(() => s.transactions.length > 0);
    s.failCommit(new Error('disk I/O error'));
    const done = await Promise.all(responses);
    expect(done.map((r) => r.statusCode)).toEqual(Array(5).fill(500));
    expect((await s.inner.countOutbox()).pending).toBe(0);
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

describe('the 200 waits for the disk, delivery does not', () => {
  it('wakes delivery once the rows are committed and answers only after the WAL is flushed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coxswain-webhook-flush-'));
    let releaseFlush!: () => void;
    let flushes = 0;
    class HeldFlush extends SqliteDriver {
      override async flush(): Promise<void> {
        flushes++;
        await new Promise<void>((resolve) => {
          releaseFlush = resolve;
        });
        return super.flush();
      }
    }
    store = new SqlStore(new HeldFlush(join(dir, 'coxswain.db')));
    await store.migrate();
    registry = new Registry();
    app = Fastify();
    let woken = 0;
    registerAlertWebhook({
      http: app,
      store,
      log: pino({ level: 'silent' }),
      metrics: createAlertMetrics(registry, store),
      token: TOKEN,
      maxBodyBytes: 1024 * 1024,
      onStored: () => woken++,
    });
    await app.ready();
    let answered = false;
    const response = post(payload([alert({ labels: { pod: 'a' } }), alert({ labels: { pod: 'b' } })])).then(
      (r) => {
        answered = true;
        return r;
      },
    );
    await waitUntil(() => flushes === 1);
    // Committed and readable, delivery told, and no answer while the disk has not got it.
    expect((await store.countOutbox()).pending).toBe(2);
    expect(woken).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    releaseFlush();
    expect((await response).statusCode).toBe(200);
    rmSync(dir, { recursive: true, force: true });
  });
});
