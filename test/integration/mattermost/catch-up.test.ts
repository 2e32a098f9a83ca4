/**
 * No message lost after an outage longer than the WebSocket's replay, against the REAL
 * Mattermost 11.4 server (see adapter.test.ts for the setup). Two outages the server cannot
 * replay: the bot restarted (a new process, the same store), and a reconnect the server answers
 * with a new connection id. Mentions and DMs typed meanwhile are fetched through the REST API
 * and answered exactly once; one typed longer ago than chat.mattermost.missedCommandMaxAge gets
 * the "typed while away" answer and is not run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MattermostAdapter } from '../../../adapters/chat/mattermost/mattermost-adapter.js';
import { type Bot, startBot } from '../../../src/main.js';
import { Api, freePort } from '../../stack/mattermost/server.js';
import { waitFor } from '../../support/mattermost/bot.js';
import { TcpProxy } from './tcp-proxy.js';

interface Post {
  id: string;
  user_id: string;
  channel_id: string;
  root_id: string;
  message: string;
  create_at: number;
  props?: { attachments?: { text?: string; title?: string }[] };
}

/** Short, so a test can outwait it; production uses 10m. */
const MAX_AGE_MS = 20_000;

const mm = inject('mattermost');
const api = new Api(mm.url);
api.token = mm.admin.token;
let bot: Bot | undefined;
let proxy: TcpProxy;
let dir: string;
let configPath: string;
let dmId: string;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function postsIn(channelId: string, token = mm.admin.token): Promise<Post[]> {
  const list = await api.call<{ order: string[]; posts: Record<string, Post> }>(
    'GET',
    `/channels/${channelId}/posts?per_page=200`,
    undefined,
    token,
  );
  return list.order.map((id) => list.posts[id] as Post);
}

const allText = (post: Post) =>
  [post.message, ...(post.props?.attachments ?? []).map((a) => `${a.title ?? ''} ${a.text ?? ''}`)].join(
    '\n',
  );

/** The bot's answers in the thread under a channel post. */
const answersTo = async (question: Post) =>
  (await postsIn(question.channel_id)).filter((p) => p.user_id === mm.bot.id && p.root_id === question.id);

/** The bot's posts in the DM made after a question (a DM is answered inline). */
const dmAnswersAfter = async (question: Post) =>
  (await postsIn(dmId, mm.alice.token)).filter(
    (p) => p.user_id === mm.bot.id && p.create_at > question.create_at,
  );

const mention = (user: { token: string }) =>
  api.call<Post>(
    'POST',
    '/posts',
    { channel_id: mm.channelId, message: `@${mm.bot.username} help` },
    user.token,
  );
const dm = () => api.call<Post>('POST', '/posts', { channel_id: dmId, message: 'help' }, mm.alice.token);

async function start(): Promise<MattermostAdapter> {
  bot = await startBot({ configPath, env: {}, logger: pino({ level: process.env.MM_BOT_LOG ?? 'silent' }) });
  return bot.chat as MattermostAdapter;
}

async function stop(): Promise<void> {
  await bot?.stop();
  bot = undefined;
}

beforeAll(async () => {
  const port = await freePort();
  proxy = new TcpProxy('127.0.0.1', Number(new URL(mm.url).port));
  await proxy.start();
  dir = mkdtempSync(join(tmpdir(), 'coxswain-mm-catchup-'));
  configPath = join(dir, 'coxswain.yaml');
  writeFileSync(
    configPath,
    JSON.stringify({
      http: { host: '127.0.0.1', port },
      store: { sqlite: { path: join(dir, 'coxswain.db') } },
      security: { signingKey: 'c'.repeat(40) },
      chat: {
        mattermost: {
          url: `http://127.0.0.1:${proxy.port}`,
          token: mm.bot.token,
          teams: [mm.teamName],
          missedCommandMaxAge: `${MAX_AGE_MS / 1000}s`,
        },
      },
      auth: { bindings: [{ role: 'viewer', groups: [mm.teamName] }] },
    }),
  );
  dmId = (
    await api.call<{ id: string }>('POST', '/channels/direct', [mm.alice.id, mm.bot.id], mm.alice.token)
  ).id;
});

