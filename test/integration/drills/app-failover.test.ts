/**
 * app-failover on the test stack: Mattermost (seeded on apps: Deployment and Service
 * `mattermost/mattermost`, two replicas that kwok makes Ready) gets a standby on infra, exported
 * and mirrored to apps as `mattermost/mattermost-infra` the way Linkerd's service mirror writes
 * it (labels, remote-svc-fq-name, Endpoints at infra's gateway), and a TrafficSplit
 * `mattermost/mattermost` in the form linkerd-failover acts on (primary-service annotation,
 * controlled-by label). These objects are made here, not in the seed: a second mirror of infra
 * would change what the mesh-gateway drill and the mesh health checks see.
 *
 * What is real: the TrafficSplit CRD (linkerd-smi's, test/stack/crds/linkerd-smi), the scale
 * writes through the scale subresource as coxswain-operator (audit log), kube-controller-manager
 * removing the pods and emptying the primary Service's Endpoints and bringing them back, and the
 * drill reading all of it with the bot's read-only accounts on both clusters.
 *
 * What is simulated: no Linkerd runs, so no linkerd-failover controller moves the weights. The
 * test plays it, applying its documented rule (linkerd/linkerd-failover controller/src/
 * traffic_split.rs): while the primary Service's Endpoints have ready addresses only the primary
 * gets weight 1; otherwise every backend whose Endpoints have ready addresses gets 1, the others 0.
 */
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DrillEngine } from '../../../src/drills/engine.js';
import type { DrillData } from '../../../src/drills/run-data.js';
import type { ClusterDirectory } from '../../../src/kube/cluster-ops.js';
import { deploymentReplicas, type Replicas } from '../../stack/deployment-state.js';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { kubectl, kubectlJson, kubectlRun } from '../../stack/kubectl.js';
import { auditEvents, botDirectory } from '../rbac/identities.js';
import { APP, CONSUMER, MIRROR, NS, STANDBY } from './app-failover-fixtures.js';
import { RecordingChat, startDrill, tempStore, testEngine, waitFor } from './helpers.js';

const SPLIT = {
  group: 'split.smi-spec.io',
  version: 'v1alpha2',
  plural: 'trafficsplits',
  namespace: NS,
  name: APP,
};

interface Split {
  metadata: { annotations?: Record<string, string> } & Record<string, unknown>;
  spec: { service: string; backends: { service: string; weight: number }[] };
}

let env: StackEnv;
let clusters: ClusterDirectory;
let appsCore: CoreV1Api;
let appsCustom: CustomObjectsApi;
let infraNamespaceMade = false;
const engines: DrillEngine[] = [];

function weights(): Record<string, number> {
  const split = kubectlJson<Split>(env, 'apps', ['get', 'trafficsplits.split.smi-spec.io', APP, '-n', NS]);
  return Object.fromEntries(split.spec.backends.map((b) => [b.service, b.weight]));
}

function deployment(cluster: 'apps' | 'infra'): Replicas {
  return deploymentReplicas(env, cluster, NS, APP);
}

async function hasReadyAddresses(name: string): Promise<boolean> {
  try {
    const e = await appsCore.readNamespacedEndpoints({ namespace: NS, name });
    return (e.subsets ?? []).some((s) => (s.addresses?.length ?? 0) > 0);
  } catch {
    return false;
  }
}

/**
 * The linkerd-failover controller, simulated (see the file comment): reads the split and its
 * backends' Endpoints and writes the weights its rule gives, when they differ.
 */
function playFailoverController(): {
  stop(): void;
  overAt(): number | undefined;
  backAt(): number | undefined;
} {
  let over: number | undefined;
  let back: number | undefined;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const split = (await appsCustom.getNamespacedCustomObject(SPLIT)) as Split;
      const primary = split.metadata.annotations?.['failover.linkerd.io/primary-service'];
      const ready = new Map<string, boolean>();
      for (const b of split.spec.backends) ready.set(b.service, await hasReadyAddresses(b.service));
      const primaryActive = primary !== undefined && ready.get(primary) === true;
      const backends = split.spec.backends.map((b) => ({
        service: b.service,
        weight: (primaryActive ? b.service === primary : ready.get(b.service)) ? 1 : 0,
      }));
      if (backends.every((b, i) => b.weight === split.spec.backends[i]?.weight)) return;
      await appsCustom.replaceNamespacedCustomObject({
        ...SPLIT,
        body: { ...split, spec: { ...split.spec, backends } },
      });
      if (primaryActive) back = Date.now();
      else over = Date.now();
    } catch {
      // A conflicting write is retried on the next tick, as the controller's next event would.
    } finally {
      busy = false;
    }
  }, 150);
  return { stop: () => clearInterval(timer), overAt: () => over, backAt: () => back };
}

function newEngine(
  store: Awaited<ReturnType<typeof tempStore>>['store'],
  chat: RecordingChat,
  opts: { timeLimit?: number; staleAfterMs?: number } = {},
): DrillEngine {
  const engine = testEngine(store, chat, clusters, { drill: 'app-failover', ...opts });
  engines.push(engine);
  return engine;
}

