/**
 * The alerts feature: Alertmanager's webhook into the outbox, the delivery loop from the outbox
 * into chat, the post buttons (actions.ts), and the Alertmanager clients the silence commands use.
 * The composition root hands in the concrete pieces (HTTP route, API client).
 */

import { parseDuration } from '../duration.js';
import type { Feature, FeatureContext } from '../feature.js';
import { replicaIdentity } from '../leader/identity.js';
import type { Store } from '../store/store.js';
import { alertActions } from './actions.js';
import { type AlertmanagerApi, AlertmanagerDirectory } from './alertmanager-api.js';
import type { AlertmanagerConfig } from './config-schema.js';
import { AlertDelivery } from './delivery.js';
import { type AlertMetrics, createAlertMetrics } from './metrics.js';
import { AlertRouter } from './routing.js';

export interface AlertsFeatureDeps {
  createAlertmanager(config: AlertmanagerConfig & { timeoutMs: number }): AlertmanagerApi;
  registerWebhook(options: {
    http: NonNullable<FeatureContext['http']>;
    store: Store;
    log: FeatureContext['log'];
    metrics: AlertMetrics;
    token: string | undefined;
    maxBodyBytes: number;
    onStored?: () => void;
  }): void;
}

export function alertsFeature(deps: AlertsFeatureDeps): Feature {
  let delivery: AlertDelivery | undefined;
  return {
    name: 'alerts',
    start(ctx) {
      const { config } = ctx;
      const log = ctx.log.child({ component: 'alerts' });
      const now = ctx.services.now;
      const alertmanagers = new AlertmanagerDirectory(
        config.alertmanagers.map((am) =>
          deps.createAlertmanager({ ...am, timeoutMs: parseDuration(am.timeout) as number }),
        ),
      );
      ctx.services.alertmanagers = alertmanagers;
      const metrics = createAlertMetrics(ctx.metrics.registry, ctx.store);
      delivery = new AlertDelivery({
        store: ctx.store,
        chat: ctx.chat,
        // Looked up per post: the incidents feature (which keeps the on-call roster) may start later.
        router: new AlertRouter(config.alerts, (team) => ctx.services.oncall?.mentionFor(team)),
        log,
        metrics,
        alerts: config.alerts,
        timeZone: config.timeZone,
        owner: replicaIdentity(config),
        claimLeaseMs: parseDuration(config.alerts.delivery.claimLease) as number,
        now,
        // Looked up per alert: the incidents feature may start after this one.
        onDelivered: async (alert) => ctx.services.incidents?.alertChanged(alert),
      });
      const running = delivery;
      if (ctx.http) {
        deps.registerWebhook({
          http: ctx.http,
          store: ctx.store,
          log,
          metrics,
          token: config.alerts.webhook.token,
          maxBodyBytes: config.alerts.webhook.maxBodyBytes,
          onStored: () => running.kick(),
        });
      }
      const { actions, dialogs } = alertActions({ delivery, alertmanagers, now, chat: ctx.chat, config });
      for (const spec of actions) ctx.registerAction(spec);
      for (const spec of dialogs) ctx.registerDialog(spec);
      // Rows left pending by a crash or an outage are delivered from the first pass on.
      delivery.start();
    },
    async stop() {
      await delivery?.stop();
    },
  };
}
