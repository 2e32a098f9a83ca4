/**
 * The RocketChatAdapter's RoomsCapability (what incident rooms use), the groups it reports for
 * role bindings, and updates that take buttons away. Rocket.Chat here is a PROTOCOL DOUBLE
 * (test/support/rocketchat-double): a real Rocket.Chat cannot run on this machine (MongoDB
 * replica set and Meteor build unreachable; see docs/chat-servers.md). The double speaks
 * REST v1 (every request checked against the OpenAPI files and the rest-typings validators; the
 * multipart upload against rest-typings' types) and DDP (the `updateMessage` method with the
 * fields the server allows) to the real client code.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RocketChatAdapter } from '../../../adapters/chat/rocketchat/rocketchat-adapter.js';
import { type ActionEvent, type Invocation, RoomExistsError } from '../../../src/ports.js';
import { ActionSigner } from '../../../src/security/signing.js';
import {
  type DoubleRoom,
  type DoubleUser,
  RocketChatDouble,
} from '../../support/rocketchat-double/server.js';
import { createHarness } from '../../support/router-harness.js';

let double: RocketChatDouble;
let adapter: RocketChatAdapter;
let botUser: DoubleUser;
let alice: DoubleUser;
let bob: DoubleUser;
let carol: DoubleUser;
let dan: DoubleUser;
let ops: DoubleRoom;
const clock = { now: Date.now() };
const signer = new ActionSigner('g'.repeat(40));
const commands: Invocation[] = [];
const actions: ActionEvent[] = [];

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

type Attachment = { color?: string; actions?: Array<{ text: string }> };

beforeAll(async () => {
  double = new RocketChatDouble();
  await double.start();
  botUser = double.addUser('coxswain', 'bot-password', ['user', 'bot']);
  alice = double.addUser('alice', 'pw', ['user', 'ops-oncall']);
  bob = double.addUser('bob');
  carol = double.addUser('carol', 'pw', ['user', 'dba']);
  dan = double.addUser('dan');
  double.addTeam('platform', [bob, dan]);
  ops = double.addRoom('ops', 'c', [botUser, alice, bob, carol]);
  adapter = new RocketChatAdapter({
    url: double.url,
    userId: botUser._id,
    token: double.addPersonalToken(botUser),
    trigger: '/ops',
    signer,
    log: pino({ level: 'silent' }),
    now: () => clock.now,
  });
  await adapter.start({
    onCommand: async (invocation) => {
      commands.push(invocation);
    },
    onAction: async (event) => {
      actions.push(event);
    },
  });
  await waitFor('readiness', () => adapter.isReady());
});

afterAll(async () => {
  await adapter?.stop();
  await double?.stop();
});

afterEach(() => {
  expect(double.violations.splice(0)).toEqual([]);
});

describe('Rocket.Chat groups for role bindings (protocol double)', () => {
  it("reports a user's roles and teams as groups, cached for a minute", async () => {
    double.say(alice, ops, '@coxswain silence list');
    const first = await waitFor('alice', () => commands.find((c) => c.user.username === 'alice'));
    expect(first.user.groups.sort()).toEqual(['ops-oncall', 'user']);
    double.say(bob, ops, '@coxswain silence list');
    const second = await waitFor('bob', () => commands.find((c) => c.user.username === 'bob'));
    expect(second.user.groups.sort()).toEqual(['platform', 'user']);

    // Within the minute: no new lookup, even though alice lost the role meanwhile.
    alice.roles = ['user'];
    const lookups = () => double.calls.filter((c) => c === 'GET /api/v1/users.info').length;
    const before = lookups();
    double.say(alice, ops, '@coxswain health');
    await waitFor('alice again', () => commands.filter((c) => c.user.username === 'alice').length === 2);
    expect(lookups()).toBe(before);
    expect(commands.at(-1)?.user.groups).toContain('ops-oncall');

    // After it, the change counts.
    clock.now += 61_000;
    double.say(alice, ops, '@coxswain health');
    await waitFor(
      'alice a third time',
      () => commands.filter((c) => c.user.username === 'alice').length === 3,
    );
    expect(lookups()).toBe(before + 1);
    expect(commands.at(-1)?.user.groups).toEqual(['user']);
    alice.roles = ['user', 'ops-oncall'];
  });
});

describe('Rocket.Chat roles in role bindings, through the router (protocol double)', () => {
  it('lets a user run an operator command once they hold the bound Rocket.Chat role, not before', async () => {
    // Its own bot user and room, and the router as main.ts wires it, with one binding: the
    // Rocket.Chat role ops-oncall is operator.
    const harness = await createHarness({
      config: { auth: { bindings: [{ role: 'operator', groups: ['ops-oncall'] }] } },
    });
    const opsBot = double.addUser('ops-bot', 'unused', ['user', 'bot']);
    const gina = double.addUser('gina');
    const room = double.addRoom('ops-roles', 'c', [opsBot, gina]);
    const routed = new RocketChatAdapter({
      url: double.url,
      userId: opsBot._id,
      token: double.addPersonalToken(opsBot),
      trigger: '/ops',
      signer,
      log: pino({ level: 'silent' }),
      now: () => clock.now,
    });
    const answerTo = (asked: { _id: string }) =>
      waitFor('the answer', () =>
        double
          .messagesIn(room)
          .find((m) => m.u._id === opsBot._id && (m.tmid === asked._id || m.msg.includes('Incidents'))),
      );
    try {
      await routed.start({
        onCommand: (invocation) => harness.router.handle(invocation),
        onAction: async () => undefined,
      });
      await waitFor('readiness', () => routed.isReady());
      const refused = await answerTo(double.say(gina, room, '@ops-bot incident note "disk full"'));
      expect(refused.msg).toContain('needs the operator role; you have no role');

      gina.roles = ['user', 'ops-oncall'];
      clock.now += 61_000;
      const allowed = await answerTo(double.say(gina, room, '@ops-bot incident note "disk full"'));
      // Past authorization: the command itself answers (no incidents engine in this router).
      expect(allowed.msg).toContain('Incidents are not set up in this coxswain');
      expect(allowed.msg).not.toContain('needs the operator role');
    } finally {
      await routed.stop();
      await harness.close();
    }
  });
});

describe('Rocket.Chat updates take buttons away (protocol double)', () => {
  it('removes the attachment buttons when the message is updated to one without buttons', async () => {
    const ref = await adapter.post(
      { channelId: ops._id },
      {
        title: 'DiskPressure',
        text: 'firing',
        severity: 'critical',
        buttons: [{ label: 'Silence 1h', action: 'alert.silence', payload: { group: 'g1' } }],
      },
    );
    const stored = double.messagesIn(ops).find((m) => m._id === ref.postId);
    if (!stored) throw new Error('the post is missing');
    expect((stored.attachments as Attachment[])[0]?.actions?.map((a) => a.text)).toEqual(['Silence 1h']);
    double.calls.length = 0;

    await adapter.update(ref, {
      title: 'DiskPressure',
      text: 'silenced for 1h by @bob',
      severity: 'warning',
    });
    expect(stored.msg).toBe('**DiskPressure**\nsilenced for 1h by @bob');
    const after = stored.attachments as Attachment[];
    expect(after.flatMap((a) => a.actions ?? [])).toEqual([]);
    expect(after[0]?.color).toBe('#ffd21f');
    // Not over REST: chat.update cannot carry attachments.
    expect(double.calls).not.toContain('POST /api/v1/chat.update');

    await adapter.update(ref, { text: 'expired' });
    expect(stored.attachments).toEqual([]);
  });

  it('updates the text over REST while the stream is down', async () => {
    const ref = await adapter.post({ channelId: ops._id }, { text: 'before' });
    double.realtimePaused = true;
    double.dropConnections();
    await waitFor('the stream to drop', () => !adapter.isReady());
    try {
      await adapter.update(ref, { text: 'after' });
      expect(double.messagesIn(ops).find((m) => m._id === ref.postId)?.msg).toBe('after');
      expect(double.calls).toContain('POST /api/v1/chat.update');
    } finally {
      double.realtimePaused = false;
    }
    await waitFor('the stream to come back', () => adapter.isReady(), 20_000);
  });
});

describe('Rocket.Chat rooms capability (protocol double)', () => {
  it('creates a private group with a topic; a taken name, archived too, is RoomExistsError', async () => {
    const rooms = adapter.rooms;
    const room = await rooms.create('inc-20261123-dns', { private: true, purpose: 'Incident: DNS' });
    expect(room.name).toBe('inc-20261123-dns');
    expect(double.rooms.get(room.channelId)).toMatchObject({ t: 'p', name: 'inc-20261123-dns' });
    expect(double.rooms.get(room.channelId)?.members.has(botUser._id)).toBe(true);
    await expect(rooms.create('inc-20261123-dns', { private: false })).rejects.toBeInstanceOf(
      RoomExistsError,
    );
    await rooms.archive(room);
    expect(double.rooms.get(room.channelId)?.archived).toBe(true);
    await expect(rooms.create('inc-20261123-dns', { private: true })).rejects.toBeInstanceOf(RoomExistsError);
    expect(double.calls).toContain('POST /api/v1/groups.archive');
  });

  it('invites users, a team, a role; skips and names the unknown', async () => {
    const room = await adapter.rooms.create('inc-20261123-mesh', { private: false });
    const { skipped } = await adapter.rooms.invite(room, {
      users: ['alice', '@nobody'],
      groups: ['platform', 'dba', 'no-such-group'],
    });
    expect(skipped.sort()).toEqual(['no-such-group', 'nobody']);
    const members = double.rooms.get(room.channelId)?.members;
    for (const person of [botUser, alice, bob, dan, carol]) expect(members?.has(person._id)).toBe(true);
    expect(double.calls).toEqual(
      expect.arrayContaining([
        'GET /api/v1/teams.members',
        'GET /api/v1/roles.getUsersInRole',
        'POST /api/v1/channels.invite',
      ]),
    );
  });

  it('pins a post, uploads a file as multipart beside a message, links as #name', async () => {
    const room = await adapter.rooms.create('inc-20261123-files', { private: true });
    const summary = await adapter.post(room, { title: 'Summary', text: 'SEV2' });
    await adapter.rooms.pin(summary);
    expect(double.messagesIn(double.rooms.get(room.channelId) as DoubleRoom)[0]?.pinned).toBe(true);

    const content = '# Postmortem\n\n- 12:00 opened\n';
    const ref = await adapter.rooms.attach(
      room,
      { name: 'inc-20261123-files-postmortem.md', content, mimeType: 'text/markdown' },
      { text: 'Postmortem skeleton: `inc-20261123-files-postmortem.md`' },
    );
    const posted = double.messages.find((m) => m._id === ref.postId);
    expect(posted?.msg).toBe('Postmortem skeleton: `inc-20261123-files-postmortem.md`');
    const upload = double.uploads.get(posted?.file?._id ?? '');
    expect(upload).toMatchObject({
      name: 'inc-20261123-files-postmortem.md',
      type: 'text/markdown',
      content,
    });
    expect(double.calls).toEqual(
      expect.arrayContaining([
        `POST /api/v1/rooms.media/${room.channelId}`,
        `POST /api/v1/rooms.mediaConfirm/${room.channelId}/${upload?._id}`,
      ]),
    );
    expect(adapter.rooms.mention(room)).toBe('#inc-20261123-files');
  });

  it('archives a room it did not create in this process (looks its type up)', async () => {
    const group = double.addRoom('inc-20261101-old', 'p', [botUser]);
    await adapter.rooms.archive({ channelId: group._id });
    expect(group.archived).toBe(true);
    expect(double.calls).toContain('GET /api/v1/rooms.info');
  });
});
