/**
 * cnpg-failover on the infra cluster's seeded CloudNativePG Cluster `databases/postgres`.
 *
 * What is simulated: the stack runs no CNPG operator, so there are no instance pods and nobody
 * promotes a replica. The test creates the three instance pods as the operator would (kwok runs
 * them), and plays the operator's failover: when the primary pod is gone it reports "Failing
 * over", then promotes postgres-2 (status.currentPrimary/targetPrimary) and reports all instances
 * ready again. What is real: the drill reads the Cluster's status through the API server, deletes
 * the primary pod as coxswain-operator (the audit log shows it), and measures until the Cluster
 * reports a new, healthy primary.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusOf } from '../../../adapters/kube/operator-client.js';
import { loadDrills } from '../../../src/drills/definitions.js';
import { DrillEngine } from '../../../src/drills/engine.js';
import type { DrillData } from '../../../src/drills/run-data.js';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { kubectl, kubectlJson, kubectlRun } from '../../stack/kubectl.js';
import { auditEvents, botDirectory } from '../rbac/identities.js';
import { quietLog, RecordingChat, tempStore } from './helpers.js';

const NS = 'databases';
const CLUSTER = {
  group: 'postgresql.cnpg.io',
  version: 'v1',
  namespace: NS,
  plural: 'clusters',
  name: 'postgres',
};
const HEALTHY = 'Cluster in healthy state';

let env: StackEnv;
let core: CoreV1Api;
let custom: CustomObjectsApi;
/** The instance pods the seed made (pinned to infra-01..03), put back after the test. */
let seeded: Record<string, unknown>[] = [];
const INSTANCES = ['postgres-1', 'postgres-2', 'postgres-3'];

/** A pod as it can be created again: no server-set fields. */
function recreatable(pod: {
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
}): Record<string, unknown> {
  const { name, namespace, labels, annotations } = pod.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels, annotations },
    spec: pod.spec,
  };
}

function instancePod(name: string, role: 'primary' | 'replica'): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      labels: { 'cnpg.io/cluster': 'postgres', 'cnpg.io/instanceRole': role },
    },
    spec: {
      containers: [{ name: 'postgres', image: 'ghcr.io/cloudnative-pg/postgresql:15.14' }],
      tolerations: [
        { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      ],
    },
  });
}

async function setStatus(status: Record<string, unknown>): Promise<void> {
  await custom.patchNamespacedCustomObjectStatus(
    { ...CLUSTER, body: { status } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** The CNPG operator's part, simulated (see the file comment). */
function playOperator(): { stop(): void; promotedAt(): number | undefined } {
  let promoted: number | undefined;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy || promoted) return;
    busy = true;
    try {
      await core.readNamespacedPod({ name: 'postgres-1', namespace: NS });
    } catch (error) {
      if (statusOf(error) === 404) {
        await setStatus({ phase: 'Failing over', targetPrimary: 'postgres-2', readyInstances: 2 });
        await new Promise((r) => setTimeout(r, 500));
        kubectl(env, 'infra', ['apply', '-f', '-'], instancePod('postgres-1', 'replica'));
        // Marked before the write: the drill may see the new status (and settle) before this
        // client has processed the PATCH response, so marking after would race.
        promoted = Date.now();
        await setStatus({
          phase: HEALTHY,
          currentPrimary: 'postgres-2',
          targetPrimary: 'postgres-2',
          readyInstances: 3,
        });
      }
    } finally {
      busy = false;
    }
  }, 100);
  return { stop: () => clearInterval(timer), promotedAt: () => promoted };
}

