/**
 * PostgreSQL restarts in the middle of a batch (stopped `immediate`, every connection dropped,
 * as a crash or a CloudNativePG failover does), on the REAL Mattermost server: the replica does
 * not crash; it logs and counts every dropped connection, the ones carrying a query included
 * (coxswain_store_connection_errors_total); webhooks sent meanwhile are refused (500) and
 * Alertmanager's retries land once the database is back; every group is then posted exactly
 * once, none lost, the ones cut between chat and the store included.
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
  freshChannel,
  ProbeAlerts,
  Replica,
  rootPostsByGroup,
  sendWebhook,
  waitFor,
  writeReplicaConfig,
} from './support.js';

const GROUPS = 60;
const mm = inject('mattermost');
const api = new Api(mm.url);
api.token = mm.admin.token;
const probes = new ProbeAlerts(Math.random().toString(36).slice(2, 8));

let pgServer: PostgresServer;
let dir: string;
let channelId: string;
let replica: Replica;

beforeAll(async () => {
  pgServer = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'coxswain-pg-restart-'));
  const channel = await freshChannel(api, mm, `pgr-${probes.run}`);
  channelId = channel.id;
  const port = await freePort();
  const configPath = writeReplicaConfig({
    dir,
    name: 'pgr-a',
    port,
    pgUrl: pgServer.url,
    mm,
    channel: channel.name,
    signingKey: 'p'.repeat(40),
    ratePerSecond: 8,
    claimLease: '5s',
  });
  replica = new Replica('pgr-a', configPath, `http://127.0.0.1:${port}`, dir);
}, 120_000);

afterAll(async () => {
  await replica?.stop();
  pgServer?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function delivered(): Promise<number> {
  const client = new pg.Client({ connectionString: pgServer.url });
  try {
    await client.connect();
    const { rows } = await client.query<{ n: string }>(
      "SELECT COUNT(*) AS n FROM alert_outbox WHERE state = 'delivered'",
    );
    return Number(rows[0]?.n);
  } catch {
    return -1; // down
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('a PostgreSQL restart mid-batch (real Mattermost, real PostgreSQL)', () => {
  it('crashes nothing, loses nothing, posts nothing twice', async () => {
    replica.start();
    await waitFor('the replica connected', () => replica.connected(), 90_000);
    for (let i = 0; i < GROUPS / 2; i++) await sendWebhook([replica], probes.webhook(i, 'fire'), 0);
    await waitFor('a few posts', async () => (await delivered()) >= 5, 60_000);

    // Down for three seconds while the batch is being posted; more alerts arrive meanwhile.
    const restarting = pgServer.restart(3000);
    const late = Promise.all(
      Array.from({ length: GROUPS / 2 }, (_, k) =>
        sendWebhook([replica], probes.webhook(GROUPS / 2 + k, 'fire'), 0),
      ),
    );
    await restarting;
    await late;
    await waitFor('every group delivered', async () => (await delivered()) === GROUPS, 180_000, 1000);
    expect(replica.alive).toBe(true);

    const byGroup = rootPostsByGroup(await allPosts(api, channelId), mm.bot.id);
    const counts = Array.from({ length: GROUPS }, (_, i) => byGroup.get(i)?.length ?? 0);
    expect(counts.filter((n) => n === 0)).toEqual([]); // none lost
    expect(counts.filter((n) => n > 1)).toEqual([]); // none twice

    const metrics = await (await fetch(`${replica.url}/metrics`)).text();
    const dropped = Number(/coxswain_store_connection_errors_total (\d+)/.exec(metrics)?.[1]);
    expect(dropped).toBeGreaterThanOrEqual(1);
    // Each dropped connection is one warning (the log reaches the test through a pipe).
    await waitFor(
      'every dropped connection logged',
      () => replica.logged('a PostgreSQL connection was dropped') === dropped,
      5000,
    );
  }, 300_000);
});
