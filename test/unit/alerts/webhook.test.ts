/**
 * The webhook over fastify's inject (the real HTTP layer, no socket): who may call it, what it
 * accepts, and that a retried webhook is stored once.
 */
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
