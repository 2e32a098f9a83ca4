/**
 * backup-restore on the apps cluster's seeded Velero objects: the BackupStorageLocation `default`
 * (Available) and the Completed Backups `apps-daily-*`, which include every namespace but
 * kube-system.
 *
 * What is simulated: no Velero runs, so nobody acts on a Restore. The test plays Velero's restore
 * controller: when the drill's Restore appears it reports InProgress, creates the scratch
 * namespace with one restored ConfigMap in it (as Velero's namespaceMapping would), then reports
 * Completed (or PartiallyFailed, in the failure case) with its progress. What is real: the drill
 * picks the newest Completed Backup, creates the Restore as coxswain-operator, reads its status
 * with the bot's read-only account, deletes the Restore and the scratch namespace as the operator
 * (the only namespace its RBAC lets it delete), and kube-controller-manager's namespace
 * controller removes the namespace and what was in it.
 */
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadDrills } from '../../../src/drills/definitions.js';
import { DrillEngine } from '../../../src/drills/engine.js';
import { RESTORE_NAMESPACE } from '../../../src/drills/kinds/backup-restore.js';
import type { DrillData } from '../../../src/drills/run-data.js';
import type { ClusterDirectory } from '../../../src/kube/cluster-ops.js';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { deleteNamespaceAndWait, kubectl, kubectlJson, kubectlRun } from '../../stack/kubectl.js';
import { auditEvents, botDirectory } from '../rbac/identities.js';
import { quietLog, RecordingChat, tempStore } from './helpers.js';

const RESTORES = { group: 'velero.io', version: 'v1', namespace: 'velero', plural: 'restores' };

let env: StackEnv;
let clusters: ClusterDirectory;
let custom: CustomObjectsApi;
const engines: DrillEngine[] = [];

interface Restore {
  metadata: { name: string };
  spec: { backupName?: string; includedNamespaces?: string[]; namespaceMapping?: Record<string, string> };
  status?: { phase?: string };
}

async function drillRestores(): Promise<Restore[]> {
  const list = (await custom.listNamespacedCustomObject({
    ...RESTORES,
    labelSelector: 'coxswain.dev/drill=backup-restore',
  })) as { items: Restore[] };
  return list.items;
}

async function setPhase(name: string, status: Record<string, unknown>): Promise<void> {
  // The Restore CRD has no status subresource: Velero writes status on the object itself.
  await custom.patchNamespacedCustomObject(
    { ...RESTORES, name, body: { status } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** Velero's restore controller, simulated (see the file comment). */
function playVelero(outcome: 'Completed' | 'PartiallyFailed'): {
  stop(): void;
  seen(): Restore | undefined;
  completedAt(): number | undefined;
} {
  let seen: Restore | undefined;
  let completed: number | undefined;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy || completed) return;
    busy = true;
    try {
      const restore = (await drillRestores()).find((r) => r.status?.phase === undefined);
      if (!restore) return;
      seen = restore;
      await setPhase(restore.metadata.name, {
        phase: 'InProgress',
        startTimestamp: new Date().toISOString(),
      });
      kubectl(
        env,
        'apps',
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: RESTORE_NAMESPACE, labels: { 'velero.io/restore-name': restore.metadata.name } },
        }),
      );
      kubectl(env, 'apps', [
        'create',
        'configmap',
        'restored',
        '-n',
        RESTORE_NAMESPACE,
        '--from-literal=from=harbor',
      ]);
      await new Promise((r) => setTimeout(r, 300));
      // Marked before the write: the drill may see the new phase before this PATCH returns.
      completed = Date.now();
      await setPhase(restore.metadata.name, {
        phase: outcome,
        completionTimestamp: new Date().toISOString(),
        progress: { totalItems: 12, itemsRestored: outcome === 'Completed' ? 12 : 9 },
        errors: outcome === 'Completed' ? 0 : 3,
        warnings: 1,
      });
    } finally {
      busy = false;
    }
  }, 150);
  return { stop: () => clearInterval(timer), seen: () => seen, completedAt: () => completed };
}

function scratchExists(): boolean {
  return kubectlRun(env, 'apps', ['get', 'namespace', RESTORE_NAMESPACE]).status === 0;
}

beforeAll(() => {
  env = loadStackEnv();
  clusters = botDirectory(env, ['apps']);
  const kc = new KubeConfig();
  kc.loadFromFile(env.KUBECONFIG_APPS);
  custom = kc.makeApiClient(CustomObjectsApi);
});

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
  for (const r of await drillRestores())
    kubectlRun(env, 'apps', ['delete', 'restore.velero.io', r.metadata.name, '-n', 'velero', '--wait=false']);
  await deleteNamespaceAndWait(env, 'apps', RESTORE_NAMESPACE);
});

