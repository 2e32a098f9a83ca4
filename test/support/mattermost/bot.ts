/**
 * What the tests against the real Mattermost server (test/stack/mattermost) share: the whole bot
 * started on it from a config file in a fresh temp dir, a person's own WebSocket (to see what only
 * they see: ephemeral answers, dialogs), and people acting through Mattermost's own API (a slash
 * command through /commands/execute, a button through /posts/{id}/actions/{action_id}).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import WebSocket from 'ws';
import { type Bot, startBot } from '../../../src/main.js';
import { type Api, freePort, type MattermostStack } from '../../stack/mattermost/server.js';

/** Polls until `probe` gives something (every 250 ms), or fails naming what it waited for. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** What the helpers below read of a Mattermost post. */
export interface PostText {
  user_id: string;
  message: string;
  props?: { attachments?: { text?: string; title?: string }[] };
}

/** A post's message and its attachments' titles and texts, as one string to search. */
export const allText = (post: PostText) =>
  [post.message, ...(post.props?.attachments ?? []).map((a) => `${a.title ?? ''} ${a.text ?? ''}`)].join(
    '\n',
  );

/** The bot's posts in the test channel, newest first (the last 200, as the admin sees them). */
export async function botPosts<P extends PostText>(api: Api, mm: MattermostStack): Promise<P[]> {
  const list = await api.call<{ order: string[]; posts: Record<string, P> }>(
    'GET',
    `/channels/${mm.channelId}/posts?per_page=200`,
  );
  return list.order.map((id) => list.posts[id] as P).filter((p) => p.user_id === mm.bot.id);
}

export interface MattermostBot {
  bot: Bot;
  /** The temp dir holding the config and the SQLite store; the caller removes it. */
  dir: string;
  configPath: string;
  /** Where the bot's HTTP server (and so its hooks) listens. */
  port: number;
}

/**
 * Writes a config that connects the bot to the server (the slash command owned by the admin,
 * hooks on a local port, SQLite in the temp dir) with `extra` keys on top, and starts it.
 * `url` is how the bot reaches Mattermost (default: the server's own URL; a proxy's to cut it).
 */
export async function startMattermostBot(
  mm: MattermostStack,
  options: {
    signingKey: string;
    /** A fresh temp dir named so, or `dir` when the test made one already. */
    prefix?: string;
    dir?: string;
    /** The bot's HTTP port, when the test had to know it before (another server calls it). */
    port?: number;
    extra?: Record<string, unknown>;
    url?: string;
  },
): Promise<MattermostBot> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), options.prefix ?? 'coxswain-mm-'));
  const port = options.port ?? (await freePort());
  const configPath = join(dir, 'coxswain.yaml');
  writeFileSync(
    configPath,
    JSON.stringify({
      http: { host: '127.0.0.1', port },
      store: { sqlite: { path: join(dir, 'coxswain.db') } },
      security: { signingKey: options.signingKey },
      chat: {
        mattermost: {
          url: options.url ?? mm.url,
          token: mm.bot.token,
          teams: [mm.teamName],
          commandOwner: mm.admin.username,
          publicUrl: `http://127.0.0.1:${port}`,
        },
      },
      ...options.extra,
    }),
  );
  const bot = await startBot({
    configPath,
    env: {},
    logger: pino({ level: process.env.MM_BOT_LOG ?? 'silent' }),
  });
  return { bot, dir, configPath, port };
}

/** Runs a slash command as the user in the test channel, as typing it would. */
export function runCommand(
  api: Api,
  mm: MattermostStack,
  user: { token: string },
  command: string,
  rootId?: string,
): Promise<Record<string, unknown>> {
  const body: Record<string, string> = { channel_id: mm.channelId, team_id: mm.teamId, command };
  if (rootId) body.root_id = rootId;
  return api.call<Record<string, unknown>>('POST', '/commands/execute', body, user.token);
}

/** A post's attachments with their buttons, as far as the tests read them. */
export interface PostWithButtons {
  id: string;
  props?: { attachments?: { actions?: { id: string; name: string }[] }[] };
}

/** Clicks the button labelled `label` on the post as the user. */
export function clickButton(
  api: Api,
  user: { token: string },
  post: PostWithButtons,
  label: string,
): Promise<Record<string, unknown>> {
  const action = post.props?.attachments?.[0]?.actions?.find((a) => a.name === label);
  if (!action) throw new Error(`no ${label} button on ${post.id}`);
  return api.call<Record<string, unknown>>('POST', `/posts/${post.id}/actions/${action.id}`, {}, user.token);
}

/** A person's own WebSocket: ephemeral posts and dialogs go only to them. */
export class UserSocket<P = unknown> {
  readonly events: { event: string; data: Record<string, unknown> }[] = [];
  private socket?: WebSocket;

  constructor(private readonly serverUrl: string) {}

  async open(token: string): Promise<void> {
    this.socket = new WebSocket(`${this.serverUrl.replace(/^http/, 'ws')}/api/v4/websocket`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    this.socket.on('message', (raw) => this.events.push(JSON.parse(String(raw))));
    await waitFor('hello', async () => this.events.some((e) => e.event === 'hello'));
  }

  /** The ephemeral posts that reached this person. */
  ephemeral(): P[] {
    return this.events
      .filter((e) => e.event === 'ephemeral_message')
      .map((e) => JSON.parse(String(e.data.post)) as P);
  }

  close(): void {
    this.socket?.close();
  }
}
