/**
 * clustermesh-resilience on the test stack: Cilium's clustermesh-apiserver Deployment and its
 * Service run in kube-system on both clusters (seeded, one replica, kwok makes its pod Ready);
 * the drill takes infra's down.
 *
 * What is real: the drill scales the Deployment through the scale subresource as coxswain-operator
 * (the audit log shows it, for the chat user); kube-controller-manager removes the pod and empties
 * the Service's Endpoints, then brings both back after the scale-up; the drill reads all of it
 * through the API server with the bot's read-only account, and reads the apps agents' view of
 * infra from the stack's real Prometheus (HTTP API v1), which scrapes the test exporter.
 *
 * What is simulated: no Cilium agent can run under kwok. The test stands in for the apps
 * cluster's three agents: a watcher sets their `cilium_clustermesh_remote_cluster_readiness_status
 * {target_cluster="infra"}` gauges on the exporter to 1 while infra's clustermesh-apiserver Service
 * has ready endpoints and to 0 while it has none, as an agent's etcd connection to it would. Each
 * test labels its series with a fresh `run` (the exporter cannot forget a series) and gives apps a
 * metrics endpoint whose `matchers` pick only those.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clusterMetrics } from '../../../adapters/prometheus/client.js';
import type { DrillEngine } from '../../../src/drills/engine.js';
import type { DrillData } from '../../../src/drills/run-data.js';
import type { ClusterDirectory } from '../../../src/kube/cluster-ops.js';
import type { ClusterMetrics } from '../../../src/prometheus/query.js';
import { deploymentReplicas, type Replicas, readyEndpoints } from '../../stack/deployment-state.js';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { kubectlRun } from '../../stack/kubectl.js';
import { botDirectory } from '../rbac/identities.js';
import { scraped, setAgents } from './clustermesh-agents.js';
import { RecordingChat, scaleWrites, startDrill, tempStore, testEngine, waitFor } from './helpers.js';

const NS = 'kube-system';
const APISERVER = 'clustermesh-apiserver';

let env: StackEnv;
let plain: ClusterDirectory;
const engines: DrillEngine[] = [];
const agents: { stop(): void }[] = [];

/** The bot's clusters, with a metrics endpoint for apps that sees only this run's series. */
function withAppsMetrics(run: string): ClusterDirectory {
  const metrics = clusterMetrics({
    url: env.PROMETHEUS_URL,
    timeout: '5s',
    matchers: `run="${run}"`,
  }) as ClusterMetrics;
  return {
    names: () => plain.names(),
    get: (name) => {
      const ops = plain.get(name);
      return ops && name === 'apps' ? { ...ops, metrics } : ops;
    },
  };
}

function apiserverEndpoints(): number {
  return readyEndpoints(env, 'infra', NS, APISERVER);
}

/**
 * The apps agents, simulated (see the file comment): their gauges follow whether infra's
 * clustermesh-apiserver Service has ready endpoints. Records when they switched.
 */
function playAppsAgents(run: string): {
  stop(): void;
  downAt(): number | undefined;
  upAt(): number | undefined;
} {
  let down: number | undefined;
  let up: number | undefined;
  let reported: 0 | 1 = 1;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const now: 0 | 1 = apiserverEndpoints() > 0 ? 1 : 0;
      if (now !== reported) {
        await setAgents(env, run, now);
        reported = now;
        if (now === 0) down = Date.now();
        else if (down !== undefined) up = Date.now();
      }
    } catch {
      // A failed read is retried on the next tick, as an agent reconnects.
    } finally {
      busy = false;
    }
  }, 200);
  const handle = { stop: () => clearInterval(timer), downAt: () => down, upAt: () => up };
  agents.push(handle);
  return handle;
}

function apiserver(): Replicas {
  return deploymentReplicas(env, 'infra', NS, APISERVER);
}

function newEngine(
  store: Awaited<ReturnType<typeof tempStore>>['store'],
  chat: RecordingChat,
  clusters: ClusterDirectory,
  opts: { timeLimit?: number; staleAfterMs?: number } = {},
): DrillEngine {
  const engine = testEngine(store, chat, clusters, { drill: 'clustermesh-resilience', ...opts });
  engines.push(engine);
  return engine;
}

const start = (engine: DrillEngine, chat: RecordingChat) =>
  startDrill(engine, chat, { drill: 'clustermesh-resilience' });

/** A local port nobody listens on (taken free, then closed). */
let closedUrl: string;

beforeAll(async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  closedUrl = `http://127.0.0.1:${port}`;
  env = loadStackEnv();
  plain = botDirectory(env, ['infra', 'apps']);
  expect(apiserver()).toEqual({ replicas: 1, readyReplicas: 1 });
  expect(apiserverEndpoints()).toBe(1);
});

