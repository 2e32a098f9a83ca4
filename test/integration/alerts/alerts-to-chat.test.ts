/**
 * The whole alert road on real servers: Prometheus (its rules) → Alertmanager → the bot's
 * webhook on BOT_PORT → the outbox → the shell chat, whose transcript we read. Buttons are
 * clicked the way a person in the shell clicks them (typing their number), and silences are
 * checked in the real Alertmanager's API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bot, startBot } from '../../../src/main.js';
import { loadStackEnv } from '../../stack/env.js';
import {
  amSilence,
  amSilences,
  buttonNumber,
  expireSilence,
  pushAlerts,
  setFlag,
  Transcript,
  writeBotConfig,
} from './support.js';

const env = loadStackEnv();
const botUrl = `http://127.0.0.1:${env.BOT_PORT}`;
let bot: Bot;
const shell = new Transcript();
const silencesToEnd: string[] = [];

beforeAll(async () => {
  await setFlag(env, 0);
  const { path } = writeBotConfig(env);
  bot = await startBot({
    shell: true,
    port: Number(env.BOT_PORT),
    input: shell.input,
    output: shell.output,
    configPath: path,
    role: 'operator',
    env: {},
  });
});

afterAll(async () => {
  await setFlag(env, 0);
  for (const id of silencesToEnd) await expireSilence(env, id);
  shell.input.end();
  await bot?.stop();
});

function webhook(body: string, token = env.ALERT_WEBHOOK_TOKEN, path = '/hooks/alertmanager') {
  return fetch(`${botUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
}

describe('the webhook on the real port', () => {
  it('answers 401 to a wrong token, 400 to a malformed or wrong-shaped body, 413 to a large one', async () => {
    expect((await webhook('{}', 'not-the-token')).status).toBe(401);
    expect((await webhook('{"version":')).status).toBe(400);
    expect((await webhook(JSON.stringify({ version: '4', alerts: 'nope' }))).status).toBe(400);
    expect((await webhook(JSON.stringify({ version: '4', pad: 'x'.repeat(70 * 1024) }))).status).toBe(413);
  });

  it('posts a retried webhook once', async () => {
    const body = JSON.stringify({
      version: '4',
      groupKey: '{}:{alertname="CoxswainRetryProbe"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'coxswain',
      groupLabels: { alertname: 'CoxswainRetryProbe' },
      commonLabels: { alertname: 'CoxswainRetryProbe', cluster: 'edge', severity: 'info' },
      commonAnnotations: { summary: 'retry probe' },
      externalURL: env.ALERTMANAGER_URL,
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'CoxswainRetryProbe', cluster: 'edge', severity: 'info' },
          annotations: { summary: 'retry probe' },
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
          fingerprint: 'retryprobe0001',
        },
      ],
    });
    const first = await webhook(body);
    expect(first.status).toBe(200);
    const again = await Promise.all([
      webhook(body),
      webhook(body, undefined, '/hooks/alertmanager/coxswain'),
    ]);
    expect(again.map((r) => r.status)).toEqual([200, 200]);
    await shell.waitFor(/\[#alerts\] ℹ FIRING: CoxswainRetryProbe/);
    // Give a second delivery every chance to happen before counting.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(shell.count(/\] ℹ FIRING: CoxswainRetryProbe/)).toBe(1);
  });
});

describe('Prometheus → Alertmanager → bot → chat', () => {
  it('routes the flag rule to its channel, mentions on-call, then updates the same post and replies in its thread when it resolves', async () => {
    const from = shell.text.length;
    await setFlag(env, 1);
    const [post] = await shell.waitFor(
      /\[#apps-alerts\] ✖ FIRING: CoxswainTestFlag\n[\s\S]*?choose\)/,
      60_000,
      from,
    );
    expect(post).toContain('@oncall-platform critical alert');
    expect(post).toContain('  Runbook: https://runbooks.example.invalid/coxswain/CoxswainTestFlag');
    expect(post).toContain('  namespace: databases');

    const [row] = await bot.store.findAlertPosts((await waitForGroupKey(bot, 'CoxswainTestFlag')) as string);
    expect(row?.channelId).toBe('apps-alerts');

    await setFlag(env, 0);
    const [update] = await shell.waitFor(
      new RegExp(`\\[#apps-alerts\\] \\(updated post ${row?.postId}\\) ✔ RESOLVED: CoxswainTestFlag`),
      60_000,
      from,
    );
    expect(update).toBeTruthy();
    const [reply] = await shell.waitFor(/\[#apps-alerts ↳\] Resolved after \d+ (s|min)\./, 10_000, from);
    expect(reply).toBeTruthy();
    expect(shell.count(/\[#apps-alerts\] ✖ FIRING: CoxswainTestFlag/)).toBe(1);
  });
});

describe('buttons on a firing post', () => {
  // An alert of this run's own (Alertmanager sends a group only when it is new or changed, so
  // the stack's always-firing alert reaches only the first bot that ever listens).
  const run = Math.random().toString(36).slice(2, 10);
  const probe = /\[#alerts\] ⚠ FIRING: CoxswainButtonProbe\n[\s\S]*?choose\)/;
  // The namespace is in the stack's group_by, so each run's probe is a group of its own.
  const labels = {
    alertname: 'CoxswainButtonProbe',
    cluster: 'infra',
    namespace: `probe-${run}`,
    severity: 'warning',
    run,
  };

  beforeAll(async () => {
    await pushAlerts(env, [
      {
        labels,
        annotations: { summary: 'A probe for the buttons' },
        endsAt: new Date(Date.now() + 600_000).toISOString(),
      },
    ]);
  });
  afterAll(async () => {
    // Cleanup only: resolving the probe early is a courtesy to the other stack tests.
    await pushAlerts(env, [{ labels, endsAt: new Date().toISOString() }]).catch(() => undefined);
  });

  it('Silence 1h creates a real silence in Alertmanager and the post shows who silenced it', async () => {
    const [post] = await shell.waitFor(probe, 30_000);
    const from = shell.text.length;
    const before = Date.now();
    shell.type(buttonNumber(post, 'Silence 1h'));
    const [, id] = await shell.waitFor(
      /Silenced until [^\n]* in infra: silence `([0-9a-f-]+)`/,
      15_000,
      from,
    );
    silencesToEnd.push(id as string);
    const silence = await amSilence(env, id as string);
    expect(silence.status.state).toBe('active');
    expect(silence.createdBy).toBe('local');
    expect(silence.matchers).toEqual(
      expect.arrayContaining([
        { name: 'alertname', value: 'CoxswainButtonProbe', isRegex: false, isEqual: true },
        { name: 'cluster', value: 'infra', isRegex: false, isEqual: true },
        { name: 'namespace', value: `probe-${run}`, isRegex: false, isEqual: true },
      ]),
    );
    const hour = Date.parse(silence.endsAt) - before;
    expect(hour).toBeGreaterThan(3_590_000);
    expect(hour).toBeLessThan(3_610_000);
    const [updated] = await shell.waitFor(
      /\(updated post \d+\) ⚠ FIRING: CoxswainButtonProbe\n[^[]*Silenced by local until[^\n]*/,
      10_000,
      from,
    );
    expect(updated).toContain(`(silence ${id} in infra)`);
    await expireSilence(env, id as string);
  });

  it('Acknowledge shows who is on it; Open incident hands over to the incidents feature', async () => {
    const [post] = await shell.waitFor(probe, 30_000);
    let from = shell.text.length;
    shell.type(buttonNumber(post, 'Acknowledge'));
    await shell.waitFor(/Acknowledged: the post now shows you are on it\./, 10_000, from);
    await shell.waitFor(
      /\(updated post \d+\) ⚠ FIRING: CoxswainButtonProbe\n[^[]*Acknowledged by local at/,
      10_000,
      from,
    );
    const audit = await bot.store.listAudit({ username: 'local', limit: 5 });
    expect(audit.map((a) => [a.command, a.outcome])).toContainEqual(['button alert.ack', 'ok']);

    from = shell.text.length;
    shell.type(buttonNumber(post, 'Open incident'));
    const [, room] = await shell.waitFor(
      /Incident room ~(inc-[a-z0-9-]*coxswainbuttonprobe[a-z0-9-]*) is open: \*\*SEV3\*\* CoxswainButtonProbe: A probe for the buttons \(commander @local\)/,
      15_000,
      from,
    );
    const incidents = await bot.store.listIncidents({ state: 'open' });
    expect(incidents.find((i) => i.channelName === room)?.title).toBe(
      'CoxswainButtonProbe: A probe for the buttons',
    );
  });
});

