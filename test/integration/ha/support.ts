/**
 * What the replica suites share: a coxswain replica as a real process on the real Mattermost
 * server and a shared PostgreSQL (started from src/ through test/support/run-ts, as the fault
 * tests start theirs, so the code under test is the checkout's whatever state dist/ is in), its
 * config, and reads of the Mattermost channel the replicas post to.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WebhookAlert, WebhookPayload } from '../../../src/alerts/payload.js';
import type { MattermostStack } from '../../stack/mattermost/server.js';
import { Api } from '../../stack/mattermost/server.js';
import { alert, payload } from '../../support/alert-payloads.js';

const root = new URL('../../../', import.meta.url).pathname;

export interface Post {
  id: string;
  user_id: string;
  channel_id: string;
  root_id: string;
  message: string;
  create_at: number;
  delete_at?: number;
  props?: { attachments?: { text?: string; title?: string }[]; coxswain_post_key?: string };
}

export const WEBHOOK_TOKEN = 'ha-webhook-token-0123456789';

export function writeReplicaConfig(options: {
  dir: string;
  name: string;
  port: number;
  pgUrl: string;
  mm: MattermostStack;
  channel: string;
  signingKey: string;
  ratePerSecond: number;
  claimLease: string;
  /** The bearer token Alertmanager sends (the test stack's, for its real Alertmanager). */
  webhookToken?: string;
}): string {
  const path = join(options.dir, `${options.name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      log: { level: 'info' },
      http: { host: '127.0.0.1', port: options.port },
      store: { driver: 'postgres', postgres: { url: options.pgUrl } },
      security: { signingKey: options.signingKey },
      chat: {
        mattermost: { url: options.mm.url, token: options.mm.bot.token, teams: [options.mm.teamName] },
      },
      auth: { bindings: [{ role: 'viewer', groups: [options.mm.teamName] }] },
      alerts: {
        webhook: { token: options.webhookToken ?? WEBHOOK_TOKEN },
        defaultRoute: { channels: [options.channel] },
        storm: { threshold: 100_000 },
        delivery: {
          interval: '250ms',
          maxBackoff: '2s',
          ratePerSecond: options.ratePerSecond,
          claimLease: options.claimLease,
        },
      },
      // The name a pod keeps across a container restart; the claims in the store carry it.
      leaderElection: { identity: options.name },
    }),
  );
  return path;
}

/** One replica: `coxswain --config FILE` as its own process, everything it printed kept. */
export class Replica {
  child?: ChildProcess;
  text = '';
  starts = 0;

  constructor(
    readonly name: string,
    readonly configPath: string,
    readonly url: string,
    readonly cwd: string,
  ) {}

  start(): void {
    this.starts++;
    const child = spawn(
      process.execPath,
      [
        '--experimental-transform-types',
        '--no-warnings',
        '--import',
        join(root, 'test/support/run-ts/register.mjs'),
        join(root, 'src/cli.ts'),
        '--config',
        this.configPath,
      ],
      { cwd: this.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } },
    );
    const append = (chunk: string) => {
      this.text += chunk;
    };
    child.stdout?.setEncoding('utf8').on('data', append);
    child.stderr?.setEncoding('utf8').on('data', append);
    this.child = child;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  /** Whether /healthz says the process is up and connected to Mattermost. */
  async connected(): Promise<boolean> {
    try {
      const health = (await (await fetch(`${this.url}/healthz`)).json()) as {
        details?: Record<string, boolean>;
      };
      return health.details?.['chat:mattermost'] === true;
    } catch {
      return false;
    }
  }

  /** Lines of its JSON log with this message. */
  logged(msg: string): number {
    return this.text.split('\n').filter((line) => line.includes(`"msg":"${msg}`)).length;
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Every post of a channel, all pages. */
export async function allPosts(api: Api, channelId: string): Promise<Post[]> {
  const posts: Post[] = [];
  for (let page = 0; ; page++) {
    const list = await api.call<{ order: string[]; posts: Record<string, Post> }>(
      'GET',
      `/channels/${channelId}/posts?page=${page}&per_page=200`,
    );
    posts.push(...list.order.map((id) => list.posts[id] as Post));
    if (list.order.length < 200) return posts;
  }
}

export const allText = (post: Post) =>
  [post.message, ...(post.props?.attachments ?? []).map((a) => `${a.title ?? ''} ${a.text ?? ''}`)].join(
    '\n',
  );

export { Api };

/** The test's alert groups: `HaProbe` with a `group` label, each alert a fixed start for the run. */
export class ProbeAlerts {
  private readonly startsAt = new Date(Date.now() - 60_000).toISOString();
  constructor(readonly run: string) {}

  groupKey(i: number): string {
    return `{}:{group="g${i}"}:${this.run}`;
  }

  /** A group fired (pod a), updated (pod b joins), or resolved (both), as Alertmanager sends it. */
  webhook(i: number, stage: 'fire' | 'update' | 'resolve'): WebhookPayload {
    const one = (pod: string, resolved: boolean): WebhookAlert =>
      alert({
        labels: { alertname: 'HaProbe', cluster: 'apps', group: `g${i}`, pod, severity: 'warning' },
        annotations: { summary: `ha group ${i}` },
        fingerprint: `${this.run}-${i}-${pod}`,
        startsAt: this.startsAt,
        ...(resolved ? { status: 'resolved', endsAt: new Date().toISOString() } : {}),
      });
    const alerts =
      stage === 'fire'
        ? [one('a', false)]
        : stage === 'update'
          ? [one('a', false), one('b', false)]
          : [one('a', true), one('b', true)];
    return payload(alerts, { groupKey: this.groupKey(i), commonAnnotations: { summary: `ha group ${i}` } });
  }
}

/**
 * Sends a webhook as Alertmanager does through the Service: to a replica that is up, retried (on
 * the other one, when there is one) until one answers 200 — the outbox has it then.
 */
export async function sendWebhook(replicas: Replica[], body: WebhookPayload, start: number): Promise<void> {
  let last = '';
  for (let attempt = 0; ; attempt++) {
    const replica = replicas[(start + attempt) % replicas.length] as Replica;
    try {
      const response = await fetch(`${replica.url}/hooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = String(error); // down, or killed mid-request
    }
    if (attempt > 600) throw new Error(`webhook for ${body.groupKey} not accepted by any replica: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A channel of its own in the test team, with the bot and alice in it. */
export async function freshChannel(
  api: Api,
  mm: MattermostStack,
  name: string,
): Promise<{ id: string; name: string }> {
  const channel = await api.call<{ id: string; name: string }>('POST', '/channels', {
    team_id: mm.teamId,
    name,
    display_name: name,
    type: 'O',
  });
  for (const user of [mm.bot, mm.alice])
    await api.call('POST', `/channels/${channel.id}/members`, { user_id: user.id });
  return channel;
}

/** Root posts of the bot per probe group, from every post of the channel. */
export function rootPostsByGroup(posts: Post[], botId: string): Map<number, Post[]> {
  const byGroup = new Map<number, Post[]>();
  for (const post of posts) {
    if (post.user_id !== botId || post.root_id || post.delete_at) continue;
    const match = /ha group (\d+)\b/.exec(allText(post));
    if (!match) continue;
    const i = Number(match[1]);
    byGroup.set(i, [...(byGroup.get(i) ?? []), post]);
  }
  return byGroup;
}
