/** The alert path's metrics, registered on the bot's registry by the alerts feature. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Store } from '../store/store.js';

export type PostOutcome = 'posted' | 'updated' | 'stormed' | 'retried' | 'failed' | 'recovered';

export interface AlertMetrics {
  received: Counter<'status'>;
  posts: Counter<'outcome'>;
  /** Group claims: busy (another replica delivers it), recovered (taken over from a dead one). */
  claims?: Counter<'outcome'>;
}

export function createAlertMetrics(registry: Registry, store: Store): AlertMetrics {
  new Gauge({
    name: 'coxswain_outbox_pending',
    help: 'Alerts stored in the outbox and not yet delivered to chat, read from the store at scrape time.',
    registers: [registry],
    async collect() {
      this.set((await store.countOutbox()).pending);
    },
  });
  new Gauge({
    name: 'coxswain_outbox_failed',
    help: 'Alerts kept in the outbox that delivery gave up on after alerts.delivery.maxAttempts (0 means never).',
    registers: [registry],
    async collect() {
      this.set((await store.countOutbox()).failed);
    },
  });
  return {
    received: new Counter({
      name: 'coxswain_alerts_received_total',
      help: 'Alerts accepted by the webhook, by status; retries that were already stored are not counted.',
      labelNames: ['status'],
      registers: [registry],
    }),
    posts: new Counter({
      name: 'coxswain_alert_posts_total',
      help: 'Alert group deliveries to chat by outcome: posted, updated, stormed (counted in a storm summary), deferred (an update held back in a storm, sent later with the latest state), retried (a failed attempt that will be tried again), failed (given up after maxAttempts), recovered (a post an attempt made before it died, found in chat by its key instead of posted again).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    claims: new Counter({
      name: 'coxswain_alert_group_claims_total',
      help: 'Alert group claims in the store that did not simply succeed: busy (another replica was delivering the group; it is left to that one), recovered (a claim left by a replica that died mid-delivery, taken over).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
