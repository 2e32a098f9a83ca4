/**
 * mesh-gateway on the test stack: the Linkerd multicluster gateway Deployment
 * `linkerd-multicluster/linkerd-gateway` runs on infra (seeded, one replica, kwok makes its pod
 * Ready); apps links to infra (Link `linkerd-multicluster/infra`) and mirrors infra's
 * `databases/postgres-rw` as `databases/postgres-rw-infra`, whose Endpoints point at the gateway.
 *
 * What is real: the drill scales the gateway through the scale subresource as coxswain-operator
 * (the audit log shows it, for the chat user), kube-controller-manager removes the gateway pod
 * and empties the gateway Service's Endpoints, then brings both back after the scale-up, and the
 * drill reads all of it through the API servers with the bot's read-only account.
 *
 * What is simulated: no Linkerd runs, so nobody probes the gateway. The test plays the apps
 * cluster's service mirror the way linkerd's updateReadiness does: while the gateway has no ready
 * endpoints, the mirror Endpoints' addresses move to notReadyAddresses; when it has some again,
 * they move back. The Link's own status is seed data and does not change.
 */
import { CoreV1Api, KubeConfig, type V1EndpointSubset } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DrillEngine } from '../../../src/drills/engine.js';
import type { DrillData } from '../../../src/drills/run-data.js';
import type { ClusterDirectory } from '../../../src/kube/cluster-ops.js';
import { deploymentReplicas, type Replicas } from '../../stack/deployment-state.js';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { kubectlRun } from '../../stack/kubectl.js';
import { botDirectory } from '../rbac/identities.js';
import { RecordingChat, scaleWrites, tempStore, testEngine, waitFor } from './helpers.js';

const GW_NS = 'linkerd-multicluster';
const GW = 'linkerd-gateway';
const MIRROR = { namespace: 'databases', name: 'postgres-rw-infra' };

let env: StackEnv;
let clusters: ClusterDirectory;
let infraCore: CoreV1Api;
let appsCore: CoreV1Api;
/** The seeded mirror Endpoints' subsets, put back after each test. */
let seededSubsets: V1EndpointSubset[] = [];
const engines: DrillEngine[] = [];

function client(file: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc.makeApiClient(CoreV1Api);
}

async function ready(core: CoreV1Api, namespace: string, name: string): Promise<number> {
  const e = await core.readNamespacedEndpoints({ namespace, name });
  return (e.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
}

async function setMirrorSubsets(subsets: V1EndpointSubset[]): Promise<void> {
  const current = await appsCore.readNamespacedEndpoints(MIRROR);
  current.subsets = subsets;
  await appsCore.replaceNamespacedEndpoints({ ...MIRROR, body: current });
}

/** The apps cluster's service mirror, simulated (see the file comment). */
function playServiceMirror(): { stop(): void; downAt(): number | undefined; upAt(): number | undefined } {
  let down: number | undefined;
  let up: number | undefined;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const gateway = await ready(infraCore, GW_NS, GW);
      const mirror = await appsCore.readNamespacedEndpoints(MIRROR);
      const subsets = mirror.subsets ?? [];
      const readyHere = subsets.some((s) => (s.addresses?.length ?? 0) > 0);
      if (gateway === 0 && readyHere) {
        down = Date.now();
        await setMirrorSubsets(
          subsets.map((s) => ({
            ports: s.ports,
            notReadyAddresses: [...(s.notReadyAddresses ?? []), ...(s.addresses ?? [])],
          })),
        );
      } else if (gateway > 0 && !readyHere && down !== undefined) {
        up = Date.now();
        await setMirrorSubsets(
          subsets.map((s) => ({ ports: s.ports, addresses: [...(s.notReadyAddresses ?? [])] })),
        );
      }
    } catch {
      // A conflicting write is retried on the next tick, as a controller would.
    } finally {
      busy = false;
    }
  }, 150);
  return { stop: () => clearInterval(timer), downAt: () => down, upAt: () => up };
}

function gateway(): Replicas {
  return deploymentReplicas(env, 'infra', GW_NS, GW);
}