beforeAll(async () => {
  env = loadStackEnv();
  const kc = new KubeConfig();
  kc.loadFromFile(env.KUBECONFIG_INFRA);
  core = kc.makeApiClient(CoreV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  const existing = kubectlJson<{
    items: { metadata: Record<string, unknown>; spec: Record<string, unknown> }[];
  }>(env, 'infra', ['-n', NS, 'get', 'pods', '-l', 'cnpg.io/cluster=postgres']).items;
  seeded = existing.map(recreatable);
  // Applied over the seed's pods too: this adds the cnpg.io/instanceRole labels the drill reads.
  for (const [index, name] of INSTANCES.entries()) {
    kubectl(env, 'infra', ['apply', '-f', '-'], instancePod(name, index === 0 ? 'primary' : 'replica'));
  }
  await setStatus({
    phase: HEALTHY,
    currentPrimary: 'postgres-1',
    targetPrimary: 'postgres-1',
    readyInstances: 3,
  });
});

afterAll(async () => {
  if (!env) return;
  await setStatus({
    phase: HEALTHY,
    currentPrimary: 'postgres-1',
    targetPrimary: 'postgres-1',
    readyInstances: 3,
  });
  // Put the instances back as the seed had them, so later suites see the seeded cluster.
  kubectlRun(env, 'infra', [
    'delete',
    'pod',
    ...INSTANCES,
    '-n',
    NS,
    '--force',
    '--grace-period=0',
    '--ignore-not-found',
    '--wait=true',
  ]);
  for (const pod of seeded) kubectl(env, 'infra', ['create', '-f', '-'], JSON.stringify(pod));
  if (seeded.length > 0) {
    kubectlRun(env, 'infra', [
      'wait',
      '-n',
      NS,
      '--for=condition=Ready',
      'pod',
      '-l',
      'cnpg.io/cluster=postgres',
      '--timeout=60s',
    ]);
  }
});

describe('cnpg-failover', () => {
  it('deletes the primary pod as the operator and measures until a new primary is reported healthy', async () => {
    const clusters = botDirectory(env, ['infra']);
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = new DrillEngine({
      store,
      clusters,
      chat,
      drills: loadDrills(),
      log: quietLog,
      tickMs: 200,
    });
    const operator = playOperator();
    try {
      const started = await engine.start({
        drill: 'cnpg-failover',
        actor: 'alice',
        isAdmin: true,
        open: (m) => chat.post({ channelId: 'ops' }, m),
      });
      if (!started.ok || !started.run) throw new Error(started.ok ? 'dry run' : started.reason);
      const done = await engine.settled(started.run.id);
      const data = done?.data as DrillData;

      expect(done?.state).toBe('passed');
      expect(data.params).toEqual({ cluster: 'infra', namespace: 'databases', workload: 'postgres' });
      expect(data.kindState.primary).toBe('postgres-1');
      expect(data.recovery?.ms).toBeGreaterThan(0);
      expect(data.recovery?.ms).toBeLessThanOrEqual(60_000);
      // Recovery was observed only after the (simulated) promotion.
      expect(data.recovery?.recoveredAt).toBeGreaterThanOrEqual(
        operator.promotedAt() ?? Number.POSITIVE_INFINITY,
      );
      const thread = chat.thread(data.post?.postId as string);
      expect(thread).toContain('The primary of CNPG Cluster databases/postgres is `postgres-1`.');
      expect(thread).toContain('`postgres-2` is the new primary; 3/3 instances ready.');
      const deletes = auditEvents(
        env.AUDIT_LOG_INFRA,
        (e) =>
          e.verb === 'delete' &&
          e.objectRef?.resource === 'pods' &&
          e.objectRef.name === 'postgres-1' &&
          e.user?.username === 'system:serviceaccount:coxswain:coxswain' &&
          Date.parse(e.requestReceivedTimestamp ?? '') >= (done?.startedAt ?? 0) - 1000,
      );
      // The bot's only delete of the pod, made as the operator for alice (kwok's final delete is its own).
      expect(deletes).toHaveLength(1);
      expect(deletes[0]?.impersonatedUser?.username).toBe('system:serviceaccount:coxswain:coxswain-operator');
      expect(deletes[0]?.impersonatedUser?.extra?.['coxswain.dev/chat-user']).toEqual(['alice']);
      expect(deletes[0]?.responseStatus?.code).toBe(200);
    } finally {
      operator.stop();
      await engine.stop();
      await store.close();
    }
  });
});
