/**
 * volsync-restore on the apps cluster's seeded VolSync object: the ReplicationSource
 * `harbor/harbor-registry-data` (restic, repository `harbor-registry-data-volsync-secret`). The
 * volume it backs up is not in the seed; the test creates it (the PVC `harbor/harbor-registry-data`,
 * 20Gi on ceph-block) as the platform has it, and deletes it afterwards.
 *
 * What is simulated: no VolSync and no Ceph CSI run. The test plays both for the drill's objects:
 * the CSI provisioner, by creating a PersistentVolume pre-bound to the scratch PVC (the real
 * kube-controller-manager's PV controller then binds them, so the PVC's Bound is the API
 * server's); VolSync's restic mover, by writing the ReplicationDestination's status through its
 * status subresource as the controller does after the mover Job: `lastManualSync` = the manual
 * trigger, `latestMoverStatus` with the restic log lines VolSync keeps (logfilter.go), and
 * `latestImage` naming the PVC. What is real: the drill creates the PVC and the
 * ReplicationDestination as coxswain-operator in the scratch namespace (the audit log shows it),
 * reads them with the bot's read-only account, and deletes both (the PVC protection finalizer is
 * removed by the real controller-manager).
 */
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DrillEngine } from '../../../src/drills/engine.js';
import { SCRATCH_NAMESPACE, scratchName } from '../../../src/drills/kinds/volsync-restore.js';
import type { DrillData } from '../../../src/drills/run-data.js';
import type { ClusterDirectory } from '../../../src/kube/cluster-ops.js';
import { openStore } from '../../../src/store/open-store.js';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { kubectl, kubectlRun } from '../../stack/kubectl.js';
import { auditEvents, botDirectory } from '../rbac/identities.js';
import { RecordingChat, startDrill, tempStore, testEngine, waitFor } from './helpers.js';
import { createSourceVolume, deleteSourceVolume, SOURCE_VOLUME } from './volsync-source-volume.js';

const DESTINATIONS = {
  group: 'volsync.backube',
  version: 'v1alpha1',
  namespace: SCRATCH_NAMESPACE,
  plural: 'replicationdestinations',
};
const TARGET = scratchName(SOURCE_VOLUME);
const PV = 'pv-coxswain-drill-volsync-test';

let env: StackEnv;
let clusters: ClusterDirectory;
let custom: CustomObjectsApi;
const engines: DrillEngine[] = [];

interface Destination {
  metadata: { name: string };
  spec: { trigger?: { manual?: string }; restic?: Record<string, unknown> };
  status?: { lastManualSync?: string };
}

async function destinations(): Promise<Destination[]> {
  const list = (await custom.listNamespacedCustomObject({
    ...DESTINATIONS,
    labelSelector: 'coxswain.dev/drill=volsync-restore',
  })) as { items: Destination[] };
  return list.items;
}

function exists(kind: string, name: string, namespace?: string): boolean {
  return kubectlRun(env, 'apps', ['get', kind, name, ...(namespace ? ['-n', namespace] : [])]).status === 0;
}

