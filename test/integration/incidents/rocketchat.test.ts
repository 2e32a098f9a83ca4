/**
 * Incident rooms end to end on Rocket.Chat, through the whole bot (startBot: config, router,
 * store, the incidents feature, the RocketChatAdapter logged in with a personal access token).
 * Rocket.Chat here is a PROTOCOL DOUBLE (test/support/rocketchat-double): a real Rocket.Chat
 * cannot run on this machine (it needs MongoDB as a replica set and a Meteor build, neither
 * reachable; see shared/notes/chat-servers.md). The double speaks REST v1 and DDP to the real
 * client code (the SDK's DDP driver, fetch), checks every REST request against Rocket.Chat's
 * OpenAPI files and the @rocket.chat/rest-typings validators (the multipart upload against
 * rest-typings' types), and every test ends by asserting it saw no request breaking them.
 * People type `/ops …` as a message (Message_AllowUnrecognizedSlashCommand on, no App); the
 * results are read from the double's rooms, members, pins, uploads and the bot's store.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compactDate } from '../../../src/incidents/time-zone.js';
import { type Bot, startBot } from '../../../src/main.js';
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
      chat: { rocketchat: { url: double.url, userId: botUser._id, tokenFile } },
      auth: {
        // Nobody is bound by name: the Rocket.Chat role and teams decide.
        bindings: [
          { role: 'operator', groups: ['ops-oncall', 'sre'] },
          { role: 'viewer', groups: ['platform'] },
        ],
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
});
