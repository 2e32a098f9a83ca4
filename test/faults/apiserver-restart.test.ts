/**
 * One real kube-apiserver killed and started again under the health engine: the bot's readers
 * (adapters/kube/cluster-reader.ts: informers with watches) hold warm caches of the apps cluster
 * when its API server process dies (SIGKILL, a crash). Health reports apps unreachable within its
 * timeout and keeps reporting infra; the same API server (same port, flags, certificates and
 * etcd, test/stack/restart-apiserver.sh) comes back; health recovers by itself, and the caches
 * resync: a pod created and a pod deleted after the restart, before the bot read again, show as
 * they are. No crash, no unhandled rejection. (test/integration/health/unreachable.test.ts cuts
 * a TCP proxy in front of the server; this stops the server process itself.)
 *
 * The API server is started again in afterAll whatever happened, so later suites find the stack
 * healthy.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS } from '../../src/health/kinds.js';
import type { ClusterReader } from '../../src/health/types.js';
import { engine, env, reader } from '../integration/health/support.js';
import { deleteNamespaceAndWait, kubectl, kubectlRun } from '../stack/kubectl.js';

const root = new URL('../../', import.meta.url).pathname;
const NS = `coxswain-fault-apiserver-${Math.random().toString(36).slice(2, 8)}`;
const readers: ClusterReader[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let stopped = false;

function apiserver(action: 'kill' | 'start'): void {
  const r = spawnSync('bash', [join(root, 'test/stack/restart-apiserver.sh'), 'apps', action], {
    env: { ...process.env, STACK_STATE_DIR: env.STACK_STATE_DIR },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`restart-apiserver.sh apps ${action}: ${r.status}\n${r.stderr}`);
  stopped = action === 'kill';
}

function pod(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'fault-probe' } },
    spec: {
      containers: [{ name: 'c', image: 'registry.invalid/pause:1' }],
      tolerations: [
        { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      ],
    },
  });
}

async function podNames(r: ClusterReader): Promise<string[]> {
  const state = (await r.read([KINDS.pods])).get('pods');
  if (!state?.served) throw new Error('pods not served');
  return state.objects.filter((o) => o.metadata.namespace === NS).map((o) => o.metadata.name);
}

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
  kubectlRun(env, 'apps', ['create', 'namespace', NS]);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  for (const r of readers.splice(0)) r.stop();
  // Whatever failed above, the stack gets its API server back before the next suite.
  if (stopped) apiserver('start');
  await deleteNamespaceAndWait(env, 'apps', NS);
});

describe('an API server killed and started again', () => {
  it('health reports it unreachable within the timeout, then recovers; the caches resync', async () => {
    const apps = reader('apps');
    const infra = reader('infra');
    readers.push(apps, infra);
    const TIMEOUT = 5000;
    const health = engine(readers, { timeoutMs: TIMEOUT });

    kubectl(env, 'apps', ['apply', '-f', '-'], pod('before'));
    const before = await health.check({});
    const appsBefore = before.find((r) => r.cluster === 'apps');
    const infraBefore = before.find((r) => r.cluster === 'infra');
    expect(appsBefore?.reachable).toBe(true);
    expect(infraBefore?.reachable).toBe(true);
    expect(await podNames(apps)).toContain('before');
    expect(apps.warm([KINDS.pods])).toBe(true);

    apiserver('kill');
    // From the crash on, health says apps is unreachable, with the reason, within its timeout
    // (plus scheduling slack): a check may still be answered from the warm cache in the moment
    // before the broken watch is noticed, never after. The other cluster is still answered in full.
    const killedAt = Date.now();
    let down = await health.check({});
    while (down.find((r) => r.cluster === 'apps')?.reachable !== false && Date.now() - killedAt < 30_000) {
      await new Promise((r) => setTimeout(r, 100));
      down = await health.check({});
    }
    const took = Date.now() - killedAt;
    const appsDown = down.find((r) => r.cluster === 'apps');
    const infraDown = down.find((r) => r.cluster === 'infra');
    expect(appsDown?.reachable, JSON.stringify(appsDown)).toBe(false);
    expect(appsDown?.error).toMatch(
      /ECONNREFUSED|fetch failed|other side closed|socket|no answer|terminated/i,
    );
    expect(appsDown?.components).toEqual([]);
    expect(took).toBeLessThan(TIMEOUT + 5000);
    expect(infraDown?.reachable).toBe(true);
    expect(infraDown?.components.length).toBeGreaterThan(0);
    // Not answered from the stale cache either: each kind's watch notices the crash on its own, a
    // moment apart (in one CI run the pods read came just before its watch's close), and from
    // then on reads of pods fail rather than answer from the cache.
    const staleEnd = Date.now() + TIMEOUT;
    let stale = await podNames(apps).catch(() => undefined);
    while (stale !== undefined && Date.now() < staleEnd) {
      await new Promise((r) => setTimeout(r, 100));
      stale = await podNames(apps).catch(() => undefined);
    }
    expect(stale).toBeUndefined();
    await expect(podNames(apps)).rejects.toThrow();

    apiserver('start');
    // Changes the bot's broken watch did not see: one pod created, one deleted.
    kubectl(env, 'apps', ['apply', '-f', '-'], pod('after'));
    kubectl(env, 'apps', [
      'delete',
      'pod',
      'before',
      '-n',
      NS,
      '--grace-period=0',
      '--force',
      '--wait=false',
    ]);

    // Recovered by itself (no new reader, no restart): the next checks reach apps again.
    const end = Date.now() + 30_000;
    let recovered = false;
    while (!recovered && Date.now() < end) {
      const appsAgain = (await health.check({})).find((r) => r.cluster === 'apps');
      recovered = appsAgain?.reachable === true && appsAgain.components.length > 0;
      if (!recovered) await new Promise((r) => setTimeout(r, 500));
    }
    expect(recovered).toBe(true);
    // The cache relisted: it shows the pod created after the restart and not the deleted one.
    const seen = await podNames(apps);
    expect(seen).toContain('after');
    expect(seen).not.toContain('before');
    // And its watch runs again: a pod created now shows up without a relist of the reader.
    kubectl(env, 'apps', ['apply', '-f', '-'], pod('watched'));
    const watchEnd = Date.now() + 20_000;
    while (!(await podNames(apps)).includes('watched') && Date.now() < watchEnd)
      await new Promise((r) => setTimeout(r, 200));
    expect(await podNames(apps)).toContain('watched');
    expect(apps.warm([KINDS.pods])).toBe(true);
    expect(unhandled.map(String)).toEqual([]);
  });
});
