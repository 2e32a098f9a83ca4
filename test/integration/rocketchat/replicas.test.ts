/**
 * Rocket.Chat with two replicas on one store, driven through the RocketChatAdapter itself:
 * - an alert post made just before the process died (the message exists, its id never reached
 *   the store) is found by its key custom field by the next replica and not posted again;
 * - a mention or DM heard by both replicas' realtime connections is answered once, by the
 *   replica that claimed the message id in the store.
 * Rocket.Chat here is a PROTOCOL DOUBLE (test/support/rocketchat-double): a real Rocket.Chat
 * cannot run on this machine (MongoDB replica set and Meteor build unreachable; see
 * docs/chat-servers.md). The double checks every request against the OpenAPI files and the
 * rest-typings validators, and refuses custom fields as the server's validateCustomMessageFields
 * does. The store is the real SQLite implementation, one database shared by both replicas.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { POST_KEY_FIELD, RocketChatAdapter } from '../../../adapters/chat/rocketchat/rocketchat-adapter.js';
import { AlertDelivery } from '../../../src/alerts/delivery.js';
import { createAlertMetrics } from '../../../src/alerts/metrics.js';
import { dedupeKey, type OutboxAlert, type WebhookPayload } from '../../../src/alerts/payload.js';
import { AlertRouter } from '../../../src/alerts/routing.js';
import { configSchema } from '../../../src/config/schema.js';
import type { Logger } from '../../../src/log.js';
import type { ChatPort, Invocation } from '../../../src/ports.js';
import { ActionSigner } from '../../../src/security/signing.js';
import { SqlStore } from '../../../src/store/sql-store.js';
import { SqliteDriver } from '../../../src/store/sqlite-driver.js';
import { alert, payload } from '../../support/alert-payloads.js';
import {
  type DoubleRoom,
  type DoubleUser,
  RocketChatDouble,
} from '../../support/rocketchat-double/server.js';

const signer = new ActionSigner('r'.repeat(40));
/** What an admin puts in Message_CustomFields for coxswain (README). */
const KEY_SCHEMA = JSON.stringify({ properties: { [POST_KEY_FIELD]: { type: 'string' } } });

let double: RocketChatDouble;
let store: SqlStore;
let bot: DoubleUser;
let alice: DoubleUser;
let alertsRoom: DoubleRoom;
let ops: DoubleRoom;
let token: string;
const adapters: RocketChatAdapter[] = [];

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** One replica's adapter: its own process state, the shared bot login (a personal access token). */
function adapter(replica: string, log: Logger = pino({ level: 'silent' })): RocketChatAdapter {
  const made = new RocketChatAdapter({
    url: double.url,
    userId: bot._id,
    token,
    trigger: '/ops',
    signer,
    log,
    store,
    replica,
  });
  adapters.push(made);
  return made;
}

function delivery(chat: ChatPort, owner: string, clock: { now: number }, metrics = new Registry()) {
  const config = configSchema.parse({ alerts: { storm: { threshold: 1000 } } });
  return new AlertDelivery({
    store,
    chat,
    router: new AlertRouter(config.alerts),
    log: pino({ level: 'silent' }),
    metrics: createAlertMetrics(metrics, store),
    alerts: config.alerts,
    owner,
    claimLeaseMs: 30_000,
    now: () => clock.now,
    sleep: async () => {},
  });
}

async function receive(p: WebhookPayload, at: number): Promise<void> {
  for (const a of p.alerts) {
    const row: OutboxAlert = {
      groupKey: p.groupKey,
      receiver: p.receiver,
      groupLabels: p.groupLabels,
      commonLabels: p.commonLabels,
      commonAnnotations: p.commonAnnotations,
      externalURL: p.externalURL,
      alert: a,
    };
    await store.enqueueOutbox({
      dedupeKey: dedupeKey(p.groupKey, a),
      groupKey: p.groupKey,
      payload: row as unknown as Record<string, unknown>,
      nextAttemptAt: at,
      receivedAt: at,
    });
  }
}