async function run(chat: RecordingChat, timeLimit?: number) {
  const { store } = await tempStore();
  const drills = loadDrills().map((d) =>
    d.name === 'backup-restore' && timeLimit !== undefined ? { ...d, timeLimit } : d,
  );
  const engine = new DrillEngine({ store, clusters, chat, drills, log: quietLog, tickMs: 200 });
  engines.push(engine);
  const started = await engine.start({
    drill: 'backup-restore',
    actor: 'alice',
    isAdmin: true,
    open: (m) => chat.post({ channelId: 'ops' }, m),
  });
  if (!started.ok || !started.run) throw new Error(started.ok ? 'dry run' : started.reason);
  const done = await engine.settled(started.run.id);
  await store.close();
  return { ...done, report: done ? engine.report(done) : undefined };
}

describe('backup-restore', () => {
  it('restores the newest Completed backup into the scratch namespace, measures, cleans up as the operator', async () => {
    const backups = kubectlJson<{
      items: { metadata: { name: string }; status: { completionTimestamp: string } }[];
    }>(env, 'apps', ['get', 'backups.velero.io', '-n', 'velero']).items.sort((a, b) =>
      b.status.completionTimestamp.localeCompare(a.status.completionTimestamp),
    );
    const newest = backups[0]?.metadata.name;
    const chat = new RecordingChat();
    const velero = playVelero('Completed');
    try {
      const done = await run(chat);
      const data = done?.data as DrillData;
      const thread = chat.thread(data.post?.postId as string);

      expect(done?.state, thread.join('\n')).toBe('passed');
      expect(data.params).toEqual({ cluster: 'apps', namespace: 'harbor' });
      expect(data.kindState.backup).toBe(newest);
      // The Restore Velero saw: one namespace of that backup, mapped into the scratch namespace.
      expect(velero.seen()?.spec).toEqual({
        backupName: newest,
        includedNamespaces: ['harbor'],
        namespaceMapping: { harbor: RESTORE_NAMESPACE },
      });
      expect(data.recovery?.ms).toBeGreaterThan(0);
      expect(data.recovery?.recoveredAt).toBeGreaterThanOrEqual(
        velero.completedAt() ?? Number.POSITIVE_INFINITY,
      );
      expect(thread).toContain('The Restore is InProgress.');
      expect(thread).toContain('Velero completed the Restore: 12 items restored, 1 warnings.');
      expect(
        thread.some((t) =>
          t.startsWith(`Deleted the scratch namespace \`${RESTORE_NAMESPACE}\` and the Restore`),
        ),
      ).toBe(true);
      expect(thread.at(-1)).toMatch(/^PASSED: recovered in \S+ \(objective 4h\)/);
      expect(done.report?.fields?.find((f) => f.title === 'Observed')?.value).toBe(
        '- Velero completed the Restore: 12 items restored, 1 warnings.',
      );
      // Cleaned up: no Restore, no scratch namespace (nor the ConfigMap that was restored into it).
      expect(await drillRestores()).toEqual([]);
      expect(scratchExists()).toBe(false);

      const since = (e: { requestReceivedTimestamp?: string }) =>
        Date.parse(e.requestReceivedTimestamp ?? '') >= (done?.startedAt ?? 0) - 1000;
      const writes = auditEvents(
        env.AUDIT_LOG_APPS,
        (e) =>
          since(e) &&
          e.impersonatedUser !== undefined &&
          ((e.objectRef?.resource === 'restores' && (e.verb === 'create' || e.verb === 'delete')) ||
            (e.objectRef?.resource === 'namespaces' && e.verb === 'delete')),
      );
      expect(
        writes.map((e) => `${e.verb} ${e.objectRef?.resource} ${e.responseStatus?.code}`).sort(),
      ).toEqual(['create restores 201', 'delete namespaces 200', 'delete restores 200']);
      for (const e of writes) {
        expect(e.user?.username).toBe('system:serviceaccount:coxswain:coxswain');
        expect(e.impersonatedUser?.username).toBe('system:serviceaccount:coxswain:coxswain-operator');
        expect(e.impersonatedUser?.extra?.['coxswain.dev/chat-user']).toEqual(['alice']);
      }
    } finally {
      velero.stop();
    }
  });

  it('a Restore Velero reports PartiallyFailed fails the drill, which still cleans up', async () => {
    const chat = new RecordingChat();
    const velero = playVelero('PartiallyFailed');
    try {
      const done = await run(chat);
      const data = done?.data as DrillData;
      expect(done?.state).toBe('failed');
      expect(data.rollbackReason).toBe('Velero reports the Restore PartiallyFailed with 3 errors');
      expect(await drillRestores()).toEqual([]);
      expect(scratchExists()).toBe(false);
    } finally {
      velero.stop();
    }
  });

  it('a Restore that does not complete within the time limit is deleted and the drill fails', async () => {
    // No Velero at all this time: the Restore stays New.
    const chat = new RecordingChat();
    const done = await run(chat, 3000);
    const data = done?.data as DrillData;
    expect(done?.state).toBe('failed');
    expect(data.rollbackReason).toBe('the time limit of 3s passed before recovery');
    expect(data.recovery?.ms).toBeUndefined();
    expect(chat.thread(data.post?.postId as string)).toContain(
      `Deleted the Restore \`${data.kindState.restore}\` as coxswain-operator.`,
    );
    expect(await drillRestores()).toEqual([]);
    expect(scratchExists()).toBe(false);
  });
});
