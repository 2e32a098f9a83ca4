/**
 * Logging in with a personal access token, through the RocketChatAdapter and the bot's config.
 * Rocket.Chat here is a PROTOCOL DOUBLE (test/support/rocketchat-double): a real Rocket.Chat
 * cannot run on this machine (MongoDB replica set and Meteor build unreachable; see
 * docs/chat-servers.md). The double speaks REST v1 and DDP to the real client code (the
 * SDK's DDP driver, fetch), checks every REST request against the OpenAPI files and the
 * rest-typings validators, and checks X-Auth-Token / X-User-Id on every authenticated call.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RocketChatAdapter } from '../../../adapters/chat/rocketchat/rocketchat-adapter.js';
import type { Logger } from '../../../src/log.js';
import { type Bot, startBot } from '../../../src/main.js';
import type { Invocation } from '../../../src/ports.js';
import { ActionSigner } from '../../../src/security/signing.js';
import { freePort } from '../../support/free-port.js';
import {
  type DoubleRoom,
  type DoubleUser,
  RocketChatDouble,
} from '../../support/rocketchat-double/server.js';

let double: RocketChatDouble;
let botUser: DoubleUser;
let alice: DoubleUser;
let ops: DoubleRoom;
const signer = new ActionSigner('p'.repeat(40));

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A logger whose lines the test can read. */
function capturingLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'info' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { log, lines };
}

beforeAll(async () => {
  double = new RocketChatDouble();
  await double.start();
  // The bot's password is unknown to coxswain: only its personal access token is configured.
  botUser = double.addUser('coxswain', 'a-password-coxswain-never-sees', ['user', 'bot']);
  alice = double.addUser('alice');
  ops = double.addRoom('ops', 'c', [botUser, alice]);
});

afterAll(async () => {
  await double?.stop();
});

afterEach(() => {
  expect(double.violations.splice(0)).toEqual([]);
});

describe('Rocket.Chat personal access token (protocol double)', () => {
  it('uses the token for REST and to resume the realtime session; never logs in', async () => {
    const token = double.addPersonalToken(botUser);
    const { log } = capturingLog();
    const adapter = new RocketChatAdapter({
      url: double.url,
      userId: botUser._id,
      token,
      trigger: '/ops',
      signer,
      log,
    });
    const commands: Invocation[] = [];
    try {
      await adapter.start({
        onCommand: async (invocation) => {
          commands.push(invocation);
          await invocation.responder.reply({ text: `on it: ${invocation.text}` }, 'in_channel');
        },
        onAction: async () => undefined,
      });
      await waitFor('readiness', () => adapter.isReady());
      double.say(alice, ops, '@coxswain health');
      await waitFor('the answer', () =>
        double.messagesIn(ops).find((m) => m.u._id === botUser._id && m.msg === 'on it: health'),
      );
      expect(commands[0]?.user.username).toBe('alice');
      expect(double.calls).toContain('GET /api/v1/me');
      expect(double.calls).not.toContain('POST /api/v1/login');
    } finally {
      await adapter.stop();
    }
  });

  it('reports not ready, with one clear log line, when the token is revoked; never tries a login', async () => {
    const token = double.addPersonalToken(botUser);
    const { log, lines } = capturingLog();
    const adapter = new RocketChatAdapter({
      url: double.url,
      userId: botUser._id,
      token,
      trigger: '/ops',
      signer,
      log,
      initialBackoffMs: 20,
      maxBackoffMs: 100,
    });
    try {
      await adapter.start({ onCommand: async () => undefined, onAction: async () => undefined });
      await waitFor('readiness', () => adapter.isReady());
      double.calls.length = 0;
      double.revokePersonalTokens(botUser);
      await expect(adapter.post({ channelId: ops._id }, { text: 'still here?' })).rejects.toThrow(
        /refused the personal access token \(401 on chat.sendMessage\).*set chat.rocketchat.token/,
      );
      expect(adapter.isReady()).toBe(false);
      // A dropped stream cannot come back with a revoked token either.
      double.dropConnections();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(adapter.isReady()).toBe(false);
      expect(double.calls).not.toContain('POST /api/v1/login');
      const refused = lines.filter((l) => String(l.msg).includes('refused the personal access token'));
      expect(refused).toHaveLength(1);
      expect(refused[0]?.level).toBe(50);
      // The token itself never reaches the log.
      expect(JSON.stringify(lines)).not.toContain(token);

      // A new token (a new process would read it from the config) makes it ready again.
      const fresh = double.addPersonalToken(botUser);
      const again = new RocketChatAdapter({
        url: double.url,
        userId: botUser._id,
        token: fresh,
        trigger: '/ops',
        signer,
        log,
      });
      await again.start({ onCommand: async () => undefined, onAction: async () => undefined });
      await waitFor('readiness with the new token', () => again.isReady());
      await again.stop();
    } finally {
      await adapter.stop();
    }
  });

  it('runs from config: userId in the file, the token from COXSWAIN_ROCKETCHAT_TOKEN', async () => {
    const token = double.addPersonalToken(botUser);
    const dir = mkdtempSync(join(tmpdir(), 'coxswain-rc-pat-'));
    const port = await freePort();
    const configPath = join(dir, 'coxswain.yaml');
    writeFileSync(
      configPath,
      JSON.stringify({
        http: { host: '127.0.0.1', port },
        store: { sqlite: { path: join(dir, 'coxswain.db') } },
        chat: { rocketchat: { url: double.url, userId: botUser._id } },
        auth: { bindings: [{ role: 'viewer', users: ['alice'] }] },
      }),
    );
    let bot: Bot | undefined;
    try {
      bot = await startBot({
        configPath,
        env: { COXSWAIN_ROCKETCHAT_TOKEN: token },
        logger: pino({ level: 'silent' }),
      });
      await waitFor('readiness', () => bot?.chat.isReady());
      const ready = await fetch(`${bot.url}/readyz`);
      expect(ready.status).toBe(200);
      const health = await fetch(`${bot.url}/healthz`);
      expect(await health.json()).toMatchObject({ details: { 'chat:rocketchat': true } });
      double.say(alice, ops, '@coxswain help');
      await waitFor('the help answer', () =>
        double.messagesIn(ops).find((m) => m.u._id === botUser._id && m.msg.includes('health')),
      );
      expect(double.calls).not.toContain('POST /api/v1/login');
    } finally {
      await bot?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