afterEach(async () => {
  for (const a of agents.splice(0)) a.stop();
  for (const engine of engines.splice(0)) await engine.stop();
  // As the seed had it: one Ready replica behind one ready endpoint.
  kubectlRun(env, 'infra', ['scale', 'deployment', APISERVER, '-n', NS, '--replicas=1']);
  kubectlRun(env, 'infra', ['rollout', 'status', `deployment/${APISERVER}`, '-n', NS, '--timeout=60s']);
  await waitFor('the Service endpoints back', () => (apiserverEndpoints() === 1 ? true : undefined));
});

afterAll(() => {
  if (env) expect(apiserver().replicas).toBe(1);
});

describe('clustermesh-resilience', () => {
  it('scales the apiserver to zero as the operator, sees apps lose infra, restores and measures until apps has it back', async () => {
    const run = randomUUID();
    await setAgents(env, run, 1);
    await scraped(env, run, 1);
    const apps = playAppsAgents(run);
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = newEngine(store, chat, withAppsMetrics(run));
    try {
      const { run: started } = await start(engine, chat);
      const done = await engine.settled(started.id);
      const data = done?.data as DrillData;
      const thread = chat.thread(data.post?.postId as string);

      expect(done?.state, thread.join('\n')).toBe('passed');
      expect(data.params).toEqual({ cluster: 'infra', namespace: NS, workload: APISERVER });
      expect(data.kindState.replicas).toBe(1);
      expect(data.kindState.watchers).toEqual(['apps']);
      expect(data.recovery?.ms).toBeGreaterThan(0);
      expect(data.recovery?.ms).toBeLessThanOrEqual(120_000);
      // The stand-in agents reacted to the real, empty Endpoints before the drill restored it,
      // and recovery was seen only after they reported infra ready again (through Prometheus).
      expect(apps.downAt()).toBeDefined();
      expect(apps.upAt()).toBeDefined();
      expect(data.recovery?.recoveredAt).toBeGreaterThanOrEqual(apps.upAt() ?? Number.POSITIVE_INFINITY);
      expect(thread[0]).toBe(
        'clustermesh-apiserver `kube-system/clustermesh-apiserver` runs 1 replicas (1 Ready) behind 1 ready endpoints; the agents of apps are read from their metrics endpoints.',
      );
      expect(thread).toContain(
        'Scaled clustermesh-apiserver `kube-system/clustermesh-apiserver` to 0 replicas as coxswain-operator; watching the loss.',
      );
      expect(thread.some((t) => t.startsWith('The clustermesh-apiserver has no Ready replicas'))).toBe(true);
      expect(
        thread.some((t) =>
          /^The agents of the other cluster report infra not ready after \S+: apps \(0\/3 agents ready\)\.$/.test(
            t,
          ),
        ),
      ).toBe(true);
      expect(thread).toContain(
        'Scaled clustermesh-apiserver `kube-system/clustermesh-apiserver` back to 1 replicas as coxswain-operator.',
      );
      expect(thread.at(-1)).toMatch(/^PASSED: recovered in \S+ \(objective 2m\)/);
      const observed = done ? engine.report(done).fields?.find((f) => f.title === 'Observed')?.value : '';
      expect(observed).toContain(
        '\n- The clustermesh-apiserver has 1/1 replicas Ready and 1 ready endpoints; apps (3/3 agents ready) report infra ready again.',
      );
      expect(apiserver()).toEqual({ replicas: 1, readyReplicas: 1 });

      // Both scale writes went through the scale subresource as the operator, for alice.
      const scales = scaleWrites(env.AUDIT_LOG_INFRA, APISERVER, (done?.startedAt ?? 0) - 1000);
      expect(scales).toHaveLength(2);
      for (const e of scales) {
        expect(e.user?.username).toBe('system:serviceaccount:coxswain:coxswain');
        expect(e.impersonatedUser?.username).toBe('system:serviceaccount:coxswain:coxswain-operator');
        expect(e.impersonatedUser?.extra?.['coxswain.dev/chat-user']).toEqual(['alice']);
        expect(e.responseStatus?.code).toBe(200);
      }
    } finally {
      await store.close();
    }
  });

  it('without metrics it measures the endpoints alone and says the remote status is not known', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = newEngine(store, chat, plain);
    const { run } = await start(engine, chat);
    const done = await engine.settled(run.id);
    const data = done?.data as DrillData;
    const thread = chat.thread(data.post?.postId as string);
    expect(done?.state, thread.join('\n')).toBe('passed');
    expect(data.kindState.watchers).toEqual([]);
    expect(
      thread.some((t) =>
        /^The clustermesh-apiserver's Service lost its endpoints after \S+\. No other cluster has a metrics endpoint: whether their agents noticed is not known\.$/.test(
          t,
        ),
      ),
    ).toBe(true);
    expect(thread).toContain('The clustermesh-apiserver has 1/1 replicas Ready and 1 ready endpoints.');
    await store.close();
  });

  it('refuses to start while the agents report infra not ready already, do not know it, or cannot be read', async () => {
    const run = randomUUID();
    await setAgents(env, run, 0);
    await scraped(env, run, 0);
    const { store } = await tempStore();
    const engine = newEngine(store, new RecordingChat(), withAppsMetrics(run));
    const refused = await engine.start({
      drill: 'clustermesh-resilience',
      actor: 'alice',
      isAdmin: true,
      open: async () => undefined,
    });
    expect(refused.ok ? '' : refused.reason).toBe(
      "Other clusters' agents already report infra not ready: apps (0/3 agents ready).",
    );
    const unknown = await newEngine(store, new RecordingChat(), withAppsMetrics(randomUUID())).start({
      drill: 'clustermesh-resilience',
      actor: 'alice',
      isAdmin: true,
      open: async () => undefined,
    });
    expect(unknown.ok ? '' : unknown.reason).toBe(
      'The agents of apps report no cilium_clustermesh_remote_cluster_readiness_status{target_cluster="infra"} series: the mesh is not connected, or Cilium\'s cluster-name is not infra.',
    );
    const broken = clusterMetrics({ url: closedUrl, timeout: '2s' }) as ClusterMetrics;
    const noAnswer = await newEngine(store, new RecordingChat(), {
      names: () => plain.names(),
      get: (name) => {
        const ops = plain.get(name);
        return ops && name === 'apps' ? { ...ops, metrics: broken } : ops;
      },
    }).start({ drill: 'clustermesh-resilience', actor: 'alice', isAdmin: true, open: async () => undefined });
    expect(noAnswer.ok ? '' : noAnswer.reason).toBe(
      `The metrics of apps (The metrics endpoint ${closedUrl} is unreachable: ECONNREFUSED.) cannot be read: the drill could not see the agents.`,
    );
    expect(apiserver().replicas).toBe(1);
    await store.close();
  });

  it('the time limit while the apiserver is down scales it back (rollback) and fails the drill', async () => {
    // The agents keep reporting infra ready (no stand-in follows the endpoints): the drill waits
    // for them to notice until the time limit.
    const run = randomUUID();
    await setAgents(env, run, 1);
    await scraped(env, run, 1);
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = newEngine(store, chat, withAppsMetrics(run), { timeLimit: 5000 });
    const { run: started, root } = await start(engine, chat);
    const done = await engine.settled(started.id);
    const data = done?.data as DrillData;
    const thread = chat.thread(root);
    expect(done?.state, thread.join('\n')).toBe('failed');
    expect(data.rollbackReason).toBe('the time limit of 5s passed before recovery');
    expect(thread.some((t) => t.startsWith('The clustermesh-apiserver has no Ready replicas'))).toBe(true);
    expect(thread).toContain(
      'Scaled clustermesh-apiserver `kube-system/clustermesh-apiserver` back to 1 replicas as coxswain-operator.',
    );
    expect(apiserver().replicas).toBe(1);
    await waitFor('the apiserver Ready again', () => (apiserver().readyReplicas === 1 ? true : undefined));
    await store.close();
  });

  it('a restart while the apiserver is down: a new engine on the same store scales it back', async () => {
    const run = randomUUID();
    await setAgents(env, run, 1);
    await scraped(env, run, 1);
    const { store, path } = await tempStore();
    const chat = new RecordingChat();
    const first = newEngine(store, chat, withAppsMetrics(run));
    const { run: started, root } = await start(first, chat);
    await waitFor('the apiserver to be down', () =>
      chat.thread(root).some((t) => t.startsWith('The clustermesh-apiserver has no Ready replicas'))
        ? true
        : undefined,
    );
    await first.stop();
    await store.close();
    // The bot is gone with the apiserver at zero.
    expect(apiserver().replicas).toBe(0);

    const { openStore } = await import('../../../src/store/open-store.js');
    const reopened = await openStore({ driver: 'sqlite', sqlite: { path } });
    const second = newEngine(reopened, chat, withAppsMetrics(run), { staleAfterMs: 1000 });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await second.resume()).toBe(1);
    const done = await second.settled(started.id);
    expect(done?.state).toBe('rolled-back');
    expect(chat.thread(root)).toContain('coxswain restarted mid-drill; rolling back.');
    expect(apiserver().replicas).toBe(1);
    await waitFor('the apiserver Ready again', () => (apiserver().readyReplicas === 1 ? true : undefined));
    await reopened.close();
  });
});
