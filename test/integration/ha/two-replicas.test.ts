/**
 * Two replicas behave as one, on the REAL Mattermost 11.4 server and a real PostgreSQL they
 * share: two coxswain processes, 300 alert groups (each fired, updated, resolved) sent as
 * Alertmanager sends them (its webhook JSON, to whichever replica is up, retried on the other
 * when one is down, as Alertmanager through the Service does) and 50 mentions typed meanwhile.
 * In the middle, `kill -9` of the first replica (restarted under its name, as a pod's container
 * is), later of the second. Then: every group has exactly one root post, showing its final state;
 * every mention exactly one answer; every alert delivered, none lost. No replica is "the leader"
 * for any of this (claims in the store decide), so the first one killed is simply the one that
 * started first. The figures go to .vitest-report/ha-figures.md for BENCHMARKS.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  type Post,
  ProbeAlerts,
  Replica,
  rootPostsByGroup,
  sendWebhook,
  waitFor,
  writeReplicaConfig,
} from './support.js';

const GROUPS = 300;
const MENTIONS = 50;
const root = new URL('../../../', import.meta.url).pathname;
const mm = inject('mattermost');
const api = new Api(mm.url);
api.token = mm.admin.token;
const probes = new ProbeAlerts(Math.random().toString(36).slice(2, 8));

let pgServer: PostgresServer;
let db: pg.Pool;
let dir: string;
let channelId: string;
const replicas: Replica[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  pgServer = await startPostgres();
  db = new pg.Pool({ connectionString: pgServer.url, max: 2 });
  db.on('error', () => undefined); // the test's own reads; the replicas are what is under test
  dir = mkdtempSync(join(tmpdir(), 'coxswain-ha-'));
  const channel = await freshChannel(api, mm, `ha-${probes.run}`);
  channelId = channel.id;
  for (const name of ['ha-a', 'ha-b']) {
    const port = await freePort();
    const configPath = writeReplicaConfig({
      dir,
      name,
      port,
      pgUrl: pgServer.url,
      mm,
      channel: channel.name,
      signingKey: 'h'.repeat(40),
      // Two replicas together at the server's per-user limit (10/s): 429s are handled, not sought.
      ratePerSecond: 5,
      claimLease: '5s',
    });
    replicas.push(new Replica(name, configPath, `http://127.0.0.1:${port}`, dir));
  }
}, 120_000);

afterAll(async () => {
  for (const replica of replicas) await replica.stop();
  await db?.end();
  pgServer?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function sendStage(stage: 'fire' | 'update' | 'resolve', perSecond: number): Promise<void> {
  for (let i = 0; i < GROUPS; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, GROUPS - i) }, (_, k) =>
        sendWebhook(replicas, probes.webhook(i + k, stage), i + k),
      ),
    );
    await sleep((10 / perSecond) * 1000);
  }
}

async function outbox(): Promise<Record<string, number>> {
  const { rows } = await db.query<{ state: string; n: string }>(
    'SELECT state, COUNT(*) AS n FROM alert_outbox GROUP BY state',
  );
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** Kills a replica with SIGKILL and measures how long the other takes to carry on with its work. */
async function killAndMeasure(
  victim: Replica,
): Promise<{ claimsHeld: number; movedMs: number; resumedMs: number }> {
  const deliveredBefore = (await outbox()).delivered ?? 0;
  await victim.kill9();
  const killedAt = Date.now();
  const { rows } = await db.query<{ group_key: string }>(
    'SELECT group_key FROM alert_claims WHERE owner = $1',
    [victim.name],
  );
  const held = rows.map((r) => r.group_key);
  let resumedMs = -1;
  let movedMs = held.length === 0 ? 0 : -1;
  await waitFor(
    'the other replica to take over',
    async () => {
      if (resumedMs < 0 && ((await outbox()).delivered ?? 0) > deliveredBefore)
        resumedMs = Date.now() - killedAt;
      if (movedMs < 0) {
        const left = await db.query('SELECT 1 FROM alert_claims WHERE owner = $1 AND group_key = ANY($2)', [
          victim.name,
          held,
        ]);
        if (left.rowCount === 0) movedMs = Date.now() - killedAt;
      }
      return resumedMs >= 0 && movedMs >= 0;
    },
    60_000,
    100,
  );
  return { claimsHeld: held.length, movedMs, resumedMs };
}

