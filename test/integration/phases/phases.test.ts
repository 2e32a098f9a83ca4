/**
 * Phases against the seeded Flux objects on both API servers, as the bot (reads with its own
 * token, writes impersonating coxswain-operator, RBAC from deploy/ applied).
 *
 * The stack has the Flux CRDs and objects but no Flux controllers, so this test plays the
 * kustomize-controller's part (flux-play.ts): when a Kustomization is not suspended and carries a
 * reconcile.fluxcd.io/requestedAt it has not handled, the test sets status.lastHandledReconcileAt
 * to it, observedGeneration to the generation and the Ready condition to True — what Flux does
 * after a successful reconcile. Everything the engine does (suspend, resume, request, wait, check)
 * goes to the real API servers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterDirectory } from '../../../src/kube/cluster-ops.js';
import { loadPhases } from '../../../src/phases/definitions.js';
import { PhaseEngine } from '../../../src/phases/engine.js';
import { REQUESTED_AT } from '../../../src/phases/flux-objects.js';
import type { PhaseData } from '../../../src/phases/run-data.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';
import { loadStackEnv, type StackCluster, type StackEnv } from '../../stack/env.js';
import { kubectl, kubectlJson } from '../../stack/kubectl.js';
import { quietLog, RecordingChat, tempStore, waitFor } from '../drills/helpers.js';
import { botDirectory } from '../rbac/identities.js';
import { FluxControllerPlay, type Kustomization, STORAGE, unsuspendStorage } from './flux-play.js';

let env: StackEnv;
let clusters: ClusterDirectory;
const engines: PhaseEngine[] = [];

function kustomization(cluster: StackCluster, name: string): Kustomization {
  return kubectlJson<Kustomization>(env, cluster, ['get', 'kustomization', name, '-n', 'flux-system']);
}

function engineOn(store: Store, chat: RecordingChat, staleAfterMs?: number): PhaseEngine {
  const engine = new PhaseEngine({
    store,
    clusters,
    chat,
    phases: loadPhases(),
    log: quietLog,
    tickMs: 150,
    ...(staleAfterMs === undefined ? {} : { staleAfterMs }),
  });
  engines.push(engine);
  return engine;
}

function open(chat: RecordingChat) {
  return (message: Parameters<RecordingChat['post']>[1]) => chat.post({ channelId: 'ops' }, message);
}

let controller: FluxControllerPlay | undefined;

beforeAll(() => {
  env = loadStackEnv();
  clusters = botDirectory(env, ['infra', 'apps']);
});

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
  controller?.stop();
  controller = undefined;
});

afterAll(() => {
  if (env) unsuspendStorage(env);
});

describe('phase pause and run', () => {
  it('pause suspends the phase; run resumes and requests reconciles in dependency order, then reports the checks', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = engineOn(store, chat);

    const paused = await engine.pause('storage-backup', 'alice');
    expect(typeof paused).not.toBe('string');
    for (const cluster of ['infra', 'apps'] as StackCluster[])
      for (const name of STORAGE) expect(kustomization(cluster, name).spec.suspend).toBe(true);

    controller = new FluxControllerPlay(env);
    controller.start();
    const started = await engine.start({ phase: 'storage-backup', actor: 'alice', open: open(chat) });
    expect(started.ok ? 'started' : started.reason).toBe('started');
    if (!started.ok || !started.run) throw new Error('no run');
    const done = await engine.settled(started.run.id);
    const data = done?.data as PhaseData;

    expect(done?.state).toBe('succeeded');
    // Every Kustomization was resumed and its reconcile handled; dependencies went first.
    for (const cluster of ['infra', 'apps'] as StackCluster[]) {
      for (const name of STORAGE) {
        const k = kustomization(cluster, name);
        expect(k.spec.suspend).toBe(false);
        expect(k.status?.lastHandledReconcileAt).toBe(k.metadata.annotations?.[REQUESTED_AT]);
      }
      const order = controller.handled.filter((h) => h.startsWith(`${cluster}/`));
      expect(order.indexOf(`${cluster}/rook-ceph`)).toBeGreaterThanOrEqual(0);
      expect(order.indexOf(`${cluster}/rook-ceph`)).toBeLessThan(order.indexOf(`${cluster}/volsync`));
      expect(order.indexOf(`${cluster}/rook-ceph`)).toBeLessThan(order.indexOf(`${cluster}/velero`));
    }
    const kSteps = data.steps.filter((s) => s.kind === 'Kustomization');
    expect(kSteps).toHaveLength(8);
    expect(kSteps.every((s) => s.state === 'ready' && s.resumed === true)).toBe(true);
    expect(data.steps.filter((s) => s.kind === 'HelmRelease').every((s) => s.state === 'ready')).toBe(true);
    // The success checks ran and passed on the seeded objects.
    expect(data.checks?.map((c) => `${c.name}@${c.cluster}:${c.ok}`)).toEqual([
      'Rook Ceph cluster HEALTH_OK@infra:true',
      'Rook Ceph cluster HEALTH_OK@apps:true',
      '3 OSDs operational@infra:true',
      '3 OSDs operational@apps:true',
      'ceph-block StorageClass (Ceph RBD)@infra:true',
      'ceph-block StorageClass (Ceph RBD)@apps:true',
      'OpenEBS local StorageClass@infra:true',
      'OpenEBS local StorageClass@apps:true',
      'VolSync operator Ready@infra:true',
      'VolSync operator Ready@apps:true',
      'Velero weekly backups configured (infra)@infra:true',
      'Velero weekly backups configured (apps)@apps:true',
    ]);
    // Progress was one post, updated; the last update is the final state.
    const post = data.post;
    expect(chat.posts.filter((p) => !p.destination.threadId)).toHaveLength(1);
    expect(chat.updates.every((u) => u.ref.postId === post?.postId)).toBe(true);
    expect(chat.updates.at(-1)?.message.title).toBe('Phase storage-backup: succeeded');
    expect(chat.updates.at(-1)?.message.text).toMatch(/✔ Rook Ceph cluster HEALTH\\?_OK on apps: ok/);
    // Status has who ran what and when.
    const history = await engine.history('storage-backup');
    expect(history.map((r) => [r.state, r.startedBy])).toEqual([
      ['succeeded', 'alice'],
      ['paused', 'alice'],
    ]);
    await store.close();
  });

  it('a run started on a replica that is not the leader is stored; only the leader (same store) runs it', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const options = { store, clusters, chat, phases: loadPhases(), log: quietLog, tickMs: 150 };
    const follower = new PhaseEngine({ ...options, isLeader: () => false });
    const leader = new PhaseEngine({ ...options, isLeader: () => true });
    engines.push(follower, leader);
    await follower.pause('storage-backup', 'alice');
    controller = new FluxControllerPlay(env);
    controller.start();

    const started = await follower.start({ phase: 'storage-backup', actor: 'alice', open: open(chat) });
    if (!started.ok || !started.run) throw new Error(started.ok ? 'no run' : started.reason);
    const id = started.run.id;
    expect(await follower.resume()).toBe(0);
    await new Promise((r) => setTimeout(r, 600));
    // Stored, not driven: nothing was resumed on the clusters.
    expect((await store.getRun(id))?.finishedAt).toBeUndefined();
    for (const cluster of ['infra', 'apps'] as StackCluster[])
      expect(kustomization(cluster, 'rook-ceph').spec.suspend).toBe(true);

    // The leader's sweep starts it at once and runs it to the end.
    expect(await leader.resume()).toBe(1);
    const done = await leader.settled(id);
    expect(done?.state).toBe('succeeded');
    expect((done?.data as PhaseData | undefined)?.awaitingLeader).toBeUndefined();
    for (const cluster of ['infra', 'apps'] as StackCluster[])
      for (const name of STORAGE) expect(kustomization(cluster, name).spec.suspend).toBe(false);
    await store.close();
  });

  it('refuses to run when a dependency phase fails its checks', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = engineOn(store, chat);
    const patch = (health: string) =>
      kubectl(env, 'apps', [
        'patch',
        'cephcluster',
        'rook-ceph',
        '-n',
        'rook-ceph',
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { ceph: { health } } }),
      ]);
    patch('HEALTH_WARN');
    try {
      const refused = await engine.start({ phase: 'platform-services', actor: 'alice', open: open(chat) });
      expect(refused.ok).toBe(false);
      expect(refused.ok ? '' : refused.reason).toContain(
        'Refused: phase platform-services depends on storage-backup, mesh-observability, whose checks fail: Rook Ceph cluster HEALTH_OK on apps (status.ceph.health is HEALTH_WARN, want HEALTH_OK)',
      );
      expect(chat.posts).toHaveLength(0);
      expect((await engine.lastRun('platform-services'))?.state).toBe('refused');
      // Nothing was touched on the cluster.
      expect(kustomization('infra', 'databases').metadata.annotations?.[REQUESTED_AT]).toBeUndefined();
    } finally {
      patch('HEALTH_OK');
      await store.close();
    }
  });

  it('a run interrupted by a restart continues when a new engine starts on the same store', async () => {
    const { store, path } = await tempStore();
    const chat = new RecordingChat();
    const first = engineOn(store, chat);
    await first.pause('storage-backup', 'bob');
    controller = new FluxControllerPlay(env);
    controller.enabled = false;
    controller.start();
    const started = await first.start({ phase: 'storage-backup', actor: 'bob', open: open(chat) });
    if (!started.ok || !started.run) throw new Error(started.ok ? 'no run' : started.reason);
    const id = started.run.id;
    await waitFor('the first reconcile request', async () => {
      const run = await store.getRun(id);
      return (run?.data as PhaseData | undefined)?.steps[0]?.state === 'requested' ? true : undefined;
    });
    await first.stop();
    await store.close();

    const reopened = await openStore({ driver: 'sqlite', sqlite: { path } });
    const second = engineOn(reopened, chat, 1500);
    expect(await second.resume()).toBe(0);
    await new Promise((r) => setTimeout(r, 1600));
    expect(await second.resume()).toBe(1);
    controller.enabled = true;
    const done = await second.settled(id);
    expect(done?.state).toBe('succeeded');
    expect((done?.data as PhaseData | undefined)?.steps.every((s) => s.state === 'ready')).toBe(true);
    await reopened.close();
  });
});
