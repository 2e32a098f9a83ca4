/**
 * Incident rooms end to end on Rocket.Chat, through the whole bot (startBot: config, router,
 * store, the incidents feature, the RocketChatAdapter logged in with a personal access token).
 * Rocket.Chat here is a PROTOCOL DOUBLE (test/support/rocketchat-double): a real Rocket.Chat
 * cannot run on this machine (it needs MongoDB as a replica set and a Meteor build, neither
 * reachable; see docs/chat-servers.md). The double speaks REST v1 and DDP to the real
 * client code (the SDK's DDP driver, fetch), checks every REST request against Rocket.Chat's
 * OpenAPI files and the @rocket.chat/rest-typings validators (the multipart upload against
 * rest-typings' types), and every test ends by asserting it saw no request breaking them.
 * People type `/ops …` as a message (Message_AllowUnrecognizedSlashCommand on) and click the
 * alert post's UIKit button (the double plays the coxswain App, forwarding the click signed to
 * the bot's hook); alerts arrive as Alertmanager sends them. The results are read from the
 * double's rooms, members, pins, threads, uploads and the bot's store.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Bot, startBot } from '../../../src/main.js';
import { compactDate } from '../../../src/text/time.js';
import { freePort } from '../../support/free-port.js';
import {
  type DoubleMessage,
  type DoubleRoom,
  type DoubleUser,
  RocketChatDouble,
} from '../../support/rocketchat-double/server.js';

let double: RocketChatDouble;
let bot: Bot;
let dir: string;
let botUser: DoubleUser;
/** alice holds the Rocket.Chat role ops-oncall (bound to operator); bob is in the team sre (operator). */
let alice: DoubleUser;
let bob: DoubleUser;
/** carol is only in the team platform (bound to viewer); dave is on call in the rota. */
let carol: DoubleUser;
let dave: DoubleUser;
/** erin is on the sev 1 list by name, frank by the Rocket.Chat role dba. */
let erin: DoubleUser;
let frank: DoubleUser;
let ops: DoubleRoom;
let announcements: DoubleRoom;
const APP_ID = '6f7d1c2e-5b7a-4c3e-9a51-3d2f8e4b9c10';
const APP_SECRET = 'incidents-app-secret-shared-with-the-bot-0123';
const WEBHOOK_TOKEN = 'incidents-webhook-token-0123456789';

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function botPostWith(room: DoubleRoom, ...parts: string[]): Promise<DoubleMessage> {
  return waitFor(`a bot post in ${room.name} with ${parts.join(' … ')}`, () =>
    double.messagesIn(room).find((m) => m.u._id === botUser._id && parts.every((p) => m.msg.includes(p))),
  );
}

/** An Alertmanager version 4 webhook body with one alert. */
function alertmanagerPayload(status: 'firing' | 'resolved', fingerprint: string, startsAt: string) {
  const labels = { alertname: 'DiskPressure', cluster: 'apps', severity: 'critical', node: 'worker-3' };
  const annotations = { summary: 'disk almost full on worker-3' };
  return {
    version: '4',
    groupKey: '{}:{alertname="DiskPressure"}',
    truncatedAlerts: 0,
    status,
    receiver: 'coxswain',
    groupLabels: { alertname: 'DiskPressure' },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: 'http://alertmanager.invalid',
    alerts: [
      {
        status,
        labels,
        annotations,
        startsAt,
        endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint,
      },
    ],
  };
}

