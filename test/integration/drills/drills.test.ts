/**
 * Drills on the test stack's apps cluster: kube-controller-manager and the scheduler run, and
 * kwok plays the kubelet, so a deleted pod is replaced by a new one that becomes Ready, and
 * evicted pods are rescheduled onto other nodes. The engine runs as the bot: its reads use the
 * `coxswain` service account's token, its writes impersonate coxswain-operator, with the RBAC
 * from deploy/rbac/ applied.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerClient } from '../../../adapters/alertmanager/client.js';
import { alertmanagerCriticalAlerts } from '../../../src/drills/critical-alerts.js';
import { type DrillDefinition, loadDrills } from '../../../src/drills/definitions.js';
import { DrillEngine } from '../../../src/drills/engine.js';
import type { DrillData } from '../../../src/drills/run-data.js';
import type { DrillEngineOptions } from '../../../src/drills/runtime.js';
import type { ClusterDirectory } from '../../../src/kube/cluster-ops.js';
import type { Store } from '../../../src/store/store.js';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { deleteNamespaceAndWait, kubectl, kubectlJson, kubectlRun } from '../../stack/kubectl.js';
import { auditEvents, botDirectory } from '../rbac/identities.js';
import { quietLog, RecordingChat, tempStore, waitFor } from './helpers.js';

const NS = 'coxswain-drill-test';
const TOLERATE = [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }];

let env: StackEnv;
let clusters: ClusterDirectory;
const engines: DrillEngine[] = [];

function deployment(name: string, replicas: number, nodeSelector?: Record<string, string>): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'c', image: 'registry.invalid/pause:1' }],
          tolerations: TOLERATE,
          ...(nodeSelector ? { nodeSelector } : {}),
        },
      },
    },
  });
}

function pdb(name: string, minAvailable: number): string {
  return JSON.stringify({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: NS },
    spec: { minAvailable, selector: { matchLabels: { app: name } } },
  });
}

function nodeUnschedulable(node: string): boolean {
  return (
    kubectlJson<{ spec?: { unschedulable?: boolean } }>(env, 'apps', ['get', 'node', node]).spec
      ?.unschedulable === true
  );
}

function rolledOut(name: string): boolean {
  const r = kubectlRun(env, 'apps', ['rollout', 'status', `deployment/${name}`, '-n', NS, '--timeout=60s']);
  return r.status === 0;
}

async function newEngine(
  store: Store,
  chat: RecordingChat,
  extra: Partial<DrillEngineOptions> = {},
): Promise<DrillEngine> {
  const engine = new DrillEngine({
    store,
    clusters,
    chat,
    drills: loadDrills(),
    log: quietLog,
    tickMs: 200,
    ...extra,
  });
  engines.push(engine);
  return engine;
}

function open(chat: RecordingChat) {
  return (message: Parameters<RecordingChat['post']>[1]) => chat.post({ channelId: 'ops' }, message);
}

beforeAll(() => {
  env = loadStackEnv();
  clusters = botDirectory(env, ['apps']);
  kubectlRun(env, 'apps', ['create', 'namespace', NS]);
});

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
  for (const node of ['apps-01', 'apps-02', 'apps-03']) {
    kubectlRun(env, 'apps', ['uncordon', node]);
    kubectlRun(env, 'apps', ['label', 'node', node, 'coxswain.dev/drill-test-']);
  }
});

afterAll(async () => {
  if (env) await deleteNamespaceAndWait(env, 'apps', NS);
});

describe('pod-kill', () => {
  it('deletes a Ready pod as the operator and measures until a real replacement is Ready', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = await newEngine(store, chat);
    const before = kubectlJson<{ items: { metadata: { uid: string } }[] }>(env, 'apps', [
      'get',
      'pods',
      '-n',
      'harbor',
      '-l',
      'app.kubernetes.io/name=harbor-core',
    ]).items.map((p) => p.metadata.uid);

    const started = await engine.start({
      drill: 'pod-kill',
      actor: 'alice',
      isAdmin: true,
      open: open(chat),
    });
    expect(started.ok ? 'started' : started.reason).toBe('started');
    const run = started.ok ? started.run : undefined;
    if (!run) throw new Error('no run');
    const done = await engine.settled(run.id);
    const data = done?.data as DrillData;

    expect(done?.state).toBe('passed');
    expect(data.params).toEqual({ cluster: 'apps', namespace: 'harbor', workload: 'harbor-core' });
    expect(data.recovery?.ms).toBeGreaterThan(0);
    expect(data.recovery?.ms).toBeLessThanOrEqual(60_000);
    expect(done?.finishedAt).toBeDefined();
    // The cluster agrees: the picked pod is gone and a pod that did not exist before is Ready.
    const target = (data.kindState.target as { uid: string }).uid;
    const after = kubectlJson<{
      items: {
        metadata: { uid: string; deletionTimestamp?: string };
        status: { conditions?: { type: string; status: string }[] };
      }[];
    }>(env, 'apps', ['get', 'pods', '-n', 'harbor', '-l', 'app.kubernetes.io/name=harbor-core']).items;
    expect(before).toContain(target);
    expect(after.map((p) => p.metadata.uid)).not.toContain(target);
    expect(
      after.some(
        (p) =>
          !before.includes(p.metadata.uid) &&
          p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ),
    ).toBe(true);
    // Each step was a thread reply under the run's post, then the report.
    const root = data.post?.postId as string;
    const thread = chat.thread(root);
    expect(thread.some((t) => t.includes('Picked pod'))).toBe(true);
    expect(thread.some((t) => t.includes('Deleted pod'))).toBe(true);
    expect(thread.at(-1)).toMatch(/^PASSED: recovered in \S+ \(objective 1m\)/);
    expect(chat.updates.at(-1)?.message.text).toMatch(/^PASSED/);
    // The report is stored with the run.
    expect((await store.getRun(run.id))?.data.report).toMatch(/^PASSED/);
    await store.close();
  });
});

describe('node-drain', () => {
  it('cordons, evicts through the Eviction API honouring a PDB, waits for pods Ready elsewhere, uncordons', async () => {
    // Two replicas of a PDB-protected Deployment (minAvailable 1), both on apps-02, the only node
    // labelled for them. The drill evicts one (201); the other is refused (HTTP 429) while the
    // first one's replacement cannot be placed. Then another node gets the label: the replacement
    // becomes Ready there, the PDB allows the second eviction, and the drill completes.
    kubectlRun(env, 'apps', [
      'delete',
      'deployment,pdb',
      'pdb-pair',
      '-n',
      NS,
      '--ignore-not-found',
      '--wait',
    ]);
    kubectl(env, 'apps', ['label', 'node', 'apps-02', 'coxswain.dev/drill-test=yes', '--overwrite']);
    kubectl(
      env,
      'apps',
      ['apply', '-f', '-'],
      deployment('pdb-pair', 2, { 'coxswain.dev/drill-test': 'yes' }),
    );
    kubectl(env, 'apps', ['apply', '-f', '-'], pdb('pdb-pair', 1));
    expect(rolledOut('pdb-pair')).toBe(true);
    await waitFor('the PDB to allow one disruption', () => {
      const p = kubectlJson<{ status?: { disruptionsAllowed?: number } }>(env, 'apps', [
        'get',
        'pdb',
        'pdb-pair',
        '-n',
        NS,
      ]);
      return p.status?.disruptionsAllowed === 1 ? true : undefined;
    });

    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = await newEngine(store, chat);
    const started = await engine.start({
      drill: 'node-drain',
      node: 'apps-02',
      actor: 'alice',
      isAdmin: true,
      open: open(chat),
    });
    if (!started.ok || !started.run) throw new Error(started.ok ? 'dry run' : started.reason);
    const root = (started.run.data as DrillData).post?.postId as string;
    await waitFor('the PDB to refuse the second eviction', () =>
      chat
        .thread(root)
        .some((t) =>
          /Eviction of `coxswain-drill-test\/pdb-pair-\S+` refused by its PodDisruptionBudget/.test(t),
        )
        ? true
        : undefined,
    );
    expect((await store.getRun(started.run.id))?.state).toBe('running');
    kubectl(env, 'apps', ['label', 'node', 'apps-01', 'coxswain.dev/drill-test=yes', '--overwrite']);
    const done = await engine.settled(started.run.id);
    const data = done?.data as DrillData;
    const thread = chat.thread(data.post?.postId as string);

    expect(done?.state).toBe('passed');
    expect(data.recovery?.ms).toBeLessThanOrEqual(5 * 60_000);
    expect(thread.some((t) => t.startsWith('Cordoned node `apps-02`'))).toBe(true);
    expect(
      thread.some((t) =>
        /Eviction of `coxswain-drill-test\/pdb-pair-\S+` refused by its PodDisruptionBudget/.test(t),
      ),
    ).toBe(true);
    expect(thread.some((t) => t.startsWith('Uncordoned node `apps-02`'))).toBe(true);
    expect((data.kindState.evicted as string[]).filter((p) => p.startsWith(`${NS}/pdb-pair-`))).toHaveLength(
      2,
    );
    expect(nodeUnschedulable('apps-02')).toBe(false);
    // Both pdb-pair pods are Ready, on other nodes.
    const pods = kubectlJson<{
      items: { spec: { nodeName?: string }; status: { conditions?: { type: string; status: string }[] } }[];
    }>(env, 'apps', ['get', 'pods', '-n', NS, '-l', 'app=pdb-pair']).items.filter((p) =>
      p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    expect(pods.length).toBeGreaterThanOrEqual(2);
    expect(pods.every((p) => p.spec.nodeName !== 'apps-02')).toBe(true);
    // The evictions went through the Eviction API as the operator, for alice; one was refused (429).
    const evictions = auditEvents(
      env.AUDIT_LOG_APPS,
      (e) =>
        e.objectRef?.subresource === 'eviction' &&
        e.objectRef.namespace === NS &&
        (e.objectRef.name ?? '').startsWith('pdb-pair-') &&
        Date.parse(e.requestReceivedTimestamp ?? '') >= (done?.startedAt ?? 0) - 1000,
    );
    expect(evictions.length).toBeGreaterThanOrEqual(3);
    for (const e of evictions) {
      expect(e.user?.username).toBe('system:serviceaccount:coxswain:coxswain');
      expect(e.impersonatedUser?.username).toBe('system:serviceaccount:coxswain:coxswain-operator');
      expect(e.impersonatedUser?.extra?.['coxswain.dev/chat-user']).toEqual(['alice']);
    }
    expect(evictions.some((e) => e.responseStatus?.code === 429)).toBe(true);
    expect(evictions.filter((e) => e.responseStatus?.code === 201)).toHaveLength(2);
    await store.close();
  });
});

describe('interrupted drills roll back', () => {
  /** A pod on apps-03 whose PDB never allows an eviction: a drain of apps-03 stays mid-way. */
  async function stuckOnApps03(): Promise<void> {
    kubectlRun(env, 'apps', ['delete', 'deployment,pdb', 'stuck', '-n', NS, '--ignore-not-found', '--wait']);
    kubectl(
      env,
      'apps',
      ['apply', '-f', '-'],
      deployment('stuck', 1, { 'kubernetes.io/hostname': 'apps-03' }),
    );
    kubectl(env, 'apps', ['apply', '-f', '-'], pdb('stuck', 1));
    expect(rolledOut('stuck')).toBe(true);
  }

  async function startStuckDrain(engine: DrillEngine, chat: RecordingChat) {
    const started = await engine.start({
      drill: 'node-drain',
      node: 'apps-03',
      actor: 'alice',
      isAdmin: true,
      open: open(chat),
    });
    if (!started.ok || !started.run) throw new Error(started.ok ? 'dry run' : started.reason);
    const id = started.run.id;
    const root = (started.run.data as DrillData).post?.postId as string;
    await waitFor('the drain to be blocked by the PDB', () =>
      chat.thread(root).some((t) => t.includes('stuck') && t.includes('refused by its PodDisruptionBudget'))
        ? true
        : undefined,
    );
    expect(nodeUnschedulable('apps-03')).toBe(true);
    return { id, root };
  }

  it('abort mid-drill rolls back (uncordons) and refuses a second drill on the cluster meanwhile', async () => {
    await stuckOnApps03();
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = await newEngine(store, chat);
    const { id, root } = await startStuckDrain(engine, chat);

    const second = await engine.start({ drill: 'pod-kill', actor: 'bob', isAdmin: true, open: open(chat) });
    expect(second.ok).toBe(false);
    expect(second.ok ? '' : second.reason).toMatch(/still running on apps; one drill per cluster/);

    const aborted = await engine.abort('apps', 'bob');
    expect(typeof aborted).not.toBe('string');
    const done = await engine.settled(id);
    expect(done?.state).toBe('aborted');
    expect(nodeUnschedulable('apps-03')).toBe(false);
    expect(chat.thread(root).some((t) => t === 'Rolling back: aborted by bob.')).toBe(true);
    expect(chat.thread(root).some((t) => t.startsWith('Uncordoned node `apps-03`'))).toBe(true);
    await store.close();
  });

  it('a restart mid-drill: the new engine on the same store rolls the drill back', async () => {
    await stuckOnApps03();
    const { store, path } = await tempStore();
    const chat = new RecordingChat();
    const first = await newEngine(store, chat);
    const { id } = await startStuckDrain(first, chat);
    await first.stop();
    await store.close();
    // The bot is gone with the node still cordoned.
    expect(nodeUnschedulable('apps-03')).toBe(true);

    const { openStore } = await import('../../../src/store/open-store.js');
    const reopened = await openStore({ driver: 'sqlite', sqlite: { path } });
    const second = await newEngine(reopened, chat, { staleAfterMs: 2000 });
    // A run advanced moments ago may be driven by another replica: it is left alone...
    expect(await second.resume()).toBe(0);
    // ...until nobody has advanced it for staleAfterMs: then it is orphaned and rolled back.
    await new Promise((r) => setTimeout(r, 2100));
    expect(await second.resume()).toBe(1);
    const done = await second.settled(id);
    expect(done?.state).toBe('rolled-back');
    expect((done?.data as DrillData | undefined)?.rollbackReason).toBe(
      'coxswain restarted while the drill was running',
    );
    expect(nodeUnschedulable('apps-03')).toBe(false);
    await reopened.close();
  });

  it('the time limit rolls the drill back and fails it', async () => {
    await stuckOnApps03();
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const drills: DrillDefinition[] = loadDrills().map((d) =>
      d.name === 'node-drain' ? { ...d, timeLimit: 3000 } : d,
    );
    const engine = await newEngine(store, chat, { drills });
    const { id } = await startStuckDrain(engine, chat);
    const done = await engine.settled(id);
    expect(done?.state).toBe('failed');
    expect((done?.data as DrillData | undefined)?.rollbackReason).toMatch(/^the time limit of 3s passed/);
    expect(nodeUnschedulable('apps-03')).toBe(false);
    await store.close();
  });

  afterEach(() => {
    kubectlRun(env, 'apps', ['delete', 'deployment,pdb', 'stuck', '-n', NS, '--wait=false']);
  });
});

