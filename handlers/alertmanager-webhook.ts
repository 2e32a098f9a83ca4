/**
 * Alertmanager's webhook: `POST /hooks/alertmanager` and `/hooks/alertmanager/:receiver`.
 * The bearer token is checked before the body is read (401), the body must be a version 4
 * payload (400) no larger than alerts.webhook.maxBodyBytes (413), and 200 is answered only once
 * every alert is in the store's outbox. A retried webhook finds its rows already there.
 * Webhooks arriving together are committed together (src/store/outbox-group-commit.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AlertMetrics } from '../src/alerts/metrics.js';
import { dedupeKey, type OutboxAlert, webhookPayloadSchema } from '../src/alerts/payload.js';
import type { Logger } from '../src/log.js';
import { OutboxGroupCommit } from '../src/store/outbox-group-commit.js';
import type { Store } from '../src/store/store.js';

export interface AlertWebhookOptions {
  http: FastifyInstance;
  store: Store;
  log: Logger;
  metrics: AlertMetrics;
  token: string | undefined;
  maxBodyBytes: number;
  now?: () => number;
  /** Called when rows were committed (before they are on disk), to deliver them without waiting. */
  onStored?: () => void;
}

export function registerAlertWebhook(options: AlertWebhookOptions): void {
  const { http, store, log, metrics } = options;
  const now = options.now ?? Date.now;
  // Delivery is woken as soon as a group is committed, while the disk catches up.
  const outbox = new OutboxGroupCommit(store, options.onStored);
  const expected = options.token === undefined ? undefined : digest(options.token);
  if (expected === undefined) {
    log.warn(
      'alerts.webhook.token is not set (nor COXSWAIN_ALERT_WEBHOOK_TOKEN): the Alertmanager webhook refuses every request',
    );
  }

  const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
    if (expected === undefined) {
      return reply
        .code(401)
        .send({ error: 'this bot has no alert webhook token configured; set alerts.webhook.token' });
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    // Hashing both sides first makes the comparison constant-time whatever the lengths.
    if (!match || !timingSafeEqual(digest((match[1] as string).trim()), expected)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'missing or wrong bearer token' });
    }
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const { receiver } = request.params as { receiver?: string };
    const parsed = webhookPayloadSchema.safeParse(request.body);
    if (!parsed.success) {
      const problems = parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
      return reply.code(400).send({ error: 'not an Alertmanager webhook payload (version 4)', problems });
    }
    const payload = parsed.data;
    const receivedAt = now();
    const rows = payload.alerts.map((alert) => {
      const row: OutboxAlert = {
        groupKey: payload.groupKey,
        receiver: payload.receiver,
        groupLabels: payload.groupLabels,
        commonLabels: payload.commonLabels,
        commonAnnotations: payload.commonAnnotations,
        externalURL: payload.externalURL,
        alert,
      };
      if (receiver) row.pathReceiver = receiver;
      return {
        dedupeKey: dedupeKey(payload.groupKey, alert),
        groupKey: payload.groupKey,
        payload: row as unknown as Record<string, unknown>,
        nextAttemptAt: receivedAt,
        receivedAt,
      };
    });
    // One transaction with the webhooks of this turn: a webhook is stored whole or not at all
    // (then Alertmanager retries it), and answered only after the commit.
    const added = await outbox.enqueue(rows);
    let stored = 0;
    added.forEach((isNew, i) => {
      if (!isNew) return;
      stored++;
      metrics.received.inc({ status: (payload.alerts[i] as (typeof payload.alerts)[number]).status });
    });
    return reply.code(200).send({ stored, duplicates: payload.alerts.length - stored });
  };

  const routeOptions = { bodyLimit: options.maxBodyBytes, onRequest: authorize };
  http.post('/hooks/alertmanager', routeOptions, handle);
  http.post('/hooks/alertmanager/:receiver', routeOptions, handle);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