async function webhook(body: unknown): Promise<number> {
  const response = await fetch(`${bot.url}/hooks/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

function roomNamed(name: string): DoubleRoom | undefined {
  return [...double.rooms.values()].find((r) => r.name === name);
}

beforeAll(async () => {
  double = new RocketChatDouble();
  await double.start();
  botUser = double.addUser('coxswain', 'unused-password', ['user', 'bot']);
  alice = double.addUser('alice', 'pw', ['user', 'ops-oncall']);
  bob = double.addUser('bob');
  carol = double.addUser('carol');
  dave = double.addUser('dave');
  erin = double.addUser('erin');
  frank = double.addUser('frank', 'pw', ['user', 'dba']);
  double.addTeam('sre', [bob]);
  double.addTeam('platform', [carol]);
  ops = double.addRoom('ops', 'c', [botUser, alice, bob, carol]);
  announcements = double.addRoom('incidents', 'c', [botUser]);

  const port = await freePort();
  double.app = { id: APP_ID, secret: APP_SECRET, botUrl: `http://127.0.0.1:${port}` };
  dir = mkdtempSync(join(tmpdir(), 'coxswain-rc-incidents-'));
  const tokenFile = join(dir, 'rocketchat-token');
  writeFileSync(tokenFile, `${double.addPersonalToken(botUser)}\n`);
  const configPath = join(dir, 'coxswain.yaml');
  writeFileSync(
    configPath,
    JSON.stringify({
      http: { host: '127.0.0.1', port },
      store: { sqlite: { path: join(dir, 'coxswain.db') } },
      security: { signingKey: 'r'.repeat(40) },
      chat: {
        rocketchat: { url: double.url, userId: botUser._id, tokenFile, appId: APP_ID, appSecret: APP_SECRET },
      },
      auth: {
        // Nobody is bound by name: the Rocket.Chat role and teams decide.
        bindings: [
          { role: 'operator', groups: ['ops-oncall', 'sre'] },
          { role: 'viewer', groups: ['platform'] },
        ],
      },
      alerts: {
        webhook: { token: WEBHOOK_TOKEN },
        defaultRoute: { channels: ['ops'] },
        delivery: { interval: '200ms', maxBackoff: '1s' },
      },
      incidents: {
        private: true,
        announceChannel: 'incidents',
        announceUpTo: 2,
        archiveAfter: '3s',
        invite: { '1': ['@erin', '~dba'] },
        runbooks: [{ label: 'Incident process', url: 'https://wiki.example.invalid/incident-process' }],
      },
      oncall: {
        teams: [{ name: 'platform', rotation: 'daily', start: '2026-01-01', people: ['@dave'] }],
      },
    }),
  );
  bot = await startBot({ configPath, env: {}, logger: pino({ level: process.env.RC_BOT_LOG ?? 'silent' }) });
  await waitFor('the bot to be ready', () => bot.chat.isReady());
});

afterAll(async () => {
  await bot?.stop();
  await double?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  expect(double.violations.splice(0)).toEqual([]);
});

