/**
 * The Store contract, run against both implementations: SQLite on a real file, and PostgreSQL on
 * a real server this suite starts (test/support/postgres.ts). No fakes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Confirmation, Store } from '../../../src/store/store.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

let pg: PostgresServer;
const sqliteDir = mkdtempSync(join(tmpdir(), 'coxswain-sqlite-'));
let db = 0;

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(() => {
  pg?.stop();
  rmSync(sqliteDir, { recursive: true, force: true });
});

const backends: [string, () => Promise<Store>][] = [
  ['sqlite', () => openStore({ driver: 'sqlite', sqlite: { path: join(sqliteDir, `s${++db}.db`) } })],
  [
    'postgres',
    async () => {
      // A fresh schema per test: drop everything the previous test made.
      const store = await openStore({ driver: 'postgres', sqlite: { path: '' }, postgres: { url: pg.url } });
      await store.close();
      const { default: pgLib } = await import('pg');
      const client = new pgLib.Client({ connectionString: pg.url });
      await client.connect();
      await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await client.end();
      return openStore({ driver: 'postgres', sqlite: { path: '' }, postgres: { url: pg.url } });
    },
  ],
];

describe.each(backends)('Store contract: %s', (_name, open) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    return () => store.close();
  });

  it('migrates once, and again is a no-op', async () => {
    expect(await store.migrate()).toBe(0);
    expect(await store.ping()).toBe(true);
    expect(MIGRATIONS.length).toBeGreaterThan(0);
  });

  it('appends and lists audit entries, newest first, filtered', async () => {
    const base = {
      requestId: 'r',
      platform: 'shell',
      userId: 'u',
      channelId: 'c',
      channelName: 'ops',
      detail: '',
      durationMs: 3,
    };
    await store.appendAudit({
      ...base,
      at: 1000,
      username: 'alice',
      command: 'help',
      args: {},
      outcome: 'ok',
    });
    await store.appendAudit({
      ...base,
      at: 2000,
      username: 'bob',
      command: 'drill run',
      args: { drill: 'x' },
      outcome: 'denied',
    });
    await store.appendAudit({
      ...base,
      at: 3000,
      username: 'alice',
      command: 'audit',
      args: { limit: 2 },
      outcome: 'ok',
    });
    expect((await store.listAudit({})).map((e) => e.at)).toEqual([3000, 2000, 1000]);
    expect((await store.listAudit({ username: 'alice' })).map((e) => e.command)).toEqual(['audit', 'help']);
    expect((await store.listAudit({ since: 2000, limit: 1 })).map((e) => e.at)).toEqual([3000]);
    const [bob] = await store.listAudit({ username: 'bob' });
    expect(bob).toMatchObject({ args: { drill: 'x' }, outcome: 'denied', durationMs: 3, channelName: 'ops' });
  });

  it('decides a confirmation exactly once, and never after it expires', async () => {
    const c: Confirmation = {
      id: 'c1',
      kind: 'confirm',
      platform: 'shell',
      userId: 'u1',
      username: 'alice',
      userGroups: ['oncall'],
      channelId: 'ch',
      channelName: 'ops',
      text: 'drill run pod-kill',
      state: 'pending',
      createdAt: 1000,
      expiresAt: 2000,
    };
    await store.createConfirmation(c);
    await store.createConfirmation({ ...c, id: 'c2' });
    expect(await store.getConfirmation('c1')).toEqual(c);
    expect(await store.decideConfirmation('c1', 'done', 'alice', 1500)).toBe(true);
    expect(await store.decideConfirmation('c1', 'done', 'alice', 1501)).toBe(false);
    expect(await store.getConfirmation('c1')).toMatchObject({
      state: 'done',
      decidedBy: 'alice',
      decidedAt: 1500,
    });
    expect(await store.decideConfirmation('c2', 'done', 'alice', 2000)).toBe(false);
    expect(await store.getConfirmation('missing')).toBeUndefined();
  });

  it('a confirmation raced by many clicks is decided once', async () => {
    await store.createConfirmation({
      id: 'race',
      kind: 'confirm',
      platform: 'shell',
      userId: 'u1',
      username: 'alice',
      userGroups: [],
      channelId: 'ch',
      channelName: 'ops',
      text: 'x',
      state: 'pending',
      createdAt: 0,
      expiresAt: 10_000,
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.decideConfirmation('race', 'done', 'alice', 5)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('keeps the outbox: dedupe, due order, retry, delivered, counts', async () => {
    const item = (key: string, at: number) => ({
      dedupeKey: key,
      groupKey: 'g1',
      payload: { n: key },
      nextAttemptAt: at,
      receivedAt: at,
    });
    expect(await store.enqueueOutbox(item('a', 10))).toBe(true);
    expect(await store.enqueueOutbox(item('a', 11))).toBe(false);
    expect(await store.enqueueOutbox(item('b', 20))).toBe(true);
    expect(await store.enqueueOutbox(item('c', 99))).toBe(true);
    const due = await store.dueOutbox(50, 10);
    expect(due.map((d) => d.dedupeKey)).toEqual(['a', 'b']);
    expect(due[0]).toMatchObject({ groupKey: 'g1', payload: { n: 'a' }, state: 'pending', attempts: 0 });
    await store.markOutboxRetry(due[0]!.id, 200, 'chat down', false);
    await store.markOutboxDelivered(due[1]!.id);
    expect((await store.dueOutbox(100, 10)).map((d) => d.dedupeKey)).toEqual(['c']);
    const [retried] = await store.dueOutbox(200, 1);
    expect(retried).toMatchObject({ dedupeKey: 'a', attempts: 1, lastError: 'chat down' });
    await store.markOutboxRetry(retried!.id, 300, 'gave up', true);
    expect(await store.countOutbox()).toEqual({ pending: 1, delivered: 1, failed: 1 });
  });

  it('enqueues a whole webhook in one batch, dedupes inside and across batches, marks many delivered', async () => {
    const item = (key: string, at: number) => ({
      dedupeKey: key,
      groupKey: 'g2',
      payload: { k: key },
      nextAttemptAt: at,
      receivedAt: at,
    });
    expect(await store.enqueueOutboxBatch([item('x', 1), item('y', 2), item('x', 3)])).toEqual([
      true,
      true,
      false,
    ]);
    expect(await store.enqueueOutboxBatch([item('y', 4), item('z', 5)])).toEqual([false, true]);
    expect(await store.enqueueOutboxBatch([])).toEqual([]);
    const due = await store.dueOutbox(10, 10);
    expect(due.map((d) => d.dedupeKey)).toEqual(['x', 'y', 'z']);
    await store.markOutboxDeliveredMany(due.slice(0, 2).map((d) => d.id));
    await store.markOutboxDeliveredMany([]);
    expect(await store.countOutbox()).toEqual({ pending: 1, delivered: 2, failed: 0 });
    expect((await store.dueOutbox(10, 10)).map((d) => d.dedupeKey)).toEqual(['z']);
  });

  it("ends a group's delivery in one go: state saved, rows delivered, only the owner's claim released", async () => {
    const item = (key: string, groupKey: string) => ({
      dedupeKey: key,
      groupKey,
      payload: { k: key },
      nextAttemptAt: 1,
      receivedAt: 1,
    });
    await store.enqueueOutboxBatch([item('a', 'g'), item('b', 'g'), item('c', 'other')]);
    const due = await store.dueOutbox(10, 10);
    expect(await store.claimAlertGroup('g', 'me', 100, 1000)).toBe('fresh');
    expect(await store.claimAlertGroup('other', 'you', 100, 1000)).toBe('fresh');
    const ids = due.filter((d) => d.groupKey === 'g').map((d) => d.id);
    await store.completeAlertGroup({ groupKey: 'g', data: { n: 2 }, updatedAt: 7, staleSince: 5 }, ids, 'me');
    expect(await store.getAlertGroup('g')).toEqual({
      groupKey: 'g',
      data: { n: 2 },
      updatedAt: 7,
      staleSince: 5,
    });
    expect((await store.dueOutbox(10, 10)).map((d) => d.dedupeKey)).toEqual(['c']);
    expect(await store.pendingOutboxAttempts(ids)).toEqual(new Map());
    // Released (and fresh again for anyone), while another owner's claim stays.
    expect(await store.claimAlertGroup('g', 'someone', 200, 1000)).toBe('fresh');
    expect(await store.claimAlertGroup('other', 'someone', 200, 1000)).toBe(false);
    // Another owner's completion does not release a claim it does not hold.
    await store.completeAlertGroup({ groupKey: 'other', data: {}, updatedAt: 8 }, [], 'me');
    expect(await store.claimAlertGroup('other', 'someone', 200, 1000)).toBe(false);
  });

  it('tells of new outbox rows once they are readable, before the batch resolves; not of a retry', async () => {
    const item = (key: string) => ({
      dedupeKey: key,
      groupKey: 'g3',
      payload: { k: key },
      nextAttemptAt: 1,
      receivedAt: 1,
    });
    const seen: string[][] = [];
    const told = () => {
      // Delivery, woken here, must find the rows already (before the flush to disk, on SQLite).
      void store.dueOutbox(10, 10).then((due) => seen.push(due.map((d) => d.dedupeKey)));
    };
    expect(await store.enqueueOutboxBatch([item('p'), item('q')], told)).toEqual([true, true]);
    expect(await store.enqueueOutboxBatch([item('p')], told)).toEqual([false]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual([['p', 'q']]);
  });

  it('keeps the last state of an alert group, replaced on save', async () => {
    expect(await store.getAlertGroup('g')).toBeUndefined();
    await store.saveAlertGroup({
      groupKey: 'g',
      data: { status: 'firing', alerts: [{ f: '1' }] },
      updatedAt: 10,
    });
    await store.saveAlertGroup({ groupKey: 'h', data: { status: 'firing' }, updatedAt: 11 });
    await store.saveAlertGroup({
      groupKey: 'g',
      data: { status: 'resolved', ackedBy: 'olivia' },
      updatedAt: 20,
    });
    expect(await store.getAlertGroup('g')).toEqual({
      groupKey: 'g',
      data: { status: 'resolved', ackedBy: 'olivia' },
      updatedAt: 20,
    });
    expect(await store.getAlertGroup('h')).toMatchObject({ updatedAt: 11 });
  });

  it('lists alert groups with posts behind their state, longest behind first, until caught up', async () => {
    await store.saveAlertGroup({ groupKey: 'current', data: {}, updatedAt: 1 });
    await store.saveAlertGroup({ groupKey: 'late', data: {}, updatedAt: 2, staleSince: 30 });
    await store.saveAlertGroup({ groupKey: 'early', data: {}, updatedAt: 3, staleSince: 10 });
    await store.saveAlertGroup({ groupKey: 'middle', data: {}, updatedAt: 4, staleSince: 20 });
    expect(await store.staleAlertGroups(10)).toEqual(['early', 'middle', 'late']);
    expect(await store.staleAlertGroups(2)).toEqual(['early', 'middle']);
    expect(await store.getAlertGroup('early')).toMatchObject({ staleSince: 10 });
    // Saved again without staleSince: its posts caught up.
    await store.saveAlertGroup({ groupKey: 'early', data: {}, updatedAt: 5 });
    expect(await store.getAlertGroup('early')).not.toHaveProperty('staleSince');
    expect(await store.staleAlertGroups(10)).toEqual(['middle', 'late']);
  });

  it('maps alert groups to posts, one per channel, never replaced (that would orphan the first)', async () => {
    expect(
      await store.saveAlertPost({ groupKey: 'g', platform: 'mattermost', channelId: 'c1', postId: 'p1' }),
    ).toBe(true);
    await store.saveAlertPost({ groupKey: 'g', platform: 'mattermost', channelId: 'c2', postId: 'p2' });
    expect(
      await store.saveAlertPost({ groupKey: 'g', platform: 'mattermost', channelId: 'c1', postId: 'p3' }),
    ).toBe(false);
    const posts = await store.findAlertPosts('g');
    expect(posts.map((p) => [p.channelId, p.postId]).sort()).toEqual([
      ['c1', 'p1'],
      ['c2', 'p2'],
    ]);
    expect(await store.findAlertPosts('other')).toEqual([]);
    expect(await store.findAlertPostById('p2')).toEqual({
      groupKey: 'g',
      platform: 'mattermost',
      channelId: 'c2',
      postId: 'p2',
    });
    expect(await store.findAlertPostById('p3')).toBeUndefined();
  });

  it('keeps incidents and their timelines', async () => {
    const created = await store.createIncident({
      title: 'db down',
      severity: 2,
      cluster: 'infra',
      state: 'open',
      platform: 'shell',
      channelName: 'inc-20261123-db-down',
      createdBy: 'alice',
      createdAt: 100,
    });
    expect(created.id).toBeGreaterThan(0);
    await store.updateIncident(created.id, { severity: 1, commander: 'bob', channelId: 'ch9' });
    await store.addTimeline({
      incidentId: created.id,
      at: 200,
      author: 'bob',
      kind: 'note',
      text: 'failover started',
    });
    await store.addTimeline({
      incidentId: created.id,
      at: 150,
      author: 'alice',
      kind: 'open',
      text: 'opened',
    });
    expect(await store.getIncident(created.id)).toMatchObject({
      severity: 1,
      commander: 'bob',
      channelId: 'ch9',
      cluster: 'infra',
    });
    expect((await store.listTimeline(created.id)).map((t) => t.text)).toEqual(['opened', 'failover started']);
    await store.updateIncident(created.id, { state: 'resolved', resolvedAt: 300, summary: 'fixed' });
    expect(await store.listIncidents({ state: 'open' })).toEqual([]);
    expect((await store.listIncidents({})).map((i) => i.summary)).toEqual(['fixed']);
  });

  it('keeps an incident room: roles, origin, pinned summary, archiving once', async () => {
    const created = await store.createIncident({
      title: 'db down',
      severity: 2,
      state: 'open',
      platform: 'shell',
      channelId: 'room-1',
      channelName: 'inc-20261123-db-down',
      createdBy: 'alice',
      createdAt: 100,
      originChannelId: 'alerts',
      originThreadId: 'post-7',
    });
    await store.createIncident({
      title: 'other',
      severity: 3,
      state: 'open',
      platform: 'mattermost',
      channelId: 'room-1',
      channelName: 'inc-20261123-other',
      createdBy: 'bob',
      createdAt: 110,
    });
    await store.updateIncident(created.id, { comms: 'carol', summaryPostId: 'p1' });
    expect(await store.findIncidentByChannel('shell', 'room-1')).toMatchObject({
      id: created.id,
      comms: 'carol',
      summaryPostId: 'p1',
      originChannelId: 'alerts',
      originThreadId: 'post-7',
    });
    expect(await store.findIncidentByChannel('shell', 'elsewhere')).toBeUndefined();
    // Only a resolved room is archived, and only once however many replicas try.
    expect(await store.claimIncidentArchive(created.id, 400)).toBe(false);
    await store.updateIncident(created.id, { state: 'resolved', resolvedAt: 300, archiveAt: 350 });
    expect(await store.claimIncidentArchive(created.id, 400)).toBe(true);
    expect(await store.claimIncidentArchive(created.id, 401)).toBe(false);
    expect(await store.getIncident(created.id)).toMatchObject({ archiveAt: 350, archivedAt: 400 });
  });

  it('links alerts to incidents once each, and finds them by fingerprint', async () => {
    const base = { severity: 2, state: 'open' as const, platform: 'shell', createdBy: 'a', createdAt: 1 };
    const one = await store.createIncident({ ...base, title: 'one', channelName: 'inc-1' });
    const two = await store.createIncident({ ...base, title: 'two', channelName: 'inc-2' });
    const link = {
      fingerprint: 'abc123',
      alertname: 'KubePodCrashLooping',
      state: 'firing',
      linkedBy: 'alice',
    };
    expect(
      await store.linkIncidentAlert({ ...link, incidentId: one.id, cluster: 'apps', linkedAt: 10 }),
    ).toBe(true);
    expect(await store.linkIncidentAlert({ ...link, incidentId: one.id, linkedAt: 11 })).toBe(false);
    expect(await store.linkIncidentAlert({ ...link, incidentId: two.id, linkedAt: 12 })).toBe(true);
    await store.linkIncidentAlert({ ...link, fingerprint: 'def', incidentId: one.id, linkedAt: 13 });
    await store.setIncidentAlertState(one.id, 'abc123', 'resolved');
    expect(await store.listIncidentAlerts(one.id)).toEqual([
      { ...link, incidentId: one.id, cluster: 'apps', linkedAt: 10, state: 'resolved' },
      { ...link, fingerprint: 'def', incidentId: one.id, linkedAt: 13 },
    ]);
    expect((await store.findAlertIncidents('abc123')).map((l) => [l.incidentId, l.state])).toEqual([
      [one.id, 'resolved'],
      [two.id, 'firing'],
    ]);
    expect(await store.findAlertIncidents('nope')).toEqual([]);
  });

  it('keeps runs, and finds the unfinished ones after a restart', async () => {
    const run = {
      id: 'run-1',
      kind: 'drill' as const,
      name: 'node-drain',
      cluster: 'apps',
      state: 'cordoned',
      startedBy: 'alice',
      startedAt: 1,
      updatedAt: 1,
      data: { node: 'apps-02' },
    };
    await store.saveRun(run);
    await store.saveRun({
      ...run,
      id: 'run-2',
      kind: 'phase',
      name: 'foundation',
      startedAt: 2,
      updatedAt: 2,
    });
    await store.saveRun({ ...run, state: 'evicting', updatedAt: 5, data: { node: 'apps-02', evicted: 3 } });
    expect(await store.getRun('run-1')).toMatchObject({
      state: 'evicting',
      updatedAt: 5,
      data: { evicted: 3 },
    });
    expect((await store.listRuns({ kind: 'drill', unfinished: true })).map((r) => r.id)).toEqual(['run-1']);
    await store.saveRun({ ...run, state: 'done', updatedAt: 9, finishedAt: 9 });
    expect(await store.listRuns({ kind: 'drill', unfinished: true })).toEqual([]);
    expect((await store.listRuns({})).map((r) => r.id)).toEqual(['run-2', 'run-1']);
  });

  it('keeps chat cursors per platform and key, and only moves them forward', async () => {
    expect(await store.listChatCursors('mattermost')).toEqual({});
    await store.advanceChatCursor('mattermost', 'c1', 1_700_000_000_100);
    await store.advanceChatCursor('mattermost', '*', 1_700_000_000_100);
    await store.advanceChatCursor('rocketchat', 'c1', 5);
    await store.advanceChatCursor('mattermost', 'c1', 1_700_000_000_300);
    // A late write of an older post does not rewind the cursor.
    await store.advanceChatCursor('mattermost', 'c1', 1_700_000_000_200);
    expect(await store.listChatCursors('mattermost')).toEqual({
      c1: 1_700_000_000_300,
      '*': 1_700_000_000_100,
    });
    expect(await store.listChatCursors('rocketchat')).toEqual({ c1: 5 });
  });
});

describe('migrations on PostgreSQL', () => {
  it('are safe when several replicas start at once', async () => {
    const { default: pgLib } = await import('pg');
    const client = new pgLib.Client({ connectionString: pg.url });
    await client.connect();
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    await client.end();
    const stores = await Promise.all(
      Array.from({ length: 4 }, () =>
        openStore({ driver: 'postgres', sqlite: { path: '' }, postgres: { url: pg.url } }),
      ),
    );
    const again = await Promise.all(stores.map((s) => s.migrate()));
    expect(again).toEqual([0, 0, 0, 0]);
    await Promise.all(stores.map((s) => s.close()));
  });
});