function newEngine(
  store: Awaited<ReturnType<typeof tempStore>>['store'],
  chat: RecordingChat,
  staleAfterMs?: number,
): DrillEngine {
  const engine = testEngine(store, chat, clusters, staleAfterMs === undefined ? {} : { staleAfterMs });
  engines.push(engine);
  return engine;
}

beforeAll(async () => {
  env = loadStackEnv();
  clusters = botDirectory(env, ['infra', 'apps']);
  infraCore = client(env.KUBECONFIG_INFRA);
  appsCore = client(env.KUBECONFIG_APPS);
  seededSubsets = (await appsCore.readNamespacedEndpoints(MIRROR)).subsets ?? [];
  expect(seededSubsets.some((s) => (s.addresses?.length ?? 0) > 0)).toBe(true);
  expect(gateway()).toEqual({ replicas: 1, readyReplicas: 1 });
});

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
  // As the seed had it: one gateway replica, Ready, and the mirror's addresses ready.
  kubectlRun(env, 'infra', ['scale', 'deployment', GW, '-n', GW_NS, '--replicas=1']);
  kubectlRun(env, 'infra', ['rollout', 'status', `deployment/${GW}`, '-n', GW_NS, '--timeout=60s']);
  await setMirrorSubsets(seededSubsets);
});

afterAll(() => {
  if (env) expect(gateway().replicas).toBe(1);
});

