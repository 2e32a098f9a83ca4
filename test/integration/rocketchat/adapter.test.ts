/**
 * The Rocket.Chat adapter end to end, through the whole bot (startBot: config, router, store,
 * HTTP hooks). Rocket.Chat here is a PROTOCOL DOUBLE (test/support/rocketchat-double): a real
 * Rocket.Chat cannot run on this machine (it needs MongoDB as a replica set and a Meteor build,
 * neither reachable; see docs/chat-servers.md). The double speaks the real REST v1 and
 * DDP wire protocols to the real client code (@rocket.chat/sdk's DDP driver, fetch for REST),
 * checks every REST request against Rocket.Chat's OpenAPI files and the
 * @rocket.chat/rest-typings validators, and plays the coxswain App's forwarding. Every test
 * ends by asserting the double saw no request that breaks the published API.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RocketChatAdapter } from '../../../adapters/chat/rocketchat/rocketchat-adapter.js';
import { type Bot, startBot } from '../../../src/main.js';
import { freePort } from '../../support/free-port.js';
import {
  type DoubleMessage,
  type DoubleRoom,
  type DoubleUser,
  RocketChatDouble,
} from '../../support/rocketchat-double/server.js';

const APP_ID = '6f7d1c2e-5b7a-4c3e-9a51-3d2f8e4b9c10';
const APP_SECRET = 'app-secret-shared-with-the-bot-0123456789';

let double: RocketChatDouble;
let bot: Bot;
let botUser: DoubleUser;
let alice: DoubleUser;
let bob: DoubleUser;
let ops: DoubleRoom;

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function botPostsIn(room: DoubleRoom): DoubleMessage[] {
  return double.messagesIn(room).filter((m) => m.u._id === botUser._id);
}

beforeAll(async () => {
  double = new RocketChatDouble();
  await double.start();
  botUser = double.addUser('coxswain', 'bot-password');
  alice = double.addUser('alice');
  bob = double.addUser('bob');
  ops = double.addRoom('ops', 'c', [botUser, alice, bob]);
  const port = await freePort();
  double.app = { id: APP_ID, secret: APP_SECRET, botUrl: `http://127.0.0.1:${port}` };
  const dir = mkdtempSync(join(tmpdir(), 'coxswain-rc-'));
  const configPath = join(dir, 'coxswain.yaml');
  writeFileSync(
    configPath,
    JSON.stringify({
      http: { host: '127.0.0.1', port },
      store: { sqlite: { path: join(dir, 'coxswain.db') } },
      security: { signingKey: 'k'.repeat(40) },
      chat: {
        rocketchat: {
          url: double.url,
          user: 'coxswain',
          password: 'bot-password',
          appId: APP_ID,
          appSecret: APP_SECRET,
        },
      },
      auth: {
        bindings: [
          { role: 'admin', users: ['alice'] },
          { role: 'viewer', users: ['bob'] },
        ],
      },
    }),
  );
  bot = await startBot({ configPath, env: {}, logger: pino({ level: 'silent' }) });
  const adapter = bot.chat as RocketChatAdapter;
  // Fast reconnects for the drop test; production backs off from 500 ms.
  (adapter.realtime as unknown as { options: { initialBackoffMs: number } }).options.initialBackoffMs = 50;
  await waitFor('the bot to be ready', () => bot.chat.isReady());
});

afterAll(async () => {
  await bot?.stop();
  await double?.stop();
});

afterEach(() => {
  // Each test answers for its own requests.
  expect(double.violations.splice(0)).toEqual([]);
});

describe('Rocket.Chat (protocol double)', () => {
  it('logs in over REST and subscribes to the message stream over DDP', async () => {
    expect(double.calls).toContain('POST /api/v1/login');
    expect(double.subscriberCount()).toBe(1);
    const health = (await fetch(`${bot.url}/healthz`).then((r) => r.json())) as {
      details: Record<string, boolean>;
    };
    expect(health.details['chat:rocketchat']).toBe(true);
  });

  it('answers /ops from the App in the channel, and privately through the App notice', async () => {
    const before = botPostsIn(ops).length;
    expect(await double.slashCommand(bob, ops, 'help')).toBe(200);
    const notice = await waitFor('the help notice', () => double.notices.find((n) => n.userId === bob._id));
    expect(notice.roomId).toBe(ops._id);
    expect(notice.text).toContain('/ops health');
    expect(botPostsIn(ops).length).toBe(before);
  });

  it('refuses a command hook with a bad signature and runs nothing', async () => {
    const notices = double.notices.length;
    expect(await double.slashCommand(bob, ops, 'help', 'not-the-shared-secret-0123456789abcdef')).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(double.notices.length).toBe(notices);
  });

  it('runs a button click as the clicker and updates the original message', async () => {
    expect(await double.slashCommand(alice, ops, 'phase pause foundation')).toBe(200);
    const ask = await waitFor('the confirmation', () =>
      botPostsIn(ops).find((m) => m.msg.includes('Run `/ops phase pause foundation`?')),
    );
    const labels = ask.blocks?.flatMap((b) => b.elements ?? []).map((e) => (e.text as { text: string }).text);
    expect(labels).toEqual(['Confirm', 'Cancel']);
    // Bob is not the invoker: the action runs as Bob and is refused by the router.
    expect(await double.clickBlockButton(bob, ask, 'Confirm')).toBe(200);
    await waitFor('the refusal to bob', () =>
      double.notices.find((n) => n.userId === bob._id && n.text.includes('Only @alice')),
    );
    expect(ask.msg).toContain('Run `/ops phase pause foundation`?');
    expect(await double.clickBlockButton(alice, ask, 'Confirm')).toBe(200);
    await waitFor('the update', () => ask.editedAt && ask.msg.includes('Confirmed by @alice'));
  });

  it('refuses a forged or tampered button value', async () => {
    expect(await double.slashCommand(alice, ops, 'phase pause storage')).toBe(200);
    const ask = await waitFor('the confirmation', () =>
      botPostsIn(ops).find((m) => m.msg.includes('phase pause storage')),
    );
    const real = String(ask.blocks?.[0]?.elements?.[0]?.value);
    const [body] = real.split('.');
    expect(await double.clickBlockButton(alice, ask, 'Confirm', `${body}.forged-mac`)).toBe(403);
    // A valid token for Cancel pressed as Confirm does not pass either.
    const cancel = String(ask.blocks?.[0]?.elements?.[1]?.value);
    expect(await double.clickBlockButton(alice, ask, 'Confirm', cancel)).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ask.editedAt).toBeUndefined();
  });

  it('answers a mention over DDP in a thread under the question', async () => {
    const question = double.say(bob, ops, '@coxswain help');
    const answer = await waitFor('the threaded answer', () =>
      botPostsIn(ops).find((m) => m.tmid === question._id),
    );
    expect(answer.msg).toContain('/ops health');
  });

  it('answers a DM over DDP in the DM', async () => {
    const dm = double.directRoom(botUser, alice);
    double.say(alice, dm, 'help');
    const answer = await waitFor('the DM answer', () => botPostsIn(dm)[0]);
    expect(answer.msg).toContain('/ops health');
    expect(answer.tmid).toBeUndefined();
  });

  it('ignores its own messages and plain chatter', async () => {
    const before = botPostsIn(ops).length;
    double.say(bob, ops, 'lunch anyone?');
    double.say(bob, ops, '@coxswain-dev help');
    double.say(bob, ops, 'ask @coxswain help later');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(botPostsIn(ops).length).toBe(before);
  });

  it('reconnects after the WebSocket drops, resubscribes once, and answers the next command once', async () => {
    const adapter = bot.chat as RocketChatAdapter;
    const connections = adapter.realtime.connections;
    double.dropConnections();
    await waitFor('the drop to be noticed', () => !bot.chat.isReady());
    await waitFor(
      'the reconnect',
      () => bot.chat.isReady() && adapter.realtime.connections === connections + 1,
    );
    expect(double.subscriberCount()).toBe(1);
    const question = double.say(bob, ops, '@coxswain help');
    await waitFor('the answer after reconnect', () => botPostsIn(ops).find((m) => m.tmid === question._id));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(botPostsIn(ops).filter((m) => m.tmid === question._id)).toHaveLength(1);
  });

  it('answers, once, a command posted while the stream was down (fetched after the reconnect)', async () => {
    const adapter = bot.chat as RocketChatAdapter;
    const connections = adapter.realtime.connections;
    double.realtimePaused = true;
    double.dropConnections();
    await waitFor('the drop to be noticed', () => !bot.chat.isReady());
    const missed = double.say(bob, ops, '@coxswain help');
    const dm = double.directRoom(botUser, bob);
    const missedDm = double.say(bob, dm, 'help');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(botPostsIn(ops).find((m) => m.tmid === missed._id)).toBeUndefined();
    double.realtimePaused = false;
    await waitFor(
      'the reconnect',
      () => bot.chat.isReady() && adapter.realtime.connections === connections + 1,
    );
    await waitFor('the missed mention answered', () => botPostsIn(ops).find((m) => m.tmid === missed._id));
    await waitFor('the missed DM answered', () => botPostsIn(dm).find((m) => m.ts >= missedDm.ts));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(botPostsIn(ops).filter((m) => m.tmid === missed._id)).toHaveLength(1);
    expect(botPostsIn(dm).filter((m) => m.ts >= missedDm.ts)).toHaveLength(1);
    expect(double.calls).toContain('GET /api/v1/chat.syncMessages');
  });

  it('after a server restart (tokens revoked, sockets dropped) logs in again and answers', async () => {
    const adapter = bot.chat as RocketChatAdapter;
    const connections = adapter.realtime.connections;
    const logins = double.calls.filter((c) => c === 'POST /api/v1/login').length;
    double.revokeTokens();
    double.dropConnections();
    await waitFor(
      'the reconnect',
      () => bot.chat.isReady() && adapter.realtime.connections === connections + 1,
    );
    expect(double.calls.filter((c) => c === 'POST /api/v1/login').length).toBe(logins + 1);
    const question = double.say(alice, ops, '@coxswain help');
    await waitFor('the answer', () => botPostsIn(ops).find((m) => m.tmid === question._id));
  });

  it('logs in again when a REST call finds its token revoked', async () => {
    double.revokeTokens();
    await bot.chat.post({ channelId: ops._id }, { text: 'still here' });
    expect(botPostsIn(ops).at(-1)?.msg).toBe('still here');
  });
});