/** The adapter as a process that is killed once the server has made the post, before it hears the id. */
function killedAfterPosting(chat: RocketChatAdapter): ChatPort {
  return {
    platform: chat.platform,
    start: (handlers) => chat.start(handlers),
    stop: () => chat.stop(),
    isReady: () => chat.isReady(),
    resolveChannel: (name) => chat.resolveChannel(name),
    update: (ref, message) => chat.update(ref, message),
    post: async (destination, message, options) => {
      await chat.post(destination, message, options);
      throw new Error('killed before the post id was stored');
    },
  };
}

const handlers = (replica: string, heard: Array<{ replica: string; invocation: Invocation }>) => ({
  onCommand: async (invocation: Invocation) => {
    heard.push({ replica, invocation });
    await invocation.responder.reply({ text: `${replica} answers ${invocation.text}` }, 'in_channel');
  },
  onAction: async () => {},
});

beforeEach(async () => {
  double = new RocketChatDouble();
  await double.start();
  bot = double.addUser('coxswain', 'bot-password');
  token = double.addPersonalToken(bot);
  alice = double.addUser('alice');
  alertsRoom = double.addRoom('alerts', 'c', [bot, alice]);
  ops = double.addRoom('ops', 'c', [bot, alice]);
  store = new SqlStore(new SqliteDriver(':memory:'));
  await store.migrate();
});

afterEach(async () => {
  for (const made of adapters.splice(0)) await made.stop();
  await double.stop();
  await store.close();
  expect(double.violations.splice(0)).toEqual([]);
});

const byBot = (room: DoubleRoom) => double.messagesIn(room).filter((m) => m.u._id === bot._id);