describe('mesh-gateway', () => {
  it('scales the gateway to zero as the operator, sees the mirror go down, restores and measures', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = newEngine(store, chat);
    const mirror = playServiceMirror();
    try {
      const started = await engine.start({
        drill: 'mesh-gateway',
        actor: 'alice',
        isAdmin: true,
        open: (m) => chat.post({ channelId: 'ops' }, m),
      });
      if (!started.ok || !started.run) throw new Error(started.ok ? 'dry run' : started.reason);
      const done = await engine.settled(started.run.id);
      const data = done?.data as DrillData;
      const thread = chat.thread(data.post?.postId as string);

      expect(done?.state, thread.join('\n')).toBe('passed');
      expect(data.params).toEqual({ cluster: 'infra', namespace: GW_NS, workload: GW });
      expect(data.kindState.replicas).toBe(1);
      expect(data.kindState.mirrors).toEqual([{ cluster: 'apps', ...MIRROR }]);
      expect(data.recovery?.ms).toBeGreaterThan(0);
      expect(data.recovery?.ms).toBeLessThanOrEqual(60_000);
      // The path went down (the simulated mirror reacted to the real, empty gateway endpoints)
      // before the drill restored it, and recovery was seen only after the mirror was ready again.
      expect(mirror.downAt()).toBeDefined();
      expect(mirror.upAt()).toBeDefined();
      expect(data.recovery?.recoveredAt).toBeGreaterThanOrEqual(mirror.upAt() ?? Number.POSITIVE_INFINITY);
      expect(
        thread.some((t) => t.startsWith('Scaled gateway `linkerd-multicluster/linkerd-gateway` to 0')),
      ).toBe(true);
      expect(thread.some((t) => t.startsWith('The gateway has no Ready replicas'))).toBe(true);
      expect(
        thread.some((t) =>
          t.startsWith('All 1 mirrored services report the path down (no ready addresses) after'),
        ),
      ).toBe(true);
      expect(
        thread.some((t) => t.startsWith('Scaled gateway `linkerd-multicluster/linkerd-gateway` back to 1')),
      ).toBe(true);
      expect(thread.at(-1)).toMatch(/^PASSED: recovered in \S+ \(objective 1m\)/);
      // The report carries what the drill observed on the peers.
      const observed = done ? engine.report(done).fields?.find((f) => f.title === 'Observed')?.value : '';
      expect(observed).toMatch(
        /^- All 1 mirrored services report the path down \(no ready addresses\) after /,
      );
      expect(observed).toContain(
        '\n- The gateway has 1/1 replicas Ready and all 1 mirrored services have ready addresses again.',
      );
      // The cluster agrees: the gateway is back at one Ready replica.
      await waitFor('the gateway to be Ready', () => (gateway().readyReplicas === 1 ? true : undefined));
      expect(gateway().replicas).toBe(1);

      // Both scale writes went through the scale subresource as the operator, for alice.
      const scales = scaleWrites(env.AUDIT_LOG_INFRA, GW, (done?.startedAt ?? 0) - 1000);
      expect(scales).toHaveLength(2);
      for (const e of scales) {
        expect(e.user?.username).toBe('system:serviceaccount:coxswain:coxswain');
        expect(e.impersonatedUser?.username).toBe('system:serviceaccount:coxswain:coxswain-operator');
        expect(e.impersonatedUser?.extra?.['coxswain.dev/chat-user']).toEqual(['alice']);
        expect(e.responseStatus?.code).toBe(200);
      }
    } finally {
      mirror.stop();
      await store.close();
    }
  });

  it('abort while the gateway is down scales it back (rollback) and ends aborted', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = newEngine(store, chat);
    // No service mirror this time: the drill waits for the peers to notice, and is aborted meanwhile.
    const started = await engine.start({
      drill: 'mesh-gateway',
      actor: 'alice',
      isAdmin: true,
      open: (m) => chat.post({ channelId: 'ops' }, m),
    });
    if (!started.ok || !started.run) throw new Error(started.ok ? 'dry run' : started.reason);
    const root = (started.run.data as DrillData).post?.postId as string;
    await waitFor('the gateway to be down', () =>
      chat.thread(root).some((t) => t.startsWith('The gateway has no Ready replicas')) ? true : undefined,
    );
    expect(gateway().replicas).toBe(0);
    // A second drill on infra is refused while this one runs.
    const second = await engine.start({
      drill: 'cnpg-failover',
      actor: 'bob',
      isAdmin: true,
      open: async () => undefined,
    });
    expect(second.ok ? '' : second.reason).toMatch(/still running on infra; one drill per cluster/);

    expect(typeof (await engine.abort('infra', 'bob'))).not.toBe('string');
    const done = await engine.settled(started.run.id);
    const thread = chat.thread(root);
    expect(done?.state).toBe('aborted');
    expect(thread).toContain('Rolling back: aborted by bob.');
    expect(
      thread.some((t) => t.startsWith('Scaled gateway `linkerd-multicluster/linkerd-gateway` back to 1')),
    ).toBe(true);
    expect(gateway().replicas).toBe(1);
    await waitFor('the gateway to be Ready again', () => (gateway().readyReplicas === 1 ? true : undefined));
    await store.close();
  });

  it('a restart while the gateway is down: a new engine on the same store scales it back', async () => {
    const { store, path } = await tempStore();
    const chat = new RecordingChat();
    const first = newEngine(store, chat);
    const started = await first.start({
      drill: 'mesh-gateway',
      actor: 'alice',
      isAdmin: true,
      open: (m) => chat.post({ channelId: 'ops' }, m),
    });
    if (!started.ok || !started.run) throw new Error(started.ok ? 'dry run' : started.reason);
    const root = (started.run.data as DrillData).post?.postId as string;
    await waitFor('the gateway to be down', () =>
      chat.thread(root).some((t) => t.startsWith('The gateway has no Ready replicas')) ? true : undefined,
    );
    await first.stop();
    await store.close();
    // The bot is gone with the gateway at zero.
    expect(gateway().replicas).toBe(0);

    const { openStore } = await import('../../../src/store/open-store.js');
    const reopened = await openStore({ driver: 'sqlite', sqlite: { path } });
    const second = newEngine(reopened, chat, 1000);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await second.resume()).toBe(1);
    const done = await second.settled(started.run.id);
    expect(done?.state).toBe('rolled-back');
    expect(chat.thread(root)).toContain('coxswain restarted mid-drill; rolling back.');
    expect(gateway().replicas).toBe(1);
    await waitFor('the gateway to be Ready again', () => (gateway().readyReplicas === 1 ? true : undefined));
    await reopened.close();
  });
});
