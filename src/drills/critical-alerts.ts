/** The "critical alert is firing" guard rail, read from the configured Alertmanagers. */
import type { AlertmanagerApi } from '../alerts/alertmanager-api.js';
import type { CriticalAlerts } from './runtime.js';

/**
 * Active (not silenced, not inhibited) alerts with `severity="critical"` whose `cluster` label
 * names the cluster, or that carry no cluster label (a platform-wide alert blocks every drill).
 */
export function alertmanagerCriticalAlerts(clients: () => readonly AlertmanagerApi[]): CriticalAlerts {
  return {
    async firingCritical(cluster) {
      const names = new Set<string>();
      for (const client of clients()) {
        const alerts = await client.listAlerts(['severity="critical"']);
        for (const alert of alerts) {
          if (alert.status !== 'active') continue;
          const where = alert.labels.cluster;
          if (where !== undefined && where !== cluster) continue;
          names.add(alert.labels.alertname ?? alert.fingerprint);
        }
      }
      return [...names].sort();
    },
  };
}