const start = (engine: DrillEngine, chat: RecordingChat) =>
  startDrill(engine, chat, { drill: 'app-failover', namespace: NS, workload: APP });

/** Back as the seed and beforeAll left it: two primaries Ready, the standby Ready, traffic on the primary. */
async function settle(): Promise<void> {
  kubectlRun(env, 'apps', ['scale', 'deployment', APP, '-n', NS, '--replicas=2']);
  kubectlRun(env, 'infra', ['scale', 'deployment', APP, '-n', NS, '--replicas=1']);
  kubectlRun(env, 'apps', ['rollout', 'status', `deployment/${APP}`, '-n', NS, '--timeout=60s']);
  kubectlRun(env, 'infra', ['rollout', 'status', `deployment/${APP}`, '-n', NS, '--timeout=60s']);
  await waitFor('the primary Service to have ready addresses', () => hasReadyAddresses(APP));
  kubectl(env, 'apps', [
    'patch',
    'trafficsplits.split.smi-spec.io',
    APP,
    '-n',
    NS,
    '--type=merge',
    '-p',
    JSON.stringify({
      spec: {
        backends: [
          { service: APP, weight: 1 },
          { service: MIRROR, weight: 0 },
        ],
      },
    }),
  ]);
}

beforeAll(async () => {
  env = loadStackEnv();
  clusters = botDirectory(env, ['infra', 'apps']);
  const kc = new KubeConfig();
  kc.loadFromFile(env.KUBECONFIG_APPS);
  appsCore = kc.makeApiClient(CoreV1Api);
  appsCustom = kc.makeApiClient(CustomObjectsApi);
  infraNamespaceMade = kubectlRun(env, 'infra', ['get', 'namespace', NS]).status !== 0;
  kubectl(env, 'infra', ['apply', '--server-side', '-f', '-'], STANDBY);
  kubectl(env, 'apps', ['apply', '--server-side', '-f', '-'], CONSUMER);
  await settle();
  expect(deployment('apps')).toEqual({ replicas: 2, readyReplicas: 2 });
  expect(weights()).toEqual({ [APP]: 1, [MIRROR]: 0 });
});

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
  await settle();
});

afterAll(async () => {
  if (!env) return;
  kubectlRun(env, 'apps', ['delete', '--wait=false', '-f', '-'], CONSUMER);
  if (infraNamespaceMade) kubectlRun(env, 'infra', ['delete', 'namespace', NS, '--wait=false']);
  else
    kubectlRun(
      env,
      'infra',
      ['delete', '--wait=false', '-f', '-'],
      STANDBY.split('---').slice(1).join('---'),
    );
  expect(deployment('apps').replicas).toBe(2);
});

