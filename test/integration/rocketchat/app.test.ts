/**
 * The coxswain Rocket.Chat App, as packaged: this test opens the zip that
 * `npm run build:rocketchat-app` writes (building it when missing or older than its sources), loads its compiled
 * CoxswainApp.js against @rocket.chat/apps-engine 1.62, and calls its handlers the way
 * Rocket.Chat would, with accessors shaped by the Apps-Engine types. Its HTTP goes to a real bot
 * adapter on loopback, so the App's signature is checked by the bot's own verifier. Rocket.Chat
 * is a PROTOCOL DOUBLE here (test/support/rocketchat-double): no real server can run on this
 * machine (MongoDB replica set, Meteor; see docs/chat-servers.md), so the App is not
 * deployed into a server; the bot logs in to the double.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signHookBody } from '../../../adapters/chat/rocketchat/hook-signature.js';
import { RocketChatAdapter } from '../../../adapters/chat/rocketchat/rocketchat-adapter.js';
import type { ActionEvent, Invocation } from '../../../src/ports.js';
import { ActionSigner } from '../../../src/security/signing.js';
import { RocketChatDouble } from '../../support/rocketchat-double/server.js';

const repo = new URL('../../../', import.meta.url).pathname;
const appDir = join(repo, 'adapters/chat/rocketchat/app');
const zipPath = join(appDir, 'dist/coxswain_0.1.0.zip');
const SECRET = 'the-app-and-the-bot-share-this-0123456789';

/** The entries of a zip file (stored or deflated), enough for what rc-apps writes. */
function unzip(path: string): Map<string, Buffer> {
  const zip = readFileSync(path);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const local = zip.readUInt32LE(at + 42);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + skip;
  }
  return files;
}

interface Captured {
  settings: Array<{ id: string }>;
  commands: Array<{ command: string; executor: (...args: unknown[]) => Promise<void> }>;
  endpoints: Array<{
    path: string;
    post: (...args: unknown[]) => Promise<{ status: number; content: unknown }>;
  }>;
}

let double: RocketChatDouble;
let adapter: RocketChatAdapter;
let http: FastifyInstance;
let botUrl: string;
let app: {
  extendConfiguration(configuration: unknown): Promise<void>;
  executeBlockActionHandler(
    context: unknown,
    read: unknown,
    http: unknown,
    persistence?: unknown,
    modify?: unknown,
  ): Promise<unknown>;
};
let manifest: { implements?: string[]; classFile: string; id: string };
const captured: Captured = { settings: [], commands: [], endpoints: [] };
const signer = new ActionSigner('a'.repeat(40));
const commands: Invocation[] = [];
const actions: ActionEvent[] = [];
const notified: Array<{ user: unknown; text: string }> = [];
let secretSetting = SECRET;

const users = { u1: { id: 'u1', username: 'alice' } };
const rooms = { r1: { id: 'r1', slugifiedName: 'ops', displayName: 'ops' } };

/** IRead, as far as the App uses it. */
const read = {
  getEnvironmentReader: () => ({
    getSettings: () => ({
      getValueById: async (id: string) => (id === 'coxswain_url' ? botUrl : secretSetting),
    }),
  }),
  getUserReader: () => ({ getById: async (id: string) => users[id as keyof typeof users] }),
  getRoomReader: () => ({ getById: async (id: string) => rooms[id as keyof typeof rooms] }),
};

/** IHttp.post, done for real. */
const appHttp = {
  post: async (url: string, options: { content: string; headers: Record<string, string> }) => {
    const response = await fetch(url, { method: 'POST', headers: options.headers, body: options.content });
    return { statusCode: response.status, content: await response.text() };
  },
};

/** IModify, as far as the App uses it. */
const modify = {
  getCreator: () => {
    let text = '';
    const builder = {
      setRoom: () => builder,
      setText: (t: string) => {
        text = t;
        return builder;
      },
      getMessage: () => ({ text }),
    };
    return { startMessage: () => builder };
  },
  getNotifier: () => ({
    notifyUser: async (user: unknown, message: { text: string }) => {
      notified.push({ user, text: message.text });
    },
  }),
};

beforeAll(async () => {
  const sources = ['CoxswainApp.ts', 'app.json'].map((f) => statSync(join(appDir, f)).mtimeMs);
  if (!existsSync(zipPath) || statSync(zipPath).mtimeMs < Math.max(...sources)) {
    const build = spawnSync('npm', ['run', 'build:rocketchat-app', '--silent'], {
      cwd: repo,
      encoding: 'utf8',
    });
    if (build.status !== 0)
      throw new Error(`npm run build:rocketchat-app failed:\n${build.stdout}\n${build.stderr}`);
  }
  // Unpacked next to the App's node_modules, so its require() finds apps-engine 1.62.
  const unpacked = join(appDir, 'dist/unpacked');
  rmSync(unpacked, { recursive: true, force: true });
  for (const [name, data] of unzip(zipPath)) {
    mkdirSync(dirname(join(unpacked, name)), { recursive: true });
    writeFileSync(join(unpacked, name), data);
  }
  manifest = JSON.parse(readFileSync(join(unpacked, 'app.json'), 'utf8'));
  const require = createRequire(join(unpacked, 'app.json'));
  const { CoxswainApp } = require('./CoxswainApp.js');
  const logger = { debug() {}, info() {}, warn() {}, error() {}, log() {} };
  app = new CoxswainApp(
    { ...manifest, name: 'coxswain', version: '0.1.0', author: { name: 'coxswain' } },
    logger,
    {},
  );
  await app.extendConfiguration({
    settings: { provideSetting: async (s: { id: string }) => captured.settings.push(s) },
    slashCommands: {
      provideSlashCommand: async (c: Captured['commands'][number]) => captured.commands.push(c),
    },
    api: {
      provideApi: async (api: { endpoints: Captured['endpoints'] }) =>
        captured.endpoints.push(...api.endpoints),
    },
  });

  double = new RocketChatDouble();
  await double.start();
  double.addUser('coxswain', 'bot-password');
  adapter = new RocketChatAdapter({
    url: double.url,
    user: 'coxswain',
    password: 'bot-password',
    appId: manifest.id,
    appSecret: SECRET,
    trigger: '/ops',
    signer,
    log: pino({ level: 'silent' }),
  });
  http = Fastify();
  adapter.registerRoutes(http);
  await http.listen({ host: '127.0.0.1', port: 0 });
  botUrl = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
  await adapter.start({
    onCommand: async (invocation) => {
      commands.push(invocation);
    },
    onAction: async (event) => {
      actions.push(event);
    },
  });
}, 300_000);

