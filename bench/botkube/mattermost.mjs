// The real Mattermost 11.4 server for the Botkube side-by-side run, started the way the
// `mattermost` vitest project's global setup starts it (test/stack/mattermost/server.ts: a fresh
// PostgreSQL, the server built once into the cache, team `ops`, users, channel `ops-alerts`, the
// bot `coxswain` with its token). server.ts is TypeScript; it is bundled here with esbuild (a
// devDependency) into a temporary module rather than copied. Adds the bot account `botkube`
// (as a person would for Botkube: a bot user with a personal access token, member of the team
// and the channel) and a WebSocket listener acting as alice, on which both bots' answers are timed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import WebSocket from 'ws';

const repo = new URL('../..', import.meta.url).pathname;

/** Loads test/stack/mattermost/server.ts (bundled by esbuild) and returns its exports. */
export async function loadServerModule() {
  const dir = mkdtempSync(join(tmpdir(), 'coxswain-bench-mm-'));
  const outfile = join(dir, 'server.mjs');
  await build({
    entryPoints: [join(repo, 'test/stack/mattermost/server.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    packages: 'external',
    outfile,
    logLevel: 'error',
    // server.ts finds build.sh next to itself through import.meta.url.
    define: {
      'import.meta.url': JSON.stringify(new URL('test/stack/mattermost/server.ts', `file://${repo}`).href),
    },
  });
  const module = await import(outfile);
  rmSync(dir, { recursive: true, force: true });
  return module;
}

/** The bot user Botkube runs as: created by the admin, in the team and the channel, with a token. */
export async function addBotkubeAccount(server, mm) {
  const api = new server.Api(mm.url);
  api.token = mm.admin.token;
  const bot = await api.call('POST', '/bots', { username: 'botkube', display_name: 'Botkube' });
  await api.call('POST', `/teams/${mm.teamId}/members`, { team_id: mm.teamId, user_id: bot.user_id });
  await api.call('POST', `/channels/${mm.channelId}/members`, { user_id: bot.user_id });
  const token = await api.call('POST', `/users/${bot.user_id}/tokens`, { description: 'bench' });
  return { id: bot.user_id, username: 'botkube', token: token.token };
}

/**
 * alice's WebSocket: every event with its arrival time (performance.now() of this process, the
 * same clock the posts are sent on). Ephemeral answers (coxswain's slash-command replies) reach
 * only her, as `ephemeral_message`; channel posts as `posted`.
 */
export class Listener {
  events = [];
  waiters = new Set();

  async open(url, token) {
    this.socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v4/websocket`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    this.socket.on('message', (raw) => {
      const at = performance.now();
      const event = JSON.parse(String(raw));
      const post = event.data?.post ? JSON.parse(event.data.post) : undefined;
      const entry = { at, event: event.event, post };
      this.events.push(entry);
      for (const waiter of this.waiters) waiter(entry);
    });
    await this.next((e) => e.event === 'hello', 30_000);
  }

  /** The first event from now on that `match` accepts, or a timeout error. */
  next(match, timeoutMs = 60_000) {
    return new Promise((resolve, reject) => {
      const waiter = (entry) => {
        if (!match(entry)) return;
        this.waiters.delete(waiter);
        clearTimeout(timer);
        resolve(entry);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const recent = this.events
          .slice(-6)
          .map(
            (e) =>
              `${e.event} by ${e.post?.user_id ?? '-'}: ${postText(e.post).slice(0, 160).replace(/\n/g, ' ')}`,
          );
        reject(
          new Error(
            `no matching Mattermost event within ${timeoutMs} ms; the last ones:\n${recent.join('\n')}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  close() {
    this.socket?.close();
  }
}

/** Every text a post shows: message, attachment titles, texts and fields. */
export function postText(post) {
  const parts = [post?.message ?? ''];
  for (const a of post?.props?.attachments ?? []) {
    parts.push(a.title ?? '', a.text ?? '', a.pretext ?? '', a.fallback ?? '');
    for (const f of a.fields ?? []) parts.push(String(f.title ?? ''), String(f.value ?? ''));
  }
  return parts.join('\n');
}