describe('incident rooms on Rocket.Chat (protocol double)', () => {
  let room: DoubleRoom;

  it('refuses a user without the operator role, and opens no room', async () => {
    const asked = double.say(carol, ops, '/ops incident open "Database down" --sev 1');
    const refusal = await waitFor('the refusal', () =>
      double.messagesIn(ops).find((m) => m.u._id === botUser._id && m.tmid === asked._id),
    );
    expect(refusal.msg).toContain('needs the operator role; you have the viewer role');
    expect(await bot.store.listIncidents({})).toEqual([]);
    expect([...double.rooms.values()].some((r) => r.name.startsWith('inc-'))).toBe(false);
  });

  it('opens a room from a command: private, on-call people in, summary pinned, linked back, announced', async () => {
    // alice is bound to operator only through her Rocket.Chat role ops-oncall.
    double.say(alice, ops, '/ops incident open "Database down" --sev 1');
    const opened = await waitFor('the incident', async () =>
      (await bot.store.listIncidents({})).find((i) => i.title === 'Database down'),
    );
    expect(opened.channelName).toBe(`inc-${compactDate(opened.createdAt, 'UTC')}-database-down`);
    room = await waitFor('the room', () => roomNamed(opened.channelName));
    expect(room.t).toBe('p');
    expect(opened).toMatchObject({ severity: 1, state: 'open', commander: 'alice', channelId: room._id });

    // The opener, the rota's on-call person, the sev 1 list (erin by name, frank by the role dba).
    await waitFor('the invitations', () => room.members.has(frank._id));
    for (const person of [botUser, alice, dave, erin, frank]) expect(room.members.has(person._id)).toBe(true);
    for (const person of [bob, carol]) expect(room.members.has(person._id)).toBe(false);
    const invited = (await bot.store.listTimeline(opened.id)).find((e) => e.kind === 'invited');
    expect(invited?.text).toContain('~dba');
    expect(invited?.text).not.toContain('skipped');

    const summary = await waitFor('the pinned summary', () => double.messagesIn(room).find((m) => m.pinned));
    expect(summary.u._id).toBe(botUser._id);
    expect(summary.msg).toContain('Incident: Database down');
    expect(summary.msg).toContain('**SEV1**');
    expect(summary.msg).toContain('Commander: @alice');
    expect(summary.msg).toContain('from #ops');

    // Rocket.Chat links rooms as #name.
    await botPostWith(ops, `Incident room #${room.name} is open`, '**SEV1** Database down');
    await botPostWith(announcements, 'SEV1 incident: Database down', `Room: #${room.name}`);
  });

  it('puts notes and severity changes on the timeline with time and author; the summary follows', async () => {
    const before = Date.now();
    double.say(alice, room, '/ops incident note "replica 2 lagging, failover next"');
    await botPostWith(room, '📝 @alice: replica 2 lagging, failover next');
    // bob is an operator through the team sre.
    double.say(bob, room, '/ops incident sev 2');
    await botPostWith(room, 'Severity changed by @bob: SEV1 → **SEV2**');
    await waitFor('the summary to show SEV2', () =>
      double.messagesIn(room).find((m) => m.pinned && m.msg.includes('**SEV2**')),
    );
    const incident = (await bot.store.listIncidents({})).find((i) => i.channelName === room.name);
    const timeline = await bot.store.listTimeline(incident?.id ?? -1);
    const note = timeline.find((e) => e.kind === 'note');
    const severity = timeline.find((e) => e.kind === 'severity');
    expect(note).toMatchObject({ author: 'alice', text: 'replica 2 lagging, failover next' });
    expect(severity).toMatchObject({ author: 'bob', text: 'SEV1 → SEV2' });
    for (const entry of [note, severity]) {
      expect(entry?.at).toBeGreaterThanOrEqual(before);
      expect(entry?.at).toBeLessThanOrEqual(Date.now());
    }
  });

  it('resolves: timeline posted, postmortem uploaded as a file, origin told, room archived after the delay', async () => {
    double.say(alice, room, '/ops incident resolve "replica 2 promoted, old primary fenced"');
    const resolved = await botPostWith(room, 'Resolved by @alice: Database down');
    expect(resolved.msg).toContain('replica 2 promoted, old primary fenced');
    expect(resolved.msg).toMatch(/\| @alice \| note \| replica 2 lagging, failover next \|/);
    expect(resolved.msg).toMatch(/\| @bob \| severity \| SEV1 → SEV2 \|/);

    const exported = await waitFor('the post with the export file', () =>
      double.messagesIn(room).find((m) => m.u._id === botUser._id && m.file),
    );
    expect(exported.msg).toContain('Postmortem skeleton');
    const upload = double.uploads.get(exported.file?._id ?? '');
    expect(upload).toMatchObject({
      name: `${room.name}-postmortem.md`,
      type: 'text/markdown',
      rid: room._id,
    });
    for (const heading of [
      '# Postmortem: Database down',
      '## Impact',
      '## Timeline',
      '## Root cause',
      '## Action items',
    ])
      expect(upload?.content).toContain(heading);

    await botPostWith(ops, `Incident #${room.name} is resolved: replica 2 promoted, old primary fenced`);
    const incident = (await bot.store.listIncidents({})).find((i) => i.channelName === room.name);
    expect(incident).toMatchObject({ state: 'resolved', summary: 'replica 2 promoted, old primary fenced' });
    expect(room.archived).toBeFalsy();
    await waitFor('the room to be archived', () => room.archived, 30_000);
    expect(double.calls).toContain('POST /api/v1/groups.archive');
    const after = (await bot.store.listIncidents({})).find((i) => i.channelName === room.name);
    expect(after?.archivedAt).toBeGreaterThanOrEqual(incident?.archiveAt ?? Number.POSITIVE_INFINITY);
  });

  it('gives a second incident with the same title on the same day a room of its own', async () => {
    double.say(alice, ops, '/ops incident open "Database down" --sev 3');
    const second = await waitFor('the second incident', async () =>
      (await bot.store.listIncidents({})).find((i) => i.title === 'Database down' && i.state === 'open'),
    );
    expect(second.channelName).not.toBe(room.name);
    expect(second.channelName).toMatch(new RegExp(`^${room.name}-\\d+$`));
    const other = await waitFor('the second room', () => roomNamed(second.channelName));
    expect(other._id).not.toBe(room._id);
    expect(other.archived).toBeFalsy();
    await botPostWith(ops, `Incident room #${second.channelName} is open`, '**SEV3**');
  });

  let alertRoom: DoubleRoom;
  let alertPost: DoubleMessage;
  const fingerprint = `d15c${Date.now().toString(16)}`;
  const startsAt = new Date(Date.now() - 60_000).toISOString();

  it('opens a room from the Open incident button of an alert post, linked both ways', async () => {
    expect(await webhook(alertmanagerPayload('firing', fingerprint, startsAt))).toBe(200);
    alertPost = await botPostWith(ops, 'DiskPressure', 'disk almost full on worker-3');
    // carol (viewer) is refused, privately, and nothing opens.
    expect(await double.clickBlockButton(carol, alertPost, 'Open incident')).toBe(200);
    await waitFor('the refusal', () =>
      double.notices.find((n) => n.userId === carol._id && n.text.includes('needs the operator role')),
    );
    // bob (operator through the team sre) opens it.
    expect(await double.clickBlockButton(bob, alertPost, 'Open incident')).toBe(200);
    const opened = await waitFor('the incident', async () =>
      (await bot.store.listIncidents({})).find((i) => i.title.startsWith('DiskPressure')),
    );
    expect(opened).toMatchObject({
      severity: 1,
      cluster: 'apps',
      commander: 'bob',
      originThreadId: alertPost._id,
    });
    alertRoom = await waitFor('the room', () => roomNamed(opened.channelName));
    await waitFor('the invitations', () => alertRoom.members.has(frank._id));
    for (const person of [bob, dave, erin, frank]) expect(alertRoom.members.has(person._id)).toBe(true);
    // Room → alert: the pinned summary has the alert and the alert post's permalink.
    const summary = await waitFor('the pinned summary', () =>
      double.messagesIn(alertRoom).find((m) => m.pinned),
    );
    expect(summary.msg).toContain(`DiskPressure \`${fingerprint}\` on apps: **firing**`);
    const links = (summary.attachments as Array<{ actions?: Array<{ text: string; url?: string }> }>).flatMap(
      (a) => a.actions ?? [],
    );
    expect(links).toContainEqual({
      type: 'button',
      text: 'Alert post',
      url: `${double.url}/channel/ops?msg=${alertPost._id}`,
    });
    // Alert → room: the link goes into the alert post's thread; the clicker is told privately.
    await waitFor('the link in the alert thread', () =>
      double
        .messagesIn(ops)
        .find((m) => m.tmid === alertPost._id && m.msg.includes(`Incident room #${alertRoom.name} is open`)),
    );
    await waitFor('the notice to bob', () =>
      double.notices.find((n) => n.userId === bob._id && n.text.includes(`Opened #${alertRoom.name}`)),
    );
  });

  it('posts the linked alert resolving into the room', async () => {
    expect(await webhook(alertmanagerPayload('resolved', fingerprint, startsAt))).toBe(200);
    await botPostWith(alertRoom, `Linked alert DiskPressure \`${fingerprint}\` is now **resolved**`);
    await waitFor('the summary to show the resolved alert', () =>
      double
        .messagesIn(alertRoom)
        .find((m) => m.pinned && m.msg.includes(`\`${fingerprint}\` on apps: **resolved**`)),
    );
    const incident = (await bot.store.listIncidents({})).find((i) => i.channelName === alertRoom.name);
    const entry = (await bot.store.listTimeline(incident?.id ?? -1)).find(
      (e) => e.kind === 'alert' && e.text.includes('resolved'),
    );
    expect(entry).toMatchObject({ author: 'alertmanager', text: `DiskPressure ${fingerprint} is resolved` });
  });
});