describe('two replicas on one PostgreSQL, kill -9 of each in turn (real Mattermost)', () => {
  it('post every group exactly once in its final state, answer every mention once, lose nothing', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const startedAt = Date.now();
    a.start();
    await waitFor('replica a connected', () => a.connected(), 90_000);
    b.start();
    await waitFor('replica b connected', () => b.connected(), 90_000);

    // Mentions all through the run, one every ~2.5 s, from alice.
    const mentions: Post[] = [];
    let mentionsDone = false;
    const typing = (async () => {
      for (let m = 0; m < MENTIONS; m++) {
        mentions.push(
          await api.call<Post>(
            'POST',
            '/posts',
            { channel_id: channelId, message: `@${mm.bot.username} help` },
            mm.alice.token,
          ),
        );
        await sleep(2500);
      }
      mentionsDone = true;
    })();

    await sendStage('fire', 40);
    await sleep(4000);
    const firstKill = await killAndMeasure(a);
    await sendStage('update', 40);
    await sleep(3000);
    a.start();
    await waitFor('replica a back', () => a.connected(), 90_000);
    await sleep(6000);
    const secondKill = await killAndMeasure(b);
    await sendStage('resolve', 40);
    await sleep(3000);
    b.start();
    await waitFor('replica b back', () => b.connected(), 90_000);
    await typing;
    expect(mentionsDone).toBe(true);

    await waitFor(
      'the outbox to drain',
      async () => {
        const counts = await outbox();
        return (counts.pending ?? 0) === 0 && (counts.delivered ?? 0) === GROUPS * 4;
      },
      300_000,
      1000,
    );
    await sleep(3000); // answers to the last mentions
    const drainedMs = Date.now() - startedAt;

    const posts = (await allPosts(api, channelId)).filter((p) => !p.delete_at);
    const bot = posts.filter((p) => p.user_id === mm.bot.id);
    const rootsByGroup = rootPostsByGroup(posts, mm.bot.id);
    const repliesByGroup = new Map<number, number>();
    const rootOf = new Map<string, number>();
    for (const [i, roots] of rootsByGroup) for (const post of roots) rootOf.set(post.id, i);
    for (const post of bot.filter((p) => p.root_id && rootOf.has(p.root_id))) {
      const i = rootOf.get(post.root_id) as number;
      repliesByGroup.set(i, (repliesByGroup.get(i) ?? 0) + 1);
    }
    let duplicates = 0;
    const lost: number[] = [];
    const stale: number[] = [];
    for (let i = 0; i < GROUPS; i++) {
      const roots = rootsByGroup.get(i) ?? [];
      duplicates += Math.max(0, roots.length - 1);
      if (roots.length === 0) lost.push(i);
      else if (!roots.every((p) => /RESOLVED \(2\): HaProbe/.test(allText(p)))) stale.push(i);
    }
    const replyDuplicates = [...repliesByGroup.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    const answers = mentions.map((m) => bot.filter((p) => p.root_id === m.id).length);
    const counts = await outbox();
    const claimed = await db.query<{ owner: string; n: string }>(
      'SELECT owner, COUNT(*) AS n FROM chat_claims GROUP BY owner',
    );

    const figures = {
      groups: GROUPS,
      webhooks: GROUPS * 3,
      alertRows: GROUPS * 4,
      rootPosts: [...rootsByGroup.values()].reduce((sum, list) => sum + list.length, 0),
      duplicates,
      lost: lost.length,
      notFinal: stale.length,
      resolvedReplies: [...repliesByGroup.values()].reduce((sum, n) => sum + n, 0),
      replyDuplicates,
      mentions: MENTIONS,
      mentionsAnsweredOnce: answers.filter((n) => n === 1).length,
      mentionsAnsweredTwice: answers.filter((n) => n > 1).length,
      mentionsUnanswered: answers.filter((n) => n === 0).length,
      answeredBy: Object.fromEntries(claimed.rows.map((r) => [r.owner, Number(r.n)])),
      outbox: counts,
      kills: [
        { replica: 'ha-a', ...firstKill },
        { replica: 'ha-b', ...secondKill },
      ],
      recoveredClaims: replicas.map((r) => r.logged('took over an alert group')).reduce((s, n) => s + n, 0),
      postsFoundByKey: replicas
        .map((r) => r.logged('found the post an earlier attempt made'))
        .reduce((s, n) => s + n, 0),
      runSeconds: Math.round(drainedMs / 1000),
    };
    mkdirSync(join(root, '.vitest-report'), { recursive: true });
    writeFileSync(join(root, '.vitest-report/ha-figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
    console.log(`[ha] ${JSON.stringify(figures)}`);

    expect({ duplicates, lost, stale }).toEqual({ duplicates: 0, lost: [], stale: [] });
    expect(figures.rootPosts).toBe(GROUPS);
    expect(replyDuplicates).toBe(0);
    expect(answers.every((n) => n === 1)).toBe(true);
    expect(counts).toEqual({ delivered: GROUPS * 4 });
  }, 600_000);
});
