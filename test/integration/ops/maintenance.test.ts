/**
 * Maintenance windows with REAL Alertmanagers (two, as two clusters' would be) and the stack's
 * real API server for the drill refusal: `maintenance start` silences every alert of the cluster
 * in each Alertmanager, drills there are refused, the health summary names the window, and
 * `maintenance end` expires the silences.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerClient } from '../../../adapters/alertmanager/client.js';
import { AlertmanagerDirectory } from '../../../src/alerts/alertmanager-api.js';
import { describeWindow, maintenanceWindows, openWindow } from '../../../src/alerts/maintenance.js';
import { configSchema } from '../../../src/config/schema.js';
import { loadDrills } from '../../../src/drills/definitions.js';
import { DrillEngine } from '../../../src/drills/engine.js';
import { HealthEngine } from '../../../src/health/engine.js';
import { HealthSummaries } from '../../../src/health/summaries.js';
import type { ChatPort } from '../../../src/ports.js';
import { loadStackEnv } from '../../stack/env.js';
import { createHarness, type Harness } from '../../support/router-harness.js';
import { MemoryReader } from '../../unit/health/fake-reader.js';
import { RecordingChat } from '../drills/helpers.js';
import { botDirectory } from '../rbac/identities.js';
import { type Alertmanagers, startAlertmanagers } from './alertmanagers.js';

let ams: Alertmanagers;
let h: Harness;
let directory: AlertmanagerDirectory;
const tag = Date.now().toString(36);
const log = pino({ level: 'silent' });

beforeAll(async () => {
  ams = await startAlertmanagers(2);
  directory = new AlertmanagerDirectory([
    new AlertmanagerClient({ name: 'infra', url: ams.urls[0]!, timeoutMs: 5000, retries: 0 }),
    new AlertmanagerClient({ name: 'apps', url: ams.urls[1]!, timeoutMs: 5000, retries: 0 }),
  ]);
  const clusters = botDirectory(loadStackEnv(), ['apps']);
  h = await createHarness({
    config: {
      clusters: [
        { name: 'apps', inCluster: true },
        { name: 'infra', inCluster: true },
      ],
    },
    services: (store, now) => ({
      alertmanagers: directory,
      drills: new DrillEngine({
        store,
        clusters,
        chat: new RecordingChat(),
        drills: loadDrills(),
        log,
        now,
        maintenance: async (cluster) => {
          const window = await openWindow(directory.all(), cluster);
          return window ? describeWindow(window, 'UTC') : undefined;
        },
      }),
    }),
  });
  h.clock.now = Date.now();
  for (const url of ams.urls) await ams.push(url, { alertname: `Disk${tag}`, cluster: 'apps' }, 'disk');
  await ams.push(ams.urls[0]!, { alertname: `Cert${tag}`, cluster: 'infra' }, 'cert');
}, 120_000);

afterAll(async () => {
  ams?.stop();
  await h?.close();
});

describe('maintenance windows', () => {
  it('start asks to confirm, then silences the cluster in every Alertmanager', async () => {
    const asked = await h.run('olivia', 'maintenance start --cluster apps --for 2h "Talos upgrade"');
    expect(asked.last?.message.title).toBe('Confirm a dangerous command');
    const done = await h.click('olivia', asked.last, 'Confirm');
    expect(done.last?.message.title).toMatch(/^apps is in maintenance until/);
    for (const url of ams.urls) {
      const silences = (await (await fetch(`${url}/api/v2/silences`)).json()) as {
        comment: string;
        matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[];
        status: { state: string };
      }[];
      expect(silences.filter((s) => s.status.state === 'active')).toEqual([
        expect.objectContaining({
          comment: 'coxswain maintenance: Talos upgrade',
          matchers: [{ name: 'cluster', value: 'apps', isRegex: false, isEqual: true }],
        }),
      ]);
    }
    // What fires now: only infra's alert; apps' is silenced everywhere.
    const firing = (await h.run('victor', 'alerts')).texts[0] ?? '';
    expect(firing).toContain(`Cert${tag}`);
    expect(firing).not.toContain(`Disk${tag}`);
    expect((await h.run('victor', 'maintenance list')).texts[0]).toContain('apps is in maintenance until');
  });

  it('refuses a drill on the cluster in maintenance, with the window named', async () => {
    const asked = await h.run(
      'alice',
      'drill run pod-kill --cluster apps --namespace monitoring --workload vmagent',
    );
    const done = await h.click('alice', asked.last, 'Confirm');
    expect(done.texts.join('\n')).toContain('Refused: apps is in maintenance until');
    expect(done.texts.join('\n')).toContain('olivia: Talos upgrade');
  });

  it('the health summary names the window', async () => {
    const chat = new RecordingChat();
    const engine = new HealthEngine({
      readers: [new MemoryReader('apps', {}), new MemoryReader('infra', {})],
      rpoMs: 86_400_000,
      certificateWarningMs: 86_400_000,
      progressAfterMs: 60_000,
      timeoutMs: 5_000,
    });
    const port: ChatPort = {
      platform: 'test',
      start: async () => undefined,
      stop: async () => undefined,
      isReady: () => true,
      resolveChannel: (name) => chat.resolveChannel(name),
      post: (destination, message) => chat.post(destination, message),
      update: (ref, message) => chat.update(ref, message),
    };
    const summaries = new HealthSummaries([], {
      engine,
      chat: port,
      isLeader: () => true,
      log,
      maintenance: async () =>
        (await maintenanceWindows(directory.all())).map((w) => ({
          cluster: w.cluster,
          text: describeWindow(w, 'UTC'),
        })),
    });
    const schedule = configSchema.parse({
      schedules: [{ name: 'daily', cron: '0 8 * * *', channels: ['platform'] }],
    }).schedules[0]!;
    const posted = await summaries.run(schedule);
    expect(posted).toBe(true);
    const text = chat.posts[0]?.message.text ?? '';
    expect(text.startsWith('🔧 apps is in maintenance until')).toBe(true);
    expect(text.split('\n')[0]).toContain('olivia: Talos upgrade');
    expect(text).not.toContain('infra is in maintenance');
  });

  it('end expires the silences everywhere; drills are no longer refused for it', async () => {
    const r = await h.run('olivia', 'maintenance end --cluster apps');
    expect(r.texts[0]).toContain('Maintenance of apps ended by olivia');
    expect(await maintenanceWindows(directory.all(), 'apps')).toEqual([]);
    expect((await h.run('victor', 'alerts')).texts[0]).toContain(`Disk${tag}`);
  });
});
