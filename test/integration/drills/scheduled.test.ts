/**
 * Scheduled drills and leader-only runs, on the test stack's apps cluster (pod-kill against the
 * seeded harbor/harbor-core, which kube-controller-manager and kwok heal for real). The schedule
 * fires from a real node-cron job set a few seconds ahead; the chat is recorded (not under test).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scheduleName } from '../../../src/drills/config-schema.js';
import { loadDrills } from '../../../src/drills/definitions.js';
import { DrillEngine } from '../../../src/drills/engine.js';
import type { DrillData } from '../../../src/drills/run-data.js';
import type { DrillEngineOptions } from '../../../src/drills/runtime.js';
import { DrillSchedules } from '../../../src/drills/schedules.js';
import type { ClusterDirectory } from '../../../src/kube/cluster-ops.js';
import type { Store } from '../../../src/store/store.js';
import { loadStackEnv } from '../../stack/env.js';
import { botDirectory } from '../rbac/identities.js';
import { quietLog, RecordingChat, tempStore, waitFor } from './helpers.js';

let clusters: ClusterDirectory;
const cleanups: (() => Promise<void> | void)[] = [];

function engine(store: Store, chat: RecordingChat, extra: Partial<DrillEngineOptions> = {}): DrillEngine {
  const e = new DrillEngine({
    store,
    clusters,
    chat,
    drills: loadDrills(),
    log: quietLog,
    tickMs: 200,
    ...extra,
  });
  cleanups.push(() => e.stop());
  return e;
}

/** A six-field cron expression that matches once a day: `seconds` from now, in UTC. */
function cronIn(seconds: number): string {
  const at = new Date(Date.now() + seconds * 1000);
  return `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
}

beforeAll(() => {
  clusters = botDirectory(loadStackEnv(), ['apps']);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('scheduled drills', () => {
  it('a schedule fires on its cron, runs the drill on the leader and posts the report in the channel', async () => {
    const { store } = await tempStore();
    cleanups.push(() => store.close());
    const chat = new RecordingChat();
    const drills = engine(store, chat);
    const schedule = { drill: 'pod-kill', args: {}, cron: cronIn(3), timeZone: 'UTC', channel: 'ops-drills' };
    const schedules = new DrillSchedules([schedule], {
      engine: drills,
      chat,
      isLeader: () => true,
      log: quietLog,
    });
    schedules.start();
    cleanups.push(() => schedules.stop());
    expect(schedules.nextRuns().get('pod-kill-1')).toBeInstanceOf(Date);

    const report = await waitFor(
      'the scheduled report in the channel',
      () =>
        chat.topLevel('id-ops-drills').find((m) => m.title?.startsWith('Scheduled Drill pod-kill on apps')),
      120_000,
    );
    expect(report.title).toBe('Scheduled Drill pod-kill on apps: passed');
    expect(report.text).toMatch(/^PASSED: recovered in \S+ \(objective 1m\)$/);
    expect(report.fields?.find((f) => f.title === 'Started by')?.value).toBe('schedule:pod-kill-1');
    const runs = await store.listRuns({ kind: 'drill' });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.startedBy).toBe(`schedule:${scheduleName(schedule, 0)}`);
    expect(runs[0]?.state).toBe('passed');
    // The steps went to a thread under the drill's own post in the same channel.
    const root = (runs[0]?.data as DrillData | undefined)?.post;
    expect(root?.channelId).toBe('id-ops-drills');
    expect(chat.thread(root?.postId as string).some((t) => t.startsWith('Deleted pod'))).toBe(true);
  });

  it('skips with a clear post when the guard rails refuse (an open incident on the cluster)', async () => {
    const { store } = await tempStore();
    cleanups.push(() => store.close());
    const chat = new RecordingChat();
    const schedules = new DrillSchedules(
      [
        {
          name: 'weekly-pod',
          drill: 'pod-kill',
          args: { cluster: 'apps' },
          cron: '0 10 * * 2',
          timeZone: 'UTC',
          channel: 'ops',
        },
      ],
      { engine: engine(store, chat), chat, isLeader: () => true, log: quietLog },
    );
    const incident = await store.createIncident({
      title: 'harbor is slow',
      severity: 2,
      cluster: 'apps',
      state: 'open',
      platform: 'test',
      channelName: 'inc-harbor',
      createdBy: 'dave',
      createdAt: Date.now(),
    });
    const outcome = await schedules.run({
      name: 'weekly-pod',
      drill: 'pod-kill',
      args: { cluster: 'apps' },
      cron: '0 10 * * 2',
      timeZone: 'UTC',
      channel: 'ops',
    });
    expect(outcome.outcome).toBe('skipped');
    const posts = chat.topLevel('id-ops');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.title).toBe('Scheduled drill pod-kill skipped');
    expect(posts[0]?.text).toContain(
      'Schedule weekly-pod (`0 10 * * 2` UTC) did not run the drill: Refused: ',
    );
    expect(posts[0]?.text).toContain(`incident #${incident.id} "harbor is slow" is open on apps`);
    expect(await store.listRuns({ kind: 'drill' })).toHaveLength(0);
  });

  it('does nothing on a replica that is not the leader', async () => {
    const { store } = await tempStore();
    cleanups.push(() => store.close());
    const chat = new RecordingChat();
    const schedule = { drill: 'pod-kill', args: {}, cron: '0 10 * * 2', timeZone: 'UTC', channel: 'ops' };
    const schedules = new DrillSchedules([schedule], {
      engine: engine(store, chat),
      chat,
      isLeader: () => false,
      log: quietLog,
    });
    expect(await schedules.run(schedule)).toEqual({ outcome: 'not-leader' });
    expect(chat.posts).toHaveLength(0);
    expect(await store.listRuns({ kind: 'drill' })).toHaveLength(0);
  });
});

describe('leader-only runs', () => {
  it('a run started on a replica that is not the leader is stored, and the leader (same store) runs it', async () => {
    const { store } = await tempStore();
    cleanups.push(() => store.close());
    const chat = new RecordingChat();
    const follower = engine(store, chat, { isLeader: () => false });
    const leader = engine(store, chat, { isLeader: () => true });

    const started = await follower.start({
      drill: 'pod-kill',
      actor: 'alice',
      isAdmin: true,
      open: (m) => chat.post({ channelId: 'ops' }, m),
    });
    if (!started.ok || !started.run) throw new Error(started.ok ? 'dry run' : started.reason);
    const id = started.run.id;
    const root = (started.run.data as DrillData).post?.postId as string;
    expect(chat.thread(root)).toContain(
      'This replica is not the leader: the run is stored and the leader replica starts it within seconds.',
    );
    // The follower does not drive it, nor take it over.
    expect(await follower.resume()).toBe(0);
    await new Promise((r) => setTimeout(r, 600));
    const stored = await store.getRun(id);
    expect(stored?.state).toBe('running');
    expect((stored?.data as DrillData | undefined)?.kindState).toEqual({});
    // A second drill on the cluster is refused meanwhile, on either replica.
    const second = await leader.start({
      drill: 'pod-kill',
      actor: 'bob',
      isAdmin: true,
      open: async () => undefined,
    });
    expect(second.ok ? '' : second.reason).toMatch(/still running on apps/);

    // The leader's sweep starts it at once (not only after staleAfterMs) and runs it forward.
    expect(await leader.resume()).toBe(1);
    const done = await leader.settled(id);
    expect(done?.state).toBe('passed');
    expect((done?.data as DrillData | undefined)?.awaitingLeader).toBeUndefined();
    expect(chat.thread(root).at(-1)).toMatch(/^PASSED/);
  });
});