afterAll(async () => {
  await adapter?.stop();
  await http?.close();
  await double?.stop();
});

afterEach(() => {
  secretSetting = SECRET;
  expect(double.violations.splice(0)).toEqual([]);
});

function slashContext(args: string[]) {
  return {
    getSender: () => users.u1,
    getRoom: () => rooms.r1,
    getArguments: () => args,
    getThreadId: () => undefined,
    getTriggerId: () => 'trigger-1',
  };
}

describe('the coxswain Rocket.Chat App, as packaged (Rocket.Chat itself is a protocol double)', () => {
  it('is a UIKit interaction handler that registers /ops, its two settings and the notify endpoint', () => {
    expect(manifest.classFile).toBe('CoxswainApp.ts');
    expect(manifest.implements).toContain('IUIKitInteractionHandler');
    expect(captured.commands.map((c) => c.command)).toEqual(['ops']);
    expect(captured.settings.map((s) => s.id)).toEqual(['coxswain_url', 'coxswain_secret']);
    expect(captured.endpoints.map((e) => e.path)).toEqual(['notify']);
  });

  it('forwards /ops to the bot, signed so that the bot accepts it', async () => {
    await captured.commands[0]?.executor(slashContext(['phase', 'status']), read, modify, appHttp);
    const invocation = await waitFor(() => commands.find((c) => c.text === 'phase status'));
    expect(invocation.user).toMatchObject({ id: 'u1', username: 'alice' });
    expect(invocation.channel).toEqual({ id: 'r1', name: 'ops' });
  });

  it('tells the invoker when the bot refuses it (a wrong secret in the settings)', async () => {
    secretSetting = 'not-the-secret-the-bot-has-0123456789';
    await captured.commands[0]?.executor(slashContext(['health']), read, modify, appHttp);
    expect(notified.pop()?.text).toContain('HTTP 401');
    expect(commands.find((c) => c.text === 'health')).toBeUndefined();
  });

  it('forwards a block button click with the clicker and the message id', async () => {
    const value = signer.sign({
      action: 'alert.ack',
      payload: { group: 'g' },
      expiresAt: Date.now() + 60_000,
    });
    const context = {
      getInteractionData: () => ({
        actionId: 'alert.ack',
        value,
        user: users.u1,
        room: rooms.r1,
        message: { id: 'm42' },
        triggerId: 't',
      }),
      getInteractionResponder: () => ({ successResponse: () => ({ success: true }) }),
    };
    expect(await app.executeBlockActionHandler(context, read, appHttp, {}, modify)).toEqual({
      success: true,
    });
    expect(notified).toHaveLength(0);
    const event = await waitFor(() => actions.find((a) => a.action === 'alert.ack'));
    expect(event.user.username).toBe('alice');
    expect(event.payload).toEqual({ group: 'g' });
    expect(event.post).toEqual({ platform: 'rocketchat', channelId: 'r1', postId: 'm42' });
  });

  it('tells the clicker when the bot refuses a button (expired token)', async () => {
    const value = signer.sign({ action: 'alert.ack', payload: { group: 'old' }, expiresAt: Date.now() - 1 });
    const context = {
      getInteractionData: () => ({
        actionId: 'alert.ack',
        value,
        user: users.u1,
        room: rooms.r1,
        triggerId: 't',
      }),
      getInteractionResponder: () => ({ successResponse: () => ({ success: true }) }),
    };
    await app.executeBlockActionHandler(context, read, appHttp, {}, modify);
    expect(notified.pop()).toEqual({ user: users.u1, text: expect.stringContaining('no longer valid') });
    expect(actions.find((a) => a.payload.group === 'old')).toBeUndefined();
  });

  it('shows the bot’s signed notices to one user, and refuses unsigned ones', async () => {
    const notify = captured.endpoints[0];
    const body = JSON.stringify({ userId: 'u1', roomId: 'r1', text: 'only you see this' });
    const signed = await notify?.post(
      { headers: signHookBody(SECRET, body, Date.now()), content: JSON.parse(body) },
      {},
      read,
      modify,
      appHttp,
      {},
    );
    expect(signed?.status).toBe(200);
    expect(notified.pop()).toEqual({ user: users.u1, text: 'only you see this' });
    const forged = await notify?.post(
      {
        headers: signHookBody('wrong-secret-wrong-secret-0123456789', body, Date.now()),
        content: JSON.parse(body),
      },
      {},
      read,
      modify,
      appHttp,
      {},
    );
    expect(forged?.status).toBe(401);
    expect(notified).toHaveLength(0);
  });
});

async function waitFor<T>(probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
