/**
 * Rooms, threads, pins, DMs and the rate limiter, driven through the RocketChatAdapter itself.
 * Rocket.Chat here is a PROTOCOL DOUBLE (test/support/rocketchat-double): a real Rocket.Chat
 * cannot run on this machine (MongoDB replica set and Meteor build unreachable; see
 * docs/chat-servers.md). The double speaks REST v1 and DDP to the real client code and
 * checks every request against the OpenAPI files and the rest-typings validators.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RocketChatAdapter } from '../../../adapters/chat/rocketchat/rocketchat-adapter.js';
import type { ActionEvent, Invocation } from '../../../src/ports.js';
import { ActionSigner } from '../../../src/security/signing.js';
import {
  type DoubleRoom,
  type DoubleUser,
  RocketChatDouble,
} from '../../support/rocketchat-double/server.js';

let double: RocketChatDouble;
let adapter: RocketChatAdapter;
let botUser: DoubleUser;
let alice: DoubleUser;
let bob: DoubleUser;
let ops: DoubleRoom;
const signer = new ActionSigner('r'.repeat(40));
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

beforeAll(async () => {
  double = new RocketChatDouble();
  await double.start();
  botUser = double.addUser('coxswain', 'bot-password');
  alice = double.addUser('alice');
  bob = double.addUser('bob');
  ops = double.addRoom('ops', 'c', [botUser, alice, bob]);
  // No App: buttons are attachment buttons that make the clicker post the command.
  adapter = new RocketChatAdapter({
    url: double.url,
    user: 'coxswain',
    password: 'bot-password',
    trigger: '/ops',
    signer,
    log: pino({ level: 'silent' }),
  });
  await adapter.start({
    onCommand: async (invocation) => {
      commands.push(invocation);
      await invocation.responder.reply({ text: `you said ${invocation.text}` }, 'in_channel');
    },
    onAction: async (event) => {
      actions.push(event);
    },
  });
});

afterAll(async () => {
  await adapter?.stop();
  await double?.stop();
});

afterEach(() => {
  // Each test answers for its own requests.
  expect(double.violations.splice(0)).toEqual([]);
});

describe('Rocket.Chat rooms and threads (protocol double)', () => {
  it('resolves a channel by name and posts, replies in a thread, updates and pins', async () => {
    const destination = await adapter.resolveChannel('#ops');
    expect(destination).toEqual({ channelId: ops._id });
    const root = await adapter.post(destination, {
      title: 'Incident 7',
      text: 'opened',
      severity: 'critical',
    });
    const reply = await adapter.post({ ...destination, threadId: root.postId }, { text: 'first update' });
    expect(reply.threadId).toBe(root.postId);
    const stored = double.messagesIn(ops);
    expect(stored.find((m) => m._id === reply.postId)?.tmid).toBe(root.postId);
    await adapter.update(root, { title: 'Incident 7', text: 'resolved' });
    await adapter.pin(root);
    const updated = stored.find((m) => m._id === root.postId);
    expect(updated?.msg).toBe('**Incident 7**\nresolved');
    expect(updated?.pinned).toBe(true);
  });

  it('creates a private group with a member, invites another, posts and archives it', async () => {
    const roomId = await adapter.createRoom('inc-7-dns', { private: true, members: ['alice'] });
    const room = double.rooms.get(roomId);
    expect(room?.t).toBe('p');
    expect(room?.members.has(alice._id)).toBe(true);
    await adapter.invite(roomId, 'bob');
    expect(room?.members.has(bob._id)).toBe(true);
    await adapter.post({ channelId: roomId }, { text: 'war room' });
    await adapter.archive(roomId);
    expect(room?.archived).toBe(true);
    expect(double.calls).toEqual(
      expect.arrayContaining([
        'POST /api/v1/groups.create',
        'POST /api/v1/groups.invite',
        'POST /api/v1/groups.archive',
      ]),
    );
  });

  it('creates and archives a public channel', async () => {
    const roomId = await adapter.createRoom('inc-8-mesh', { private: false });
    await adapter.invite(roomId, 'alice');
    await adapter.archive(roomId);
    expect(double.rooms.get(roomId)).toMatchObject({ t: 'c', archived: true });
  });

  it('sends a direct message', async () => {
    const ref = await adapter.directMessage('alice', { text: 'you are on call' });
    const dm = double.rooms.get(ref.channelId);
    expect(dm?.t).toBe('d');
    expect(double.messagesIn(dm as DoubleRoom).map((m) => m.msg)).toEqual(['you are on call']);
  });

  it('answers in the thread a command was typed in', async () => {
    const root = double.say(alice, ops, 'something is wrong');
    double.say(bob, ops, '@coxswain health', root._id);
    const answer = await waitFor('the answer', () =>
      double.messagesIn(ops).find((m) => m.u._id === botUser._id && m.msg === 'you said health'),
    );
    expect(answer.tmid).toBe(root._id);
  });

  it('takes /ops typed as a message (Message_AllowUnrecognizedSlashCommand on)', async () => {
    double.say(bob, ops, '/ops mesh status');
    await waitFor('the command', () =>
      commands.find((c) => c.text === 'mesh status' && c.user.username === 'bob'),
    );
  });
});

describe('Rocket.Chat buttons without the App (protocol double)', () => {
  it('runs a chat-window button click as the clicker, and refuses a forged one', async () => {
    const ref = await adapter.post(
      { channelId: ops._id },
      {
        text: 'Silence?',
        buttons: [{ label: 'Silence 1h', action: 'alert.silence', payload: { group: 'g1' } }],
      },
    );
    const message = double.messagesIn(ops).find((m) => m._id === ref.postId);
    if (!message) throw new Error('post missing');
    double.clickAttachmentButton(bob, message, 'Silence 1h');
    const event = await waitFor('the action', () => actions.find((a) => a.action === 'alert.silence'));
    expect(event.user).toMatchObject({ id: bob._id, username: 'bob' });
    expect(event.payload).toEqual({ group: 'g1' });
    expect(event.channel.id).toBe(ops._id);

    const forged = double.say(bob, ops, '@coxswain action eyJmYWtlIjp0cnVlfQ.bm90LWEtbWFj');
    await waitFor('the refusal', () =>
      double
        .messagesIn(ops)
        .find((m) => m.tmid === forged._id && m.msg.includes('not valid (bad signature)')),
    );
    expect(actions.filter((a) => a.action === 'alert.silence')).toHaveLength(1);
  });
});

describe('Rocket.Chat rate limits (protocol double)', () => {
  it('waits out 429s until x-ratelimit-reset and delivers every post once, in order', async () => {
    const room = await adapter.createRoom('rate-limited', { private: false });
    double.rateLimit(3, 300);
    const started = Date.now();
    const posts = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => adapter.post({ channelId: room }, { text: `alert ${n}` })),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(new Set(posts.map((p) => p.postId)).size).toBe(5);
    const texts = double.messagesIn(double.rooms.get(room) as DoubleRoom).map((m) => m.msg);
    expect([...texts].sort()).toEqual(['alert 1', 'alert 2', 'alert 3', 'alert 4', 'alert 5']);
  });

  it('fails loudly, never silently, when the limiter never lets up', async () => {
    const room = await adapter.createRoom('always-limited', { private: false });
    double.rateLimit(100, 20);
    await expect(adapter.post({ channelId: room }, { text: 'lost?' })).rejects.toThrow(
      /rate-limited chat.sendMessage 6 times/,
    );
    double.rateLimit(0, 0);
    await adapter.post({ channelId: room }, { text: 'retried from the outbox' });
    expect(double.messagesIn(double.rooms.get(room) as DoubleRoom).map((m) => m.msg)).toEqual([
      'retried from the outbox',
    ]);
  });
});