describe('guard rails', () => {
  it('refuses while a critical alert fires for the cluster; an admin may override with a reason', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const alertmanager = new AlertmanagerClient({
      name: 'stack',
      url: env.ALERTMANAGER_URL,
      timeoutMs: 5000,
      retries: 1,
    });
    const engine = await newEngine(store, chat, { alerts: alertmanagerCriticalAlerts(() => [alertmanager]) });
    await fetch(`${env.EXPORTER_URL}/flag/1`, { method: 'POST' });
    try {
      await waitFor(
        'CoxswainTestFlag to fire in Alertmanager',
        async () =>
          (await alertmanager.listAlerts(['alertname="CoxswainTestFlag"'])).length > 0 ? true : undefined,
        60_000,
      );
      const refused = await engine.start({
        drill: 'pod-kill',
        actor: 'alice',
        isAdmin: true,
        open: open(chat),
      });
      expect(refused.ok).toBe(false);
      expect(refused.ok ? '' : refused.reason).toBe(
        'Refused: critical alert CoxswainTestFlag is firing for apps. An admin may run it anyway with --override "<reason>".',
      );
      const notAdmin = await engine.start({
        drill: 'pod-kill',
        actor: 'carol',
        isAdmin: false,
        override: 'need it',
        open: open(chat),
      });
      expect(notAdmin.ok ? '' : notAdmin.reason).toMatch(/Only an admin may override/);
      const overridden = await engine.start({
        drill: 'pod-kill',
        actor: 'alice',
        isAdmin: true,
        override: 'the flag is a test alert',
        dryRun: true,
        open: open(chat),
      });
      expect(overridden).toMatchObject({ ok: true });
      expect(chat.posts).toHaveLength(0);
      expect(await store.listRuns({ kind: 'drill' })).toHaveLength(0);
    } finally {
      await fetch(`${env.EXPORTER_URL}/flag/0`, { method: 'POST' });
      await store.close();
    }
  });

  it('refuses while an incident is open for the cluster', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = await newEngine(store, chat);
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
    const refused = await engine.start({
      drill: 'pod-kill',
      actor: 'alice',
      isAdmin: true,
      open: open(chat),
    });
    expect(refused.ok ? '' : refused.reason).toMatch(
      new RegExp(`^Refused: incident #${incident.id} "harbor is slow" is open on apps`),
    );
    await store.updateIncident(incident.id, { state: 'resolved', resolvedAt: Date.now() });
    const plan = await engine.start({
      drill: 'pod-kill',
      actor: 'alice',
      isAdmin: true,
      dryRun: true,
      open: open(chat),
    });
    expect(plan).toMatchObject({ ok: true });
    await store.close();
  });
});
