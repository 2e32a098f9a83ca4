/**
 * What several replicas on one store rely on (migration 7), against SQLite on a real file and a
 * real PostgreSQL this suite starts: group claims with a lease, post intents that a post fills
 * once and never overwrites, inbound posts claimed once, and shared settings. On PostgreSQL the
 * races run on separate pooled connections, as two replicas' would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

let pg: PostgresServer;
const sqliteDir = mkdtempSync(join(tmpdir(), 'coxswain-claims-'));
let db = 0;

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(() => {
  pg?.stop();
  rmSync(sqliteDir, { recursive: true, force: true });
});

const backends: [string, () => Promise<Store[]>][] = [
  [
    'sqlite',
    async () => [await openStore({ driver: 'sqlite', sqlite: { path: join(sqliteDir, `c${++db}.db`) } })],
  ],
  [
    'postgres',
    async () => {
      const { default: pgLib } = await import('pg');
      const client = new pgLib.Client({ connectionString: pg.url });
      await client.connect();
      await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await client.end();
      const config = { driver: 'postgres' as const, sqlite: { path: '' }, postgres: { url: pg.url } };
      // Two replicas: two pools on one database, migrating at the same time.
      return Promise.all([openStore(config), openStore(config)]);
    },
  ],
];

describe.each(backends)('replica coordination in the store: %s', (_name, open) => {
  let stores: Store[] = [];
  const a = () => stores[0] as Store;
  const b = () => (stores[1] ?? stores[0]) as Store;
  afterEach(async () => {
    for (const store of stores) await store.close();
    stores = [];
  });

  it('a group claim goes to one owner until it is released or its lease runs out', async () => {
    stores = await open();
    const now = 1_000_000;
    expect(await a().claimAlertGroup('g', 'r1', now, 30_000)).toBe('fresh');
    expect(await b().claimAlertGroup('g', 'r2', now + 1, 30_000)).toBe(false);
    expect(await a().renewAlertGroup('g', 'r1', now + 20_000, 30_000)).toBe(true);
    expect(await b().claimAlertGroup('g', 'r2', now + 40_000, 30_000)).toBe(false);
    // r1 died: after its lease r2 takes the group, and learns it was left behind.
    expect(await b().claimAlertGroup('g', 'r2', now + 50_001, 30_000)).toBe('recovered');
    expect(await a().renewAlertGroup('g', 'r1', now + 50_002, 30_000)).toBe(false);
    await a().releaseAlertGroup('g', 'r1'); // not r1's any more: nothing happens
    expect(await a().claimAlertGroup('g', 'r1', now + 50_003, 30_000)).toBe(false);
    await b().releaseAlertGroup('g', 'r2');
    expect(await a().claimAlertGroup('g', 'r1', now + 50_004, 30_000)).toBe('fresh');
    // Left unsettled (the work failed part way): free at once, but the next claimant is warned.
    await a().releaseAlertGroup('g', 'r1', true);
    expect(await b().claimAlertGroup('g', 'r2', now + 50_005, 30_000)).toBe('recovered');
  });

  it('of many simultaneous claims on one group exactly one wins', async () => {
    stores = await open();
    const attempts = Array.from({ length: 40 }, (_, i) =>
      (i % 2 ? b() : a()).claimAlertGroup('race', `r${i}`, 5_000, 30_000),
    );
    const won = (await Promise.all(attempts)).filter((claim) => claim !== false);
    expect(won).toHaveLength(1);
  });

  it('a post fills its intent once and is never overwritten by another', async () => {
    stores = await open();
    const where = { groupKey: 'g', platform: 'mattermost', channelId: 'c' };
    await a().recordAlertPostIntent({ ...where, postKey: 'k1', intentAt: 10 });
    await b().recordAlertPostIntent({ ...where, postKey: 'k2', intentAt: 20 });
    expect(await a().findAlertPosts('g')).toEqual([{ ...where, postId: '', postKey: 'k1', intentAt: 10 }]);
    expect(await a().findAlertPostById('')).toBeUndefined();
    expect(await a().saveAlertPost({ ...where, postId: 'p1', postKey: 'k1', intentAt: 10 })).toBe(true);
    expect(await b().saveAlertPost({ ...where, postId: 'p2' })).toBe(false);
    expect(await b().findAlertPosts('g')).toEqual([{ ...where, postId: 'p1', postKey: 'k1', intentAt: 10 }]);
    expect((await a().findAlertPostById('p1'))?.groupKey).toBe('g');
  });

  it('rows delivered meanwhile are not pending any more when read again', async () => {
    stores = await open();
    const row = (k: string) => ({
      dedupeKey: k,
      groupKey: 'g',
      payload: {},
      nextAttemptAt: 0,
      receivedAt: 0,
    });
    await a().enqueueOutboxBatch([row('x'), row('y')]);
    const due = await b().dueOutbox(1, 10);
    await a().markOutboxDelivered(due[0]?.id as number);
    // Only y is still pending, with the attempts another replica's retry would have counted.
    await a().markOutboxRetry(due[1]?.id as number, 0, 'chat down', false);
    expect([...(await b().pendingOutboxAttempts(due.map((item) => item.id))).entries()]).toEqual([
      [due[1]?.id, 1],
    ]);
  });

  it('an inbound post is claimed by exactly one of the replicas that heard it', async () => {
    stores = await open();
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? b() : a()).claimChatPost('mattermost', 'post1', `r${i}`, 1),
      ),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await a().claimChatPost('mattermost', 'post2', 'r0', 2)).toBe(true);
    expect(await a().claimChatPost('rocketchat', 'post1', 'r0', 2)).toBe(true);
    // Old claims go; a post claimed since stays claimed.
    expect(await b().pruneChatClaims(2)).toBe(1);
    expect(await a().claimChatPost('mattermost', 'post2', 'r1', 3)).toBe(false);
  });

  it('shared settings are written once, compared and swapped', async () => {
    stores = await open();
    expect(await a().getSetting('signing-key')).toBeUndefined();
    expect(await a().putSetting('signing-key', 'f1', 'r1', 10, null)).toBe(true);
    expect(await b().putSetting('signing-key', 'f2', 'r2', 11, null)).toBe(false);
    expect(await b().getSetting('signing-key')).toEqual({ value: 'f1', owner: 'r1', updatedAt: 10 });
    expect(await b().putSetting('signing-key', 'f2', 'r2', 12, 'f0')).toBe(false);
    expect(await b().putSetting('signing-key', 'f2', 'r2', 12, 'f1')).toBe(true);
    await a().putSetting('signing-key', 'f2', 'r1', 13);
    expect(await a().getSetting('signing-key')).toEqual({ value: 'f2', owner: 'r1', updatedAt: 13 });
  });
});
