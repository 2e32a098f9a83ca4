/**
 * A chat outage for a whole phase, then recovery, with the real Alertmanager sending the
 * webhooks. The outage is simulated by OutageChat, a ChatPort wrapper around the shell adapter
 * that fails every post and update while `down` is set, the way an unreachable chat server
 * makes an adapter fail. Everything else is the bot's real wiring: the HTTP server on BOT_PORT,
 * the alerts feature, a SQLite store on disk.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerClient } from '../../../adapters/alertmanager/client.js';
import { ShellAdapter } from '../../../adapters/chat/shell/shell-adapter.js';
import { registerAlertWebhook } from '../../../handlers/alertmanager-webhook.js';
import { alertmanagerDirectory, alertsFeature } from '../../../src/alerts/feature.js';
import { loadConfig } from '../../../src/config/load.js';
import type { Feature } from '../../../src/feature.js';
import { createHttpServer } from '../../../src/http/server.js';
import type { Message } from '../../../src/message.js';
import { createMetrics } from '../../../src/metrics.js';
import type { ChatPort, Destination, InboundHandlers, PostRef } from '../../../src/ports.js';
import { ActionSigner } from '../../../src/security/signing.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';
import { loadStackEnv } from '../../stack/env.js';
import { pushAlerts, Transcript, writeBotConfig } from './support.js';

/** The shell chat, made unreachable on demand. */
class OutageChat implements ChatPort {
  down = false;
  failures = 0;
  constructor(private readonly inner: ShellAdapter) {}
  get platform() {
    return this.inner.platform;
  }
  start(handlers: InboundHandlers) {
    return this.inner.start(handlers);
  }
  stop() {
    return this.inner.stop();
  }
  isReady() {
    return !this.down && this.inner.isReady();
  }
  resolveChannel(name: string) {
    return this.inner.resolveChannel(name);
  }
  async post(destination: Destination, message: Message): Promise<PostRef> {
    this.check();
    return this.inner.post(destination, message);
  }
  async update(ref: PostRef, message: Message): Promise<void> {
    this.check();
    return this.inner.update(ref, message);
  }
  private check() {
    if (this.down) {
      this.failures++;
      throw new Error('connect ECONNREFUSED chat.example:443 (simulated outage)');
    }
  }
}

const env = loadStackEnv();
const shell = new Transcript();
const run = Math.random().toString(36).slice(2, 10);
let store: Store;
let chat: OutageChat;
let feature: Feature;
let metrics: ReturnType<typeof createMetrics>;
let http: ReturnType<typeof createHttpServer>;

beforeAll(async () => {
  const { path } = writeBotConfig(env);
  const config = loadConfig({ path, env: {} });
  store = await openStore(config.store);
  const log = pino({ level: 'silent' });
  metrics = createMetrics({ defaults: false });
  const signer = new ActionSigner();
  chat = new OutageChat(
    new ShellAdapter({
      input: shell.input,
      output: shell.output,
      interactive: false,
      trigger: '/ops',
      signer,
    }),
  );
  http = createHttpServer({ log, metrics, readiness: [] });
  const alertmanagers = alertmanagerDirectory(
    config.alertmanagers,
    (am) => new AlertmanagerClient({ name: am.name, url: am.url, timeoutMs: am.timeoutMs }),
  );
  feature = alertsFeature(
    { config, store, log, metrics, chat, now: Date.now },
    { registerWebhook: registerAlertWebhook },
    // No on-call rota and no incident rooms: this test is about delivery through an outage.
    { alertmanagers, oncall: { mentionFor: () => undefined }, incidents: { alertChanged: async () => 0 } },
  );
  await feature.start({ http, registerAction: () => undefined, registerDialog: () => undefined });
  await http.listen({ host: '127.0.0.1', port: Number(env.BOT_PORT) });
});

afterAll(async () => {
  await http?.close();
  await feature?.stop?.();
  shell.input.end();
  await store?.close();
});

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function pendingOfThisRun(): Promise<number> {
  const rows = await store.dueOutbox(Number.MAX_SAFE_INTEGER, 100_000);
  return rows.filter((row) => row.groupKey.includes(`outage-${run}`)).length;
}

describe('a chat outage', () => {
  const GROUPS = 6;
  const labels = (i: number) => ({
    alertname: 'CoxswainOutageProbe',
    cluster: 'infra',
    namespace: `outage-${run}-${i}`,
    severity: 'warning',
  });

  afterAll(async () => {
    await pushAlerts(
      env,
      Array.from({ length: GROUPS }, (_, i) => ({ labels: labels(i), endsAt: new Date().toISOString() })),
    ).catch(() => undefined); // cleanup only
  });

  it('keeps every alert in the outbox while chat is down and delivers each exactly once after', async () => {
    chat.down = true;
    await pushAlerts(
      env,
      Array.from({ length: GROUPS }, (_, i) => ({
        labels: labels(i),
        annotations: { summary: `outage probe ${i}` },
        endsAt: new Date(Date.now() + 600_000).toISOString(),
      })),
    );
    // Alertmanager's webhooks are answered (the rows are stored) although nothing can be posted.
    await waitUntil('all groups in the outbox', async () => (await pendingOfThisRun()) === GROUPS);
    const failuresAtStore = chat.failures;
    // The whole phase: several retry rounds fail (maxBackoff is 1s in this config).
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(chat.failures).toBeGreaterThan(failuresAtStore);
    expect(await pendingOfThisRun()).toBe(GROUPS);
    expect(shell.count(/FIRING: CoxswainOutageProbe/)).toBe(0);
    const pendingMetric = await metrics.registry.getSingleMetricAsString('coxswain_outbox_pending');
    expect(Number(/coxswain_outbox_pending (\d+)/.exec(pendingMetric)?.[1])).toBeGreaterThanOrEqual(GROUPS);

    chat.down = false;
    await waitUntil(
      'every group posted',
      async () => shell.count(/\[#alerts\] ⚠ FIRING: CoxswainOutageProbe/) >= GROUPS,
    );
    // Time for any duplicate to show up: retries, Alertmanager's next flush (group_interval 5s).
    await new Promise((resolve) => setTimeout(resolve, 6000));
    for (let i = 0; i < GROUPS; i++) {
      expect(shell.count(new RegExp(`outage probe ${i}\\*\\*\\n`)), `group ${i}`).toBe(1);
    }
    expect(shell.count(/\[#alerts\] ⚠ FIRING: CoxswainOutageProbe/)).toBe(GROUPS);
    expect(await pendingOfThisRun()).toBe(0);
    const posts = await metrics.registry.getSingleMetricAsString('coxswain_alert_posts_total');
    expect(posts).toMatch(/coxswain_alert_posts_total\{outcome="retried"\} [1-9]/);
  });
});