afterAll(async () => {
  await stop();
  await proxy?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Mattermost catch-up after an outage (real server)', () => {
  it('after a restart with the same store answers what was typed meanwhile once; an old command is answered, not run', async () => {
    let adapter = await start();
    await adapter.catchingUp();
    // Before the outage: answered live, and the cursor in the store moves past it.
    const before = await mention(mm.bob);
    await waitFor('the live answer', async () => (await answersTo(before)).length > 0);
    await stop();

    // While the bot is gone. The first one will be older than missedCommandMaxAge by the restart.
    const old = await mention(mm.bob);
    await sleep(MAX_AGE_MS + 3000);
    const fresh = await mention(mm.bob);
    const fromAlice = await dm();

    adapter = await start();
    await adapter.catchingUp();
    const freshAnswer = await waitFor(
      'the answer to the mention typed while away',
      async () => (await answersTo(fresh))[0],
    );
    expect(allText(freshAnswer)).toContain('/ops health');
    const dmAnswer = await waitFor(
      'the answer to the DM typed while away',
      async () => (await dmAnswersAfter(fromAlice))[0],
    );
    expect(allText(dmAnswer)).toContain('/ops health');
    const oldAnswer = await waitFor('the answer to the old mention', async () => (await answersTo(old))[0]);
    expect(oldAnswer.message).toMatch(
      /^@bob: this was typed \d+s ago while coxswain was away; run it again if still needed\.$/,
    );
    expect(adapter.caughtUp.tooOld).toBe(1);

    // Nothing twice: not the live one from before the outage, not the missed ones, not on a reconnect.
    await adapter.catchUp();
    await sleep(1500);
    expect(await answersTo(before)).toHaveLength(1);
    expect(await answersTo(fresh)).toHaveLength(1);
    expect(await answersTo(old)).toHaveLength(1);
    expect(await dmAnswersAfter(fromAlice)).toHaveLength(1);
  });

  it('after a reconnect the server could not replay (a new connection id) answers what was typed meanwhile once', async () => {
    const adapter = bot ? (bot.chat as MattermostAdapter) : await start();
    await adapter.catchingUp();
    const runs = adapter.caughtUp.runs;
    const fed = adapter.caughtUp.posts;
    const connections = adapter.socket.connections;
    proxy.pause();
    await waitFor('the drop to be noticed', async () => !adapter.isReady());
    const question = await mention(mm.bob);
    const fromAlice = await dm();
    // The server forgets an idle connection after 5 minutes (or on its restart) and then answers
    // the reconnect with a new connection id and no replay. Handing it an id it does not know has
    // the same effect now: the client's stored id (its own field) is replaced by an unknown one.
    const client = (adapter.socket as unknown as { client: { connectionId: string } }).client;
    client.connectionId = 'z'.repeat(26);
    proxy.resume();
    await waitFor(
      'the reconnect',
      async () => adapter.isReady() && adapter.socket.connections > connections,
      60_000,
    );
    await waitFor('the catch-up after the reconnect', async () => adapter.caughtUp.runs > runs);
    await adapter.catchingUp();
    const answer = await waitFor('the answer to the mention', async () => (await answersTo(question))[0]);
    expect(allText(answer)).toContain('/ops health');
    await waitFor('the answer to the DM', async () => (await dmAnswersAfter(fromAlice))[0]);
    await sleep(1500);
    expect(await answersTo(question)).toHaveLength(1);
    expect(await dmAnswersAfter(fromAlice)).toHaveLength(1);
    expect(client.connectionId).not.toBe('z'.repeat(26));
    // Both came in through the catch-up: the new connection replayed nothing.
    expect(adapter.caughtUp.posts - fed).toBe(2);
  });
});
