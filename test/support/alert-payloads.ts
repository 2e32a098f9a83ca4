/** Alertmanager webhook payloads (version 4) as Alertmanager builds them, for tests. */
import type { WebhookAlert, WebhookPayload } from '../../src/alerts/payload.js';

export function alert(
  overrides: Partial<WebhookAlert> & { labels?: Record<string, string> } = {},
): WebhookAlert {
  const labels = {
    alertname: 'DiskFull',
    cluster: 'infra',
    namespace: 'databases',
    severity: 'warning',
    ...overrides.labels,
  };
  return {
    status: 'firing',
    annotations: { summary: 'Disk almost full', description: 'The volume is 95% full.' },
    startsAt: '2026-11-23T11:48:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up',
    fingerprint: `fp-${Object.values(labels).join('-')}`,
    ...overrides,
    labels,
  };
}

export function payload(alerts: WebhookAlert[], overrides: Partial<WebhookPayload> = {}): WebhookPayload {
  const first = alerts[0];
  const common = first ? { ...first.labels } : {};
  for (const a of alerts.slice(1))
    for (const [k, v] of Object.entries(common)) if (a.labels[k] !== v) delete common[k];
  return {
    version: '4',
    groupKey: `{}:{alertname="${common.alertname ?? 'x'}", cluster="${common.cluster ?? ''}"}`,
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'coxswain',
    groupLabels: { alertname: common.alertname ?? 'x' },
    commonLabels: common,
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts,
    ...overrides,
  };
}