describe('Rocket.Chat alert posts across a crash (protocol double, SQLite store)', () => {
  it('finds the post the dead replica made by its key and does not post it again', async () => {
    double.messageCustomFields = { enabled: true, schema: KEY_SCHEMA };
    const clock = { now: Date.now() };
    const first = adapter('a');
    await first.start(handlers('a', []));
    await receive(
      payload([alert({ labels: { alertname: 'DiskPressure', pod: 'a' } })], { groupKey: 'g1' }),
      clock.now,
    );
    // The post reaches the server; the process dies before the store hears its id.
    expect(await delivery(killedAfterPosting(first), 'a', clock).runOnce()).toBe(0);
    const [made] = byBot(alertsRoom);
    expect(made?.customFields?.[POST_KEY_FIELD]).toEqual(expect.any(String));
    // The store holds the intent (the key) but not the message id.
    expect((await store.findAlertPosts('g1'))[0]?.postId).not.toBe(made?._id);
    await first.stop();

    // Another replica (fresh process state, same store) takes the group over once the lease ends.
    clock.now += 60_000;
    const second = adapter('b');
    await second.start(handlers('b', []));
    const metrics = new Registry();
    expect(await delivery(second, 'b', clock, metrics).runOnce()).toBe(1);
    expect(byBot(alertsRoom)).toHaveLength(1);
    const [saved] = await store.findAlertPosts('g1');
    expect(saved?.postId).toBe(made?._id);
    expect(made?.customFields?.[POST_KEY_FIELD]).toBe(saved?.postKey);
    expect(await metrics.getSingleMetricAsString('coxswain_alert_posts_total')).toContain(
      'coxswain_alert_posts_total{outcome="recovered"} 1',
    );

    // The group's next change updates that post, still one message.
    await receive(
      payload([alert({ labels: { alertname: 'DiskPressure', pod: 'a' }, status: 'resolved' })], {
        groupKey: 'g1',
      }),
      clock.now,
    );
    await delivery(second, 'b', clock).runOnce();
    expect(byBot(alertsRoom).filter((m) => !m.tmid)).toHaveLength(1);
  });

  it('a resolved reply in the thread that the dead replica made is not told twice', async () => {
    double.messageCustomFields = { enabled: true, schema: KEY_SCHEMA };
    const clock = { now: Date.now() };
    const first = adapter('a');
    await first.start(handlers('a', []));
    await receive(
      payload([alert({ labels: { alertname: 'Probe', pod: 'a' } })], { groupKey: 'g2' }),
      clock.now,
    );
    await delivery(first, 'a', clock).runOnce();
    await receive(
      payload([alert({ labels: { alertname: 'Probe', pod: 'a' }, status: 'resolved' })], { groupKey: 'g2' }),
      clock.now,
    );
    await delivery(killedAfterPosting(first), 'a', clock).runOnce();
    const replies = () => byBot(alertsRoom).filter((m) => m.tmid);
    expect(replies()).toHaveLength(1);
    await first.stop();

    clock.now += 60_000;
    const second = adapter('b');
    await second.start(handlers('b', []));
    await delivery(second, 'b', clock).runOnce();
    expect(replies()).toHaveLength(1);
    expect(await store.countOutbox()).toMatchObject({ pending: 0 });
  });

  it('with custom fields off on the server, still posts (without the key) and says how to turn keys on', async () => {
    const lines: string[] = [];
    const log = pino(
      { level: 'error' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const chat = adapter('a', log);
    await chat.start(handlers('a', []));
    const destination = await chat.resolveChannel('#alerts');
    await chat.post(destination, { text: 'first' }, { key: 'k1' });
    await chat.post(destination, { text: 'second' }, { key: 'k2' });
    expect(byBot(alertsRoom).map((m) => [m.msg, m.customFields])).toEqual([
      ['first', undefined],
      ['second', undefined],
    ]);
    // Refused once, then posts go without the field: one error line, not one per post.
    const refused = lines.filter((line) => line.includes('Message_CustomFields_Enabled'));
    expect(refused).toHaveLength(1);
    expect(double.calls.filter((c) => c === 'POST /api/v1/chat.sendMessage')).toHaveLength(3);
    expect(await chat.findPost(destination, 'k1', Date.now() - 60_000)).toBeUndefined();
  });
});

describe('Rocket.Chat mentions with two replicas on one store (protocol double, SQLite store)', () => {
  it('answers a mention and a DM once, whichever replica claims it', async () => {
    const heard: Array<{ replica: string; invocation: Invocation }> = [];
    const [a, b] = [adapter('a'), adapter('b')];
    await a.start(handlers('a', heard));
    await b.start(handlers('b', heard));
    const dm = double.directRoom(bot, alice);

    double.say(alice, ops, '@coxswain health');
    double.say(alice, dm, 'status');
    // Both replicas hear both messages: the one that lost each claim counts it.
    await waitFor('both replicas to decide', () => a.claimedElsewhere + b.claimedElsewhere === 2);
    await waitFor('the answers', () => byBot(ops).length + byBot(dm).length >= 2);
    expect(heard.map((h) => h.invocation.text).sort()).toEqual(['health', 'status']);
    expect(byBot(ops)).toHaveLength(1);
    expect(byBot(dm)).toHaveLength(1);
    expect(byBot(ops)[0]?.msg).toMatch(/^[ab] answers health$/);
  });

  it('answers nothing while the store cannot take the claim, and once after the next reconnect', async () => {
    const claims = { failing: true, tried: 0 };
    // The shared store, with claimChatPost failing as an unreachable database would.
    const flaky = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'claimChatPost' && claims.failing)
          return async () => {
            claims.tried++;
            throw new Error('connection refused');
          };
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const heard: Array<{ replica: string; invocation: Invocation }> = [];
    const chat = new RocketChatAdapter({
      url: double.url,
      userId: bot._id,
      token,
      trigger: '/ops',
      signer,
      log: pino({ level: 'silent' }),
      store: flaky,
      replica: 'a',
    });
    adapters.push(chat);
    await chat.start(handlers('a', heard));
    const connections = chat.realtime.connections;
    // The resync looks from the first connect on, to the millisecond: be clearly after it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    double.say(alice, ops, '@coxswain health');
    await waitFor('the failed claim', () => claims.tried === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(byBot(ops)).toHaveLength(0);

    claims.failing = false;
    double.dropConnections();
    await waitFor('the reconnect', () => chat.isReady() && chat.realtime.connections === connections + 1);
    await waitFor('the answer after the resync', () => byBot(ops).length > 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(byBot(ops)).toHaveLength(1);
    expect(heard.map((h) => h.invocation.text)).toEqual(['health']);
  });
});
