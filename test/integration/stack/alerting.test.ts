/**
 * Real servers: Alertmanager v0.31.1, Prometheus 2.42 (Debian) and the test exporter
 * (test/stack/exporter.mjs), started by test/stack/global-setup.ts. No bot: the webhook
 * receiver's deliveries fail, which does not affect the Alertmanager API.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadStackEnv } from '../../stack/env.js';
import { waitFor } from './wait.js';

const env = loadStackEnv();

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
}
async function amAlerts(alertname: string): Promise<AmAlert[]> {
  const filter = encodeURIComponent(`alertname="${alertname}"`);
  const res = await fetch(`${env.ALERTMANAGER_URL}/api/v2/alerts?filter=${filter}&active=true`);
  expect(res.status).toBe(200);
  return (await res.json()) as AmAlert[];
}

describe('Alertmanager and Prometheus', () => {
  afterAll(async () => {
    await fetch(`${env.EXPORTER_URL}/flag/0`, { method: 'POST' });
  });

  it('GET /api/v2/status answers with the webhook receiver', async () => {
    const res = await fetch(`${env.ALERTMANAGER_URL}/api/v2/status`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { versionInfo: { version: string }; config: { original: string } };
    expect(body.versionInfo.version).toBe('0.31.1');
    // Alertmanager masks webhook URLs (<secret>) in the config it reports; the receiver is there.
    expect(body.config.original).toContain('receiver: coxswain');
    expect(body.config.original).toContain('webhook_configs:');
  });

  it("delivers Prometheus' always-firing rule to Alertmanager", async () => {
    const alerts = await waitFor(
      'CoxswainStackAlwaysFiring in Alertmanager',
      async () => {
        const a = await amAlerts('CoxswainStackAlwaysFiring');
        return a.length ? a : undefined;
      },
      30_000,
      500,
    );
    expect(alerts[0]!.labels).toMatchObject({ cluster: 'infra', severity: 'warning' });
    expect(alerts[0]!.status.state).toBe('active');
  });

  it('fires CoxswainTestFlag when the exporter flag is flipped', async () => {
    const set = await fetch(`${env.EXPORTER_URL}/flag/1`, { method: 'POST' });
    expect(set.status).toBe(200);
    const alerts = await waitFor(
      'CoxswainTestFlag in Alertmanager',
      async () => {
        const a = await amAlerts('CoxswainTestFlag');
        return a.length ? a : undefined;
      },
      30_000,
      500,
    );
    expect(alerts[0]!.labels).toMatchObject({
      cluster: 'apps',
      namespace: 'databases',
      severity: 'critical',
    });
    expect(alerts[0]!.annotations.runbook_url).toMatch(/^https:\/\//);
    expect(alerts[0]!.annotations.summary).toBeTruthy();
  });
});

describe('Alertmanager webhook to the bot port', () => {
  it('POSTs version-4 payloads to /hooks/alertmanager on BOT_PORT with the bearer token', async () => {
    const { createServer } = await import('node:http');
    const received: { auth?: string; path?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        received.push({ auth: req.headers.authorization, path: req.url, body });
        res.writeHead(200).end();
      });
    });
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(Number(env.BOT_PORT), '127.0.0.1', () => resolve(true));
    });
    // Test files run one at a time; a bot still on the port here would be a leak from another test.
    expect(listening, `BOT_PORT ${env.BOT_PORT} is taken: a bot from another test is still running`).toBe(
      true,
    );
    try {
      // A fresh alert of our own: Alertmanager sends a group it has already delivered only after
      // repeat_interval (1h), so waiting for the rule's alert would depend on which test ran first.
      const probe = `probe-${process.pid}-${Date.now()}`;
      const posted = await fetch(`${env.ALERTMANAGER_URL}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          {
            labels: { alertname: 'CoxswainStackWebhookProbe', probe, cluster: 'apps', severity: 'info' },
            annotations: { summary: 'webhook path check' },
            startsAt: new Date().toISOString(),
          },
        ]),
      });
      expect(posted.status).toBe(200);
      const hit = await waitFor(
        'a webhook delivery',
        () => received.find((r) => r.body.includes(probe)),
        45_000,
        250,
      );
      expect(hit.path).toBe('/hooks/alertmanager');
      expect(hit.auth).toBe(`Bearer ${env.ALERT_WEBHOOK_TOKEN}`);
      const payload = JSON.parse(hit.body) as { version: string; receiver: string; alerts: unknown[] };
      expect(payload.version).toBe('4');
      expect(payload.receiver).toBe('coxswain');
      expect(payload.alerts.length).toBeGreaterThan(0);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