describe('silence commands against the real Alertmanager', () => {
  it('add, list, extend and expire', async () => {
    let from = shell.text.length;
    shell.type(
      'silence add alertname="CoxswainNoSuchAlert", severity=~"warn.*" --for 2h --comment "planned OSD swap"',
    );
    const [, id] = await shell.waitFor(
      /Silenced `alertname="CoxswainNoSuchAlert", severity=~"warn\.\*"` in infra until [^:]+:\d\d UTC: silence `([0-9a-f-]+)`, by local\./,
      15_000,
      from,
    );
    silencesToEnd.push(id as string);
    const created = await amSilence(env, id as string);
    expect(created).toMatchObject({
      createdBy: 'local',
      comment: 'planned OSD swap',
      status: { state: 'active' },
    });
    expect(created.matchers).toEqual([
      { name: 'alertname', value: 'CoxswainNoSuchAlert', isRegex: false, isEqual: true },
      { name: 'severity', value: 'warn.*', isRegex: true, isEqual: true },
    ]);
    const twoHours = Date.parse(created.endsAt) - Date.parse(created.startsAt);
    expect(Math.abs(twoHours - 7_200_000)).toBeLessThan(5_000);

    from = shell.text.length;
    shell.type('silence list --am infra --match alertname=CoxswainNoSuchAlert');
    const [listed] = await shell.waitFor(/silences? in infra\n[\s\S]*?planned OSD swap/, 10_000, from);
    expect(listed).toContain(id);

    from = shell.text.length;
    shell.type(`silence extend ${id} --for 1h`);
    await shell.waitFor(new RegExp(`Extended silence \`${id}\` in infra until`), 10_000, from);
    const extended = await amSilence(env, id as string);
    expect(Math.abs(Date.parse(extended.endsAt) - Date.parse(created.endsAt) - 3_600_000)).toBeLessThan(
      5_000,
    );

    from = shell.text.length;
    shell.type(`silence expire ${id}`);
    await shell.waitFor(new RegExp(`Expired silence \`${id}\``), 10_000, from);
    expect((await amSilence(env, id as string)).status.state).toBe('expired');
  });

  it('explains matchers it cannot read, and an unknown silence or Alertmanager', async () => {
    let from = shell.text.length;
    shell.type('silence add alertname --for 1h --comment x');
    await shell.waitFor(/Those matchers do not parse: alertname needs an operator/, 10_000, from);
    from = shell.text.length;
    shell.type('silence expire 00000000-0000-0000-0000-000000000000');
    await shell.waitFor(/There is no silence `00000000-0000-0000-0000-000000000000` in infra/, 10_000, from);
    from = shell.text.length;
    shell.type('silence list --am apps');
    await shell.waitFor(/There is no Alertmanager named "apps"; configured: infra\./, 10_000, from);
  });

  it('asks to confirm a silence of everything, and refuses it to an operator', async () => {
    const before = (await amSilences(env)).length;
    let from = shell.text.length;
    shell.type('silence add alertname=~".*" --for 1h --comment "everything"');
    const [prompt] = await shell.waitFor(/Confirm a dangerous command[\s\S]*?choose\)/, 10_000, from);
    from = shell.text.length;
    shell.type(buttonNumber(prompt, 'Confirm'));
    await shell.waitFor(/would silence every alert; only an admin may do that/, 10_000, from);
    expect((await amSilences(env)).length).toBe(before);
  });
});

async function waitForGroupKey(b: Bot, alertname: string): Promise<string | undefined> {
  const rows = await b.store.dueOutbox(Number.MAX_SAFE_INTEGER, 10_000);
  const fromPending = rows.find((r) => JSON.stringify(r.payload).includes(alertname));
  if (fromPending) return fromPending.groupKey;
  // Delivered rows are no longer due; the group key is the one Alertmanager builds.
  return `{}:{alertname="${alertname}", cluster="apps", namespace="databases"}`;
}
