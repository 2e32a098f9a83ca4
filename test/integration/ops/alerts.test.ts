/**
 * `/ops alerts` and `/ops silence list` across several REAL Alertmanagers (the test stack's
 * binary, two started here on free ports, as two clusters' Alertmanagers would be): the same
 * alert pushed to both is shown once, naming both; silences are merged the same way; a silence
 * may start later (`--from`) and is then pending in Alertmanager.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerClient } from '../../../adapters/alertmanager/client.js';
import { AlertmanagerDirectory } from '../../../src/alerts/alertmanager-api.js';
import { createHarness, type Harness } from '../../support/router-harness.js';
import { type Alertmanagers, startAlertmanagers } from './alertmanagers.js';

let ams: Alertmanagers;
let h: Harness;
let urls: string[];
const tag = Date.now().toString(36);
const push = (url: string, labels: Record<string, string>, summary: string) => ams.push(url, labels, summary);

beforeAll(async () => {
  ams = await startAlertmanagers(2);
  urls = ams.urls;
  const directory = new AlertmanagerDirectory([
    new AlertmanagerClient({ name: 'infra', url: urls[0]!, timeoutMs: 5000, retries: 0 }),
    new AlertmanagerClient({ name: 'apps', url: urls[1]!, timeoutMs: 5000, retries: 0 }),
  ]);
  h = await createHarness({ services: () => ({ alertmanagers: directory }) });
  h.clock.now = Date.now();
  const both = { alertname: `Both${tag}`, cluster: 'apps', severity: 'critical' };
  await push(urls[0]!, both, 'seen by both');
  await push(urls[1]!, both, 'seen by both');
  await push(urls[0]!, { alertname: `OnlyInfra${tag}`, cluster: 'infra', severity: 'warning' }, 'infra only');
  await push(urls[1]!, { alertname: `OnlyApps${tag}`, cluster: 'apps', severity: 'info' }, 'apps only');
}, 60_000);

afterAll(async () => {
  ams?.stop();
  await h?.close();
});

const codeOf = (text: string | undefined) => (text ?? '').split('\n').slice(1, -1).join('\n');

interface Row {
  fingerprint: string;
  labels: Record<string, string>;
  alertmanagers: string[];
}

describe('alerts across Alertmanagers', () => {
  it('shows an alert both hold once, naming both, worst first', async () => {
    const r = await h.run('victor', 'alerts -o json');
    const { alerts } = JSON.parse(codeOf(r.texts[0])) as { alerts: Row[] };
    const mine = alerts.filter((a) => a.labels.alertname?.endsWith(tag));
    expect(mine.map((a) => [a.labels.alertname, a.alertmanagers])).toEqual([
      [`Both${tag}`, ['infra', 'apps']],
      [`OnlyInfra${tag}`, ['infra']],
      [`OnlyApps${tag}`, ['apps']],
    ]);
  });

  it('filters by cluster and severity label, and by Alertmanager', async () => {
    const apps = JSON.parse(codeOf((await h.run('victor', 'alerts --cluster apps -o json')).texts[0])) as {
      alerts: Row[];
    };
    expect(apps.alerts.every((a) => a.labels.cluster === 'apps')).toBe(true);
    const critical = (await h.run('victor', 'alerts --severity critical')).texts[0] ?? '';
    expect(critical).toContain(`Both${tag}`);
    expect(critical).not.toContain(`OnlyInfra${tag}`);
    const infraOnly = (await h.run('victor', 'alerts --am infra')).texts[0] ?? '';
    expect(infraOnly).toContain(`OnlyInfra${tag}`);
    expect(infraOnly).not.toContain(`OnlyApps${tag}`);
  });

  it('names an Alertmanager that does not answer instead of leaving it out', async () => {
    const directory = new AlertmanagerDirectory([
      new AlertmanagerClient({ name: 'infra', url: urls[0]!, timeoutMs: 2000, retries: 0 }),
      new AlertmanagerClient({ name: 'gone', url: 'http://127.0.0.1:9', timeoutMs: 2000, retries: 0 }),
    ]);
    const other = await createHarness({ services: () => ({ alertmanagers: directory }) });
    try {
      const r = await other.run('victor', 'alerts');
      expect(r.texts[0]).toContain(`OnlyInfra${tag}`);
      expect(r.texts[0]).toContain('Not answering: gone');
    } finally {
      await other.close();
    }
  });
});

describe('silences across Alertmanagers, and later starts', () => {
  it('--from makes a pending silence that silence list shows with its start', async () => {
    const from = new Date(h.clock.now + 3 * 3600_000).toISOString().slice(0, 16);
    const r = await h.run(
      'olivia',
      `silence add alertname="OnlyApps${tag}" --for 1h --comment "window" --from ${from} --am apps`,
    );
    expect(r.texts[0]).toContain(`from ${from.replace('T', ' ')}`);
    const list = await h.run('victor', 'silence list -o json');
    const { silences } = JSON.parse(codeOf(list.texts[0])) as {
      silences: { state: string; startsAt: string; alertmanagers: string[]; comment: string }[];
    };
    const mine = silences.find((s) => s.comment === 'window');
    expect(mine).toMatchObject({ state: 'pending', alertmanagers: ['apps'] });
    expect(mine?.startsAt.slice(0, 16)).toBe(from);
    // Not silenced yet: it still fires.
    expect((await h.run('victor', 'alerts --am apps')).texts[0]).toContain(`OnlyApps${tag}`);
  });

  it('merges the silences of every Alertmanager into one list', async () => {
    await h.run(
      'olivia',
      `silence add alertname="OnlyInfra${tag}" --for 1h --comment "infra one" --am infra`,
    );
    const answer = await h.run('victor', 'silence list');
    const list = answer.texts.join('\n');
    expect(list).toContain('infra one');
    expect(list).toContain('window');
    expect(answer.last?.message.title).toMatch(/silences in infra, apps$/);
    // Silenced now: no longer among what fires.
    expect((await h.run('victor', 'alerts')).texts[0]).not.toContain(`OnlyInfra${tag}`);
  });

  it('refuses a --from in the past or unreadable', async () => {
    expect(
      (await h.run('olivia', `silence add alertname="X" --for 1h --comment c --from 2020-01-01T00:00`))
        .texts[0],
    ).toContain('is in the past');
    expect(
      (await h.run('olivia', 'silence add alertname="X" --for 1h --comment c --from tomorrow')).texts[0],
    ).toContain('--from needs a UTC time');
  });
});
