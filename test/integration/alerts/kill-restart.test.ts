/**
 * The bot as a real process, killed with SIGKILL in the middle of delivering a batch that the
 * real Alertmanager sent, then started again on the same store: it resumes from the outbox and
 * delivers the rest, and posts nothing twice. Alertmanager had its 200s before the kill, so it
 * sends nothing again; whatever the second process posts came from the outbox.
 *
 * The kill lands in the worst place, deterministically: after the real Mattermost server took a
 * post and before the store recorded its id (a trigger in the real PostgreSQL holds that write
 * for the fourth post; coxswain has no hook for it). The restarted process finds that post by its
 * key instead of posting it again: 0 duplicates, not "at most one". Needs both the test stack
 * (Alertmanager) and the Mattermost server: the `stack-mattermost` project starts both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadStackEnv } from '../../stack/env.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';
import { Api, allPosts, allText, freshChannel, Replica, waitFor, writeReplicaConfig } from '../ha/support.js';
import { pushAlerts } from './support.js';

const env = loadStackEnv();
const mm = inject('mattermost');
const api = new Api(mm.url);
api.token = mm.admin.token;
const run = Math.random().toString(36).slice(2, 10);
const GROUPS = 10;

let pgServer: PostgresServer;
let db: pg.Client;
let dir: string;
let channelId: string;
let bot: Replica;

const labels = (i: number) => ({
  alertname: 'CoxswainKillProbe',
  cluster: 'infra',
  namespace: `kill-${run}-${i}`,
  severity: 'warning',
});

/** Root posts of the bot per probe, by the summary each carries. */
async function probePosts(): Promise<Map<number, string[]>> {
  const byProbe = new Map<number, string[]>();
  for (const post of await allPosts(api, channelId)) {
    if (post.user_id !== mm.bot.id || post.root_id) continue;
    const match = /kill probe (\d+)\b/.exec(allText(post));
    if (match) byProbe.set(Number(match[1]), [...(byProbe.get(Number(match[1])) ?? []), post.id]);
  }
  return byProbe;
}

beforeAll(async () => {
  pgServer = await startPostgres();
  db = new pg.Client({ connectionString: pgServer.url });
  await db.connect();
  dir = mkdtempSync(join(tmpdir(), 'coxswain-kill-'));
  const channel = await freshChannel(api, mm, `kill-${run}`);
  channelId = channel.id;
  const configPath = writeReplicaConfig({
    dir,
    name: 'kill-a',
    port: Number(env.BOT_PORT),
    pgUrl: pgServer.url,
    mm,
    channel: channel.name,
    signingKey: 'q'.repeat(40),
    // Three posts a second, so the batch takes a few seconds and can be cut in the middle.
    ratePerSecond: 3,
    claimLease: '5s',
    webhookToken: env.ALERT_WEBHOOK_TOKEN,
  });
  bot = new Replica('kill-a', configPath, `http://127.0.0.1:${env.BOT_PORT}`, dir);
}, 120_000);

afterAll(async () => {
  await bot?.stop();
  await pushAlerts(
    env,
    Array.from({ length: GROUPS }, (_, i) => ({ labels: labels(i), endsAt: new Date().toISOString() })),
  ).catch(() => undefined); // cleanup only
  await db?.end();
  pgServer?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('SIGKILL in the middle of a batch', () => {
  it('resumes from the outbox after a restart, delivers the rest, and posts nothing twice', async () => {
    bot.start();
    await waitFor('the bot connected', () => bot.connected(), 90_000);
    // The fourth probe post's id never reaches the store while the process lives. (Other alerts
    // the stack's Prometheus fires reach this bot too; they are not counted.)
    await db.query(`
      CREATE SEQUENCE saves;
      CREATE FUNCTION hold_fourth() RETURNS trigger AS $$
      BEGIN
        IF OLD.post_id = '' AND NEW.post_id <> '' AND NEW.group_key LIKE '%kill-${run}-%' THEN
          IF nextval('saves') = 4 THEN PERFORM pg_sleep(600); END IF;
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql;
      CREATE TRIGGER hold_fourth BEFORE UPDATE ON alert_posts FOR EACH ROW EXECUTE FUNCTION hold_fourth();
    `);
    await pushAlerts(
      env,
      Array.from({ length: GROUPS }, (_, i) => ({
        labels: labels(i),
        annotations: { summary: `kill probe ${i}` },
        endsAt: new Date(Date.now() + 600_000).toISOString(),
      })),
    );
    await waitFor(
      'four posts, the fourth held before the store',
      async () => (await probePosts()).size >= 4,
      90_000,
    );
    const held = await waitFor('the held write', async () => {
      const { rows } = await db.query("SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep'");
      return rows.length > 0;
    });
    expect(held).toBe(true);
    await bot.kill9();
    const beforeKill = await probePosts();
    expect(beforeKill.size).toBeLessThan(GROUPS);
    const { rows: pending } = await db.query("SELECT 1 FROM alert_outbox WHERE state = 'pending'");
    // Every alert Alertmanager sent is in the store: posted, or pending for the next process.
    expect(pending.length + beforeKill.size).toBeGreaterThanOrEqual(GROUPS);

    await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'PgSleep'");
    await db.query(
      'DROP TRIGGER hold_fourth ON alert_posts; DROP FUNCTION hold_fourth(); DROP SEQUENCE saves',
    );
    bot.start();
    await waitFor('the rest delivered', async () => (await probePosts()).size === GROUPS, 90_000);
    await waitFor('the outbox drained', async () => {
      const { rows } = await db.query("SELECT 1 FROM alert_outbox WHERE state <> 'delivered'");
      return rows.length === 0;
    });
    const after = await probePosts();
    const duplicates = [...after.values()].reduce((sum, ids) => sum + ids.length - 1, 0);
    expect(duplicates).toBe(0);
    // The held post was found by its key after the restart, not made again.
    expect(bot.logged('found the post an earlier attempt made before it died')).toBe(1);
  }, 300_000);
});