describe('app-failover', () => {
  it('scales the primary to zero as the operator, measures the failover to the mirror, scales back and sees traffic return', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = newEngine(store, chat);
    const controller = playFailoverController();
    try {
      // The plan names what the run will do, from the live objects.
      const planned = await engine.start({
        drill: 'app-failover',
        namespace: NS,
        workload: APP,
        actor: 'alice',
        isAdmin: true,
        dryRun: true,
        open: async () => undefined,
      });
      expect(planned.ok && planned.plan).toEqual(
        expect.arrayContaining([
          'scale the Deployment mattermost/mattermost on apps from 2 to 0 replicas (scale subresource)',
          expect.stringContaining(
            'TrafficSplits `mattermost/mattermost` (primary `mattermost`, fallbacks `mattermost-infra`) give the primary weight 0',
          ),
        ]),
      );
      const { run, root } = await start(engine, chat);
      const done = await engine.settled(run.id);
      const data = done?.data as DrillData;
      const thread = chat.thread(root);

      expect(done?.state, thread.join('\n')).toBe('passed');
      expect(data.params).toEqual({ cluster: 'apps', namespace: NS, workload: APP });
      expect(data.kindState.replicas).toBe(2);
      expect(data.kindState.splits).toEqual([
        { namespace: NS, name: APP, version: 'v1alpha2', primary: APP },
      ]);
      // Recovery is the failover: measured once the (simulated) controller had moved the weights
      // in reaction to the real, empty Endpoints, and before the way back.
      expect(controller.overAt()).toBeDefined();
      expect(controller.backAt()).toBeDefined();
      expect(data.recovery?.ms).toBeGreaterThan(0);
      expect(data.recovery?.ms).toBeLessThanOrEqual(60_000);
      expect(data.recovery?.recoveredAt).toBeGreaterThanOrEqual(
        controller.overAt() ?? Number.POSITIVE_INFINITY,
      );
      expect(data.recovery?.recoveredAt).toBeLessThan(controller.backAt() ?? 0);
      expect(
        thread.some((t) => t.startsWith('Scaled `mattermost/mattermost` to 0 replicas as coxswain-operator')),
      ).toBe(true);
      expect(thread.some((t) => t.startsWith('The primary Services have no ready addresses'))).toBe(true);
      expect(thread.some((t) => t.startsWith('Scaled `mattermost/mattermost` back to 2 replicas'))).toBe(
        true,
      );
      expect(thread.at(-1)).toMatch(/^PASSED: recovered in \S+ \(objective 1m\)/);
      const observed = done ? engine.report(done).fields?.find((f) => f.title === 'Observed')?.value : '';
      // The fallback was checked on both sides: the mirror's address here, the standby on infra.
      expect(observed).toMatch(
        /^- `mattermost\/mattermost` failed over after \S+: traffic goes to `mattermost-infra` \(1 ready addresses; 1 behind `mattermost\/mattermost` on `infra`\)\.$/m,
      );
      expect(observed).toMatch(
        /^- Traffic is back on the primary \S+ after the scale-up: `mattermost\/mattermost` → `mattermost` \(2 ready addresses\)\.$/m,
      );
      expect(weights()).toEqual({ [APP]: 1, [MIRROR]: 0 });
      expect(deployment('apps')).toEqual({ replicas: 2, readyReplicas: 2 });

      // Both scale writes went through the scale subresource as the operator, for alice.
      const scales = auditEvents(
        env.AUDIT_LOG_APPS,
        (e) =>
          e.verb === 'patch' &&
          e.objectRef?.resource === 'deployments' &&
          e.objectRef.subresource === 'scale' &&
          e.objectRef.namespace === NS &&
          e.objectRef.name === APP &&
          e.user?.username === 'system:serviceaccount:coxswain:coxswain' &&
          Date.parse(e.requestReceivedTimestamp ?? '') >= (done?.startedAt ?? 0) - 1000,
      );
      expect(scales).toHaveLength(2);
      for (const e of scales) {
        expect(e.impersonatedUser?.username).toBe('system:serviceaccount:coxswain:coxswain-operator');
        expect(e.impersonatedUser?.extra?.['coxswain.dev/chat-user']).toEqual(['alice']);
        expect(e.responseStatus?.code).toBe(200);
      }
    } finally {
      controller.stop();
      await store.close();
    }
  });

  it('refuses when the standby on the other cluster is down: the mirror alone is not a place to fail over to', async () => {
    kubectl(env, 'infra', ['scale', 'deployment', APP, '-n', NS, '--replicas=0']);
    await waitFor(
      'the standby to be gone',
      () => (deployment('infra').readyReplicas ?? 0) === 0 || undefined,
    );
    const { store } = await tempStore();
    const engine = newEngine(store, new RecordingChat());
    const refused = await engine.start({
      drill: 'app-failover',
      namespace: NS,
      workload: APP,
      actor: 'alice',
      isAdmin: true,
      dryRun: true,
      open: async () => undefined,
    });
    expect(refused.ok ? '' : refused.reason).toContain(
      'has no healthy backend besides `mattermost` to fail over to: `mattermost-infra` (1 ready addresses; 0 behind `mattermost/mattermost` on `infra`)',
    );
    expect(deployment('apps').replicas).toBe(2);
    await store.close();
  });

  it('no failover within the time limit: the drill scales the primary back and fails', async () => {
    const { store } = await tempStore();
    const chat = new RecordingChat();
    // No controller: nothing moves the weights, so the drill waits until its time limit.
    const engine = newEngine(store, chat, { timeLimit: 3000 });
    const { run, root } = await start(engine, chat);
    const done = await engine.settled(run.id);
    const data = done?.data as DrillData;
    expect(done?.state).toBe('failed');
    expect(data.rollbackReason).toBe('the time limit of 3s passed before recovery');
    expect(
      chat.thread(root).some((t) => t.startsWith('Scaled `mattermost/mattermost` back to 2 replicas')),
    ).toBe(true);
    expect(deployment('apps').replicas).toBe(2);
    await store.close();
  });

  it('a restart while the primary is down: a new engine on the same store scales it back', async () => {
    const { store, path } = await tempStore();
    const chat = new RecordingChat();
    const first = newEngine(store, chat);
    const { run, root } = await start(first, chat);
    await waitFor('the primary to be down', () =>
      chat.thread(root).some((t) => t.startsWith('The primary Services have no ready addresses'))
        ? true
        : undefined,
    );
    await first.stop();
    await store.close();
    // The bot is gone with the primary at zero.
    expect(deployment('apps').replicas).toBe(0);

    const { openStore } = await import('../../../src/store/open-store.js');
    const reopened = await openStore({ driver: 'sqlite', sqlite: { path } });
    const second = newEngine(reopened, chat, { staleAfterMs: 1000 });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await second.resume()).toBe(1);
    const done = await second.settled(run.id);
    expect(done?.state).toBe('rolled-back');
    expect(chat.thread(root)).toContain('coxswain restarted mid-drill; rolling back.');
    expect(deployment('apps').replicas).toBe(2);
    await waitFor('the primary to be Ready again', () =>
      deployment('apps').readyReplicas === 2 ? true : undefined,
    );
    await reopened.close();
  });
});
