/**
 * kill -9 in the one window that used to post twice: after Mattermost took the post, before the
 * store recorded its id. Made deterministic without any hook in coxswain: a trigger in the real
 * PostgreSQL holds the write that fills the post id, the test sees the post appear in the REAL
 * Mattermost, kills the process, removes the trigger and waits past Mattermost's 30 s
 * pending_post_id window (so only coxswain's own lookup can find the post), then restarts the
 * replica under its name. The group must end with exactly one root post, in its final state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../stack/mattermost/server.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';
import {
  Api,
  allPosts,
  allText,
  freshChannel,
  ProbeAlerts,
  Replica,
  rootPostsByGroup,
  sendWebhook,
  waitFor,
  writeReplicaConfig,
} from './support.js';

const mm = inject('mattermost');
const api = new Api(mm.url);
api.token = mm.admin.token;
const probes = new ProbeAlerts(Math.random().toString(36).slice(2, 8));

let pgServer: PostgresServer;
let db: pg.Client;
let dir: string;
let channelId: string;
let replica: Replica;

beforeAll(async () => {
  pgServer = await startPostgres();
  db = new pg.Client({ connectionString: pgServer.url });
  await db.connect();
  dir = mkdtempSync(join(tmpdir(), 'coxswain-kill-window-'));
  const channel = await freshChannel(api, mm, `kw-${probes.run}`);
  channelId = channel.id;
  const port = await freePort();
  const configPath = writeReplicaConfig({
    dir,
    name: 'kw-a',
    port,
    pgUrl: pgServer.url,
    mm,
    channel: channel.name,
    signingKey: 'k'.repeat(40),
    ratePerSecond: 5,
    claimLease: '5s',
  });
  replica = new Replica('kw-a', configPath, `http://127.0.0.1:${port}`, dir);
}, 120_000);

afterAll(async () => {
  await replica?.stop();
  await db?.end();
  pgServer?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kill -9 between the chat post and the store write (real Mattermost, real PostgreSQL)', () => {
  it('finds the post after the restart instead of posting the group twice', async () => {
    replica.start();
    await waitFor('the replica connected', () => replica.connected(), 90_000);
    // Holds the UPDATE that fills an intent's post id: the chat call is done, the store write waits.
    await db.query(`
      CREATE FUNCTION hold_post_id() RETURNS trigger AS $$
      BEGIN
        IF OLD.post_id = '' AND NEW.post_id <> '' THEN PERFORM pg_sleep(600); END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql;
      CREATE TRIGGER hold_post_id BEFORE UPDATE ON alert_posts FOR EACH ROW EXECUTE FUNCTION hold_post_id();
    `);
    await sendWebhook([replica], probes.webhook(0, 'fire'), 0);
    const first = await waitFor(
      'the post in Mattermost',
      async () => rootPostsByGroup(await allPosts(api, channelId), mm.bot.id).get(0)?.[0],
      60_000,
    );
    const { rows: intents } = await db.query<{ post_id: string; post_key: string }>(
      'SELECT post_id, post_key FROM alert_posts',
    );
    expect(intents).toEqual([{ post_id: '', post_key: expect.stringMatching(/^cxsw[0-9a-f]{28}$/) }]);
    await replica.kill9();

    // The held statement's session is the dead process's: end it, and take the trigger away.
    await db.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%alert_posts%' AND pid <> pg_backend_pid()",
    );
    await db.query('DROP TRIGGER hold_post_id ON alert_posts; DROP FUNCTION hold_post_id()');
    // Past Mattermost's pending_post_id cache (30 s): only coxswain's lookup by key can help now.
    await new Promise((resolve) => setTimeout(resolve, 32_000));
    // More news for the group meanwhile, so the restart has something to show on the post.
    replica.start();
    await waitFor('the replica back', () => replica.connected(), 90_000);
    await sendWebhook([replica], probes.webhook(0, 'update'), 0);
    await waitFor(
      'the update on the post',
      async () => {
        const { rows } = await db.query("SELECT 1 FROM alert_outbox WHERE state <> 'delivered'");
        return rows.length === 0;
      },
      60_000,
    );

    const roots = rootPostsByGroup(await allPosts(api, channelId), mm.bot.id).get(0) ?? [];
    expect(roots.map((p) => p.id)).toEqual([first.id]);
    expect(allText(roots[0] as (typeof roots)[0])).toContain('FIRING (2): HaProbe');
    const { rows: saved } = await db.query<{ post_id: string }>('SELECT post_id FROM alert_posts');
    expect(saved).toEqual([{ post_id: first.id }]);
    expect(replica.logged('found the post an earlier attempt made before it died')).toBe(1);
  }, 300_000);
});
