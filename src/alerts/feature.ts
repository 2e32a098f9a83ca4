/**
 * The alerts feature: Alertmanager's webhook into the outbox, the delivery loop from the outbox
 * into chat, the post buttons (actions.ts), and the Alertmanager clients the silence commands use.
 * The composition root hands in the concrete pieces (HTTP route, API clients) and the incidents
 * feature's roster and engine.
 */

import { parseDuration } from '../duration.js';
import type { Feature, FeatureBase, FeatureHooks } from '../feature.js';
import type { IncidentEngine } from '../incidents/engine.js';
import type { OncallRoster } from '../incidents/oncall-roster.js';
import { replicaIdentity } from '../leader/identity.js';
import type { Store } from '../store/store.js';
import { alertActions } from './actions.js';
import { type AlertmanagerApi, AlertmanagerDirectory } from './alertmanager-api.js';
import type { AlertmanagerConfig } from './config-schema.js';
import { AlertDelivery } from './delivery.js';
import { type AlertMetrics, createAlertMetrics } from './metrics.js';
import { AlertRouter } from './routing.js';

export interface AlertsFeatureDeps {
  registerWebhook(options: {
    http: NonNullable<FeatureHooks['http']>;
    store: Store;
    log: FeatureBase['log'];
    metrics: AlertMetrics;
    token: string | undefined;
    maxBodyBytes: number;
    onStored?: () => void;
  }): void;
}

/** The engines of other features that alert delivery uses. */
export interface AlertsFeatureNeeds {
  alertmanagers: AlertmanagerDirectory;
  /** Who is on call, for the mentions of a team's alerts (the incidents feature). */
  oncall: Pick<OncallRoster, 'mentionFor'>;
  /** Told of every delivered alert, to update an open incident's room (the incidents feature). */
  incidents: Pick<IncidentEngine, 'alertChanged'>;
}

/** The configured Alertmanagers' clients, which the alerts, health and operations features share. */
export function alertmanagerDirectory(
  configured: readonly AlertmanagerConfig[],
  createAlertmanager: (config: AlertmanagerConfig & { timeoutMs: number }) => AlertmanagerApi,
): AlertmanagerDirectory {
  return new AlertmanagerDirectory(
    configured.map((am) => createAlertmanager({ ...am, timeoutMs: parseDuration(am.timeout) as number })),
  );
}

export function alertsFeature(
  base: FeatureBase,
  deps: AlertsFeatureDeps,
  needs: AlertsFeatureNeeds,
): Feature {
  const { config, now } = base;
  const log = base.log.child({ component: 'alerts' });
  const { alertmanagers, oncall, incidents } = needs;
  const metrics = createAlertMetrics(base.metrics.registry, base.store);
  const delivery = new AlertDelivery({
    store: base.store,
    chat: base.chat,
    router: new AlertRouter(config.alerts, (team) => oncall.mentionFor(team)),
    log,
    metrics,
    alerts: config.alerts,
    timeZone: config.timeZone,
    owner: replicaIdentity(config),
    claimLeaseMs: parseDuration(config.alerts.delivery.claimLease) as number,
    now,
    onDelivered: async (alert) => incidents.alertChanged(alert),
  });
  return {
    name: 'alerts',
    start(hooks) {
      if (hooks.http) {
        deps.registerWebhook({
          http: hooks.http,
          store: base.store,
          log,
          metrics,
          token: config.alerts.webhook.token,
          maxBodyBytes: config.alerts.webhook.maxBodyBytes,
          onStored: () => delivery.kick(),
        });
      }
      const { actions, dialogs } = alertActions({ delivery, alertmanagers, now, chat: base.chat, config });
      for (const spec of actions) hooks.registerAction(spec);
      for (const spec of dialogs) hooks.registerDialog(spec);
      // Rows left pending by a crash or an outage are delivered from the first pass on.
      delivery.start();
    },
    async stop() {
      await delivery.stop();
    },
  };
}