/** The Ceph CSI provisioner and VolSync's restic mover, simulated (see the file comment). */
function playVolsync(logs: string): {
  stop(): void;
  seen(): Destination | undefined;
  doneAt(): number | undefined;
} {
  let seen: Destination | undefined;
  let done: number | undefined;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy || done) return;
    busy = true;
    try {
      const destination = (await destinations()).find((d) => d.status?.lastManualSync === undefined);
      if (!destination || !exists('pvc', TARGET, SCRATCH_NAMESPACE)) return;
      seen = destination;
      kubectl(
        env,
        'apps',
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: { name: PV },
          spec: {
            capacity: { storage: '20Gi' },
            accessModes: ['ReadWriteOnce'],
            storageClassName: 'ceph-block',
            persistentVolumeReclaimPolicy: 'Retain',
            claimRef: { namespace: SCRATCH_NAMESPACE, name: TARGET },
            csi: { driver: 'rook-ceph.rbd.csi.ceph.com', volumeHandle: 'drill-test-0001' },
          },
        }),
      );
      await custom.patchNamespacedCustomObjectStatus(
        {
          ...DESTINATIONS,
          name: destination.metadata.name,
          body: {
            status: {
              conditions: [
                {
                  type: 'Synchronizing',
                  status: 'True',
                  reason: 'SyncInProgress',
                  message: 'Synchronization in-progress',
                  lastTransitionTime: new Date().toISOString(),
                },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await new Promise((r) => setTimeout(r, 300));
      done = Date.now();
      await custom.patchNamespacedCustomObjectStatus(
        {
          ...DESTINATIONS,
          name: destination.metadata.name,
          body: {
            status: {
              lastManualSync: destination.spec.trigger?.manual,
              lastSyncTime: new Date().toISOString(),
              lastSyncDuration: '0.3s',
              latestImage: { kind: 'PersistentVolumeClaim', name: TARGET },
              latestMoverStatus: { result: 'Successful', logs },
              conditions: [
                {
                  type: 'Synchronizing',
                  status: 'False',
                  reason: 'WaitingForManual',
                  message: 'Waiting for manual trigger',
                  lastTransitionTime: new Date().toISOString(),
                },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } finally {
      busy = false;
    }
  }, 150);
  return { stop: () => clearInterval(timer), seen: () => seen, doneAt: () => done };
}

const RESTORED = [
  'repository 5f3c1e2a opened (version 2, compression level auto)',
  'restoring <Snapshot 3f1a2b4c of [/data] at 2026-12-04 12:00:01 by volsync@harbor> to .',
  'Restic completed in 12s',
].join('\n');

function newEngine(
  store: Awaited<ReturnType<typeof tempStore>>['store'],
  chat: RecordingChat,
  opts: { timeLimit?: number; staleAfterMs?: number } = {},
): DrillEngine {
  const engine = testEngine(store, chat, clusters, { drill: 'volsync-restore', ...opts });
  engines.push(engine);
  return engine;
}

const start = async (engine: DrillEngine, chat: RecordingChat) =>
  (await startDrill(engine, chat, { drill: 'volsync-restore' })).run;

function cleanedUp(): void {
  expect(exists('pvc', TARGET, SCRATCH_NAMESPACE)).toBe(false);
  expect(exists('replicationdestination.volsync.backube', TARGET, SCRATCH_NAMESPACE)).toBe(false);
}

beforeAll(() => {
  env = loadStackEnv();
  clusters = botDirectory(env, ['apps']);
  const kc = new KubeConfig();
  kc.loadFromFile(env.KUBECONFIG_APPS);
  custom = kc.makeApiClient(CustomObjectsApi);
  createSourceVolume(env);
});

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
  kubectlRun(env, 'apps', [
    'delete',
    'replicationdestination.volsync.backube',
    '-n',
    SCRATCH_NAMESPACE,
    '-l',
    'coxswain.dev/drill=volsync-restore',
    '--wait=false',
  ]);
  kubectlRun(env, 'apps', ['delete', 'pvc', TARGET, '-n', SCRATCH_NAMESPACE, '--timeout=30s']);
  kubectlRun(env, 'apps', ['delete', 'pv', PV, '--timeout=30s']);
});

afterAll(() => {
  if (env) deleteSourceVolume(env);
});

describe('volsync-restore', () => {
  it('restores into a scratch PVC as the operator, measures until Bound and populated, cleans up', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const volsync = playVolsync(RESTORED);
    try {
      const engine = newEngine(store, chat);
      const run = await start(engine, chat);
      const done = await engine.settled(run.id);
      const data = done?.data as DrillData;
      const thread = chat.thread(data.post?.postId as string);

      expect(done?.state, thread.join('\n')).toBe('passed');
      expect(data.params).toEqual({ cluster: 'apps', namespace: 'harbor', source: 'harbor-registry-data' });
      // What VolSync was asked: a manual restic restore of the source's repository into the PVC.
      expect(volsync.seen()?.spec).toEqual({
        trigger: { manual: data.kindState.trigger },
        restic: {
          repository: 'harbor-registry-data-volsync-secret',
          destinationPVC: TARGET,
          copyMethod: 'Direct',
        },
      });
      expect(data.recovery?.recoveredAt).toBeGreaterThanOrEqual(volsync.doneAt() ?? Number.POSITIVE_INFINITY);
      expect(thread).toContain('VolSync: SyncInProgress: Synchronization in-progress.');
      expect(data.findings).toEqual([
        // The mover's log line escaped for chat (markdown and the @-mention broken).
        'VolSync restored into the Bound PVC (20Gi); restic: restoring \\<Snapshot 3f1a2b4c of \\[/data\\] at 2026-12-04 12:00:01 by volsync@\u200bharbor\\> to .',
      ]);
      expect(thread.at(-1)).toMatch(/^PASSED: recovered in \S+ \(objective 30m\)/);
      cleanedUp();

      const writes = auditEvents(
        env.AUDIT_LOG_APPS,
        (e) =>
          Date.parse(e.requestReceivedTimestamp ?? '') >= (done?.startedAt ?? 0) - 1000 &&
          e.impersonatedUser !== undefined &&
          e.objectRef?.namespace === SCRATCH_NAMESPACE &&
          (e.verb === 'create' || e.verb === 'delete'),
      );
      expect(
        writes.map((e) => `${e.verb} ${e.objectRef?.resource} ${e.responseStatus?.code}`).sort(),
      ).toEqual([
        'create persistentvolumeclaims 201',
        'create replicationdestinations 201',
        'delete persistentvolumeclaims 200',
        'delete replicationdestinations 200',
      ]);
      for (const e of writes)
        expect(e.impersonatedUser?.username).toBe('system:serviceaccount:coxswain:coxswain-operator');
    } finally {
      volsync.stop();
      await store.close();
    }
  });

  it('a restore that found no snapshot (nothing restored) fails the drill, which still cleans up', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const volsync = playVolsync('No eligible snapshots found\n=== No data will be restored ===');
    try {
      const engine = newEngine(store, chat);
      const done = await engine.settled((await start(engine, chat)).id);
      expect(done?.state).toBe('failed');
      expect((done?.data as DrillData | undefined)?.rollbackReason).toBe(
        'VolSync found no snapshot in the repository: nothing was restored',
      );
      cleanedUp();
    } finally {
      volsync.stop();
      await store.close();
    }
  });

  it('no restore within the time limit: the drill deletes what it made and fails', async () => {
    // No VolSync at all this time: the ReplicationDestination gets no status.
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = newEngine(store, chat, { timeLimit: 3000 });
    const done = await engine.settled((await start(engine, chat)).id);
    const data = done?.data as DrillData;
    expect(done?.state).toBe('failed');
    expect(data.rollbackReason).toBe('the time limit of 3s passed before recovery');
    expect(chat.thread(data.post?.postId as string)).toContain(
      `Deleted the ReplicationDestination \`${SCRATCH_NAMESPACE}/${TARGET}\` and the scratch PVC \`${SCRATCH_NAMESPACE}/${TARGET}\` as coxswain-operator.`,
    );
    cleanedUp();
    await store.close();
  });

  it('the bot dies mid-restore: a new engine on the same store deletes what the drill made', async () => {
    const { store, path } = await tempStore();
    const chat = new RecordingChat();
    const first = newEngine(store, chat);
    const run = await start(first, chat);
    await waitFor('the ReplicationDestination', async () =>
      (await destinations()).length ? true : undefined,
    );
    // The process is gone without a word: its loop stops, nothing is rolled back.
    await first.stop();
    await store.close();
    expect(exists('pvc', TARGET, SCRATCH_NAMESPACE)).toBe(true);

    const reopened = await openStore({ driver: 'sqlite', sqlite: { path } });
    const second = newEngine(reopened, chat, { staleAfterMs: 1000 });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await second.resume()).toBe(1);
    const done = await second.settled(run.id);
    expect(done?.state).toBe('rolled-back');
    expect(chat.thread((done?.data as DrillData | undefined)?.post?.postId as string)).toContain(
      'coxswain restarted mid-drill; rolling back.',
    );
    await waitFor('the scratch PVC to be gone', () =>
      exists('pvc', TARGET, SCRATCH_NAMESPACE) ? undefined : true,
    );
    cleanedUp();
    await reopened.close();
  });
});
