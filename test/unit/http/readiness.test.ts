/**
 * Readiness means "can take webhooks": the store answers (and HTTP, which answers the probe).
 * The chat connection is shown in /healthz's details and never makes the pod unready, so a chat
 * outage leaves the Service its endpoints and Alertmanager its way into the outbox.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../../src/http/server.js';
import { createMetrics } from '../../../src/metrics.js';

function server(store: boolean, chat: boolean) {
  return createHttpServer({
    log: pino({ level: 'silent' }),
    metrics: createMetrics({ defaults: false }),
    readiness: [{ name: 'store', check: () => store }],
    details: [{ name: 'chat:mattermost', check: () => chat }],
  });
}

describe('/readyz and /healthz', () => {
  it('a pod with its store and without chat is ready, and /healthz says chat is down', async () => {
    const app = server(true, false);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ ready: true, checks: { store: true } });
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ ok: true, details: { 'chat:mattermost': false } });
  });

  it('a pod without its store is not ready (it could not keep an alert)', async () => {
    const app = server(false, true);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ ready: false, checks: { store: false } });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({
      ok: true,
      details: { 'chat:mattermost': true },
    });
  });
});
