/**
 * What a health check costs the API server: a cold check makes one list (and starts one watch)
 * per kind, a warm one makes no request at all, and neither grows with the number of pods.
 * Requests are counted at the client (every HTTP request the readers send) on the real servers;
 * the connections they use are counted in the kernel's TCP table (one HTTP/2 connection carries
 * every watch of a cluster: adapters/kube/shared-dispatcher.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksFor } from '../../../src/health/checks/index.js';
import { counter, engine, env, eventually, k, ownConnectionsTo, reader } from './support.js';

/** Pods added on top of the seed; the 5,000 unless the machine needs fewer (HEALTH_SCALE_PODS). */
const EXTRA_PODS = Number(process.env.HEALTH_SCALE_PODS ?? 5000);
const NAMESPACE = 'health-scale';
const KINDS = new Set(checksFor().flatMap((c) => c.kinds.map((kind) => kind.id)));
/**
 * Kinds apps does not serve, so no watch: two from before, and the VictoriaMetrics operator's
 * VMCluster, VMAlert, VLogs and VLSingle, whose CRDs the stack does not install.
 */
const NOT_SERVED = 2 + 4;

function podCount(): number {
  return k('apps', ['get', 'pods', '-A', '--no-headers', '-o', 'name']).split('\n').filter(Boolean).length;
}

async function measure(): Promise<{
  cold: number;
  coldLists: number;
  warm: number;
  coldMs: number;
  warmMs: number;
  connections: number;
}> {
  const count = counter();
  const apps = reader('apps', { onRequest: count.onRequest });
  // This counts requests, not time: a cold list of 5,000 pods on a loaded 2-core machine may take
  // longer than a health check's usual 15 s, so it gets a minute here.
  const health = engine([apps], { timeoutMs: 60_000 });
  try {
    let t = performance.now();
    const [cold] = await health.check({});
    const coldMs = performance.now() - t;
    expect(cold?.cold).toBe(true);
    expect(cold?.reachable).toBe(true);
    // The watches start right after the lists; let them all be sent before counting the warm check.
    await eventually(
      'every watch started',
      async () => count.requests.filter((r) => r.verb === 'watch').length >= KINDS.size - NOT_SERVED,
    );
    await new Promise((r) => setTimeout(r, 300));
    const connections = ownConnectionsTo(Number(env.APISERVER_PORT_APPS));
    const coldRequests = count.requests.length;
    const coldLists = count.requests.filter((r) => r.verb === 'list').length;
    count.reset();
    t = performance.now();
    const [warm] = await health.check({});
    const warmMs = performance.now() - t;
    expect(warm?.cold).toBe(false);
    return { cold: coldRequests, coldLists, warm: count.requests.length, coldMs, warmMs, connections };
  } finally {
    apps.stop();
  }
}

let seed: Awaited<ReturnType<typeof measure>>;
let seedPods = 0;

beforeAll(async () => {
  seedPods = podCount();
  seed = await measure();
  k('apps', ['create', 'namespace', NAMESPACE]);
  // Bare pods bound to the kwok nodes (kwok makes them Running), created in chunks.
  const nodes = ['apps-01', 'apps-02', 'apps-03'];
  for (let start = 0; start < EXTRA_PODS; start += 500) {
    const items = [];
    for (let i = start; i < Math.min(EXTRA_PODS, start + 500); i++)
      items.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `load-${i}`, namespace: NAMESPACE, labels: { app: 'health-load' } },
        spec: {
          nodeName: nodes[i % nodes.length],
          containers: [{ name: 'app', image: 'registry.example/load:1' }],
          tolerations: [{ operator: 'Exists' }],
        },
      });
    k('apps', ['create', '-f', '-', '-o', 'name'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  }
}, 600_000);

afterAll(async () => {
  // Suites after this one need a cluster that is not still deleting thousands of pods (a
  // replacement pod would queue behind them), so wait until they are gone. Polling, because
  // kubectl's own --wait stalled for minutes on 5,000 pods that were already deleted.
  k('apps', ['delete', 'pods', '--all', '-n', NAMESPACE, '--force', '--grace-period=0', '--wait=false']);
  const deadline = Date.now() + 300_000;
  while (k('apps', ['get', 'pods', '-n', NAMESPACE, '--no-headers', '--ignore-not-found']).trim() !== '') {
    if (Date.now() > deadline) throw new Error(`pods of ${NAMESPACE} still there after 5 min`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  k('apps', ['delete', 'namespace', NAMESPACE, '--wait=false', '--ignore-not-found']);
}, 600_000);

describe('API requests of a health check', () => {
  it('cold: one list per kind and one watch per served kind; warm: none; the same with thousands more pods', async () => {
    const scaled = await measure();
    const pods = podCount();
    expect(pods).toBeGreaterThanOrEqual(seedPods + EXTRA_PODS);
    // One list page per kind the checks read (a CRD not installed is one 404 per version tried).
    expect(seed.coldLists).toBeGreaterThanOrEqual(KINDS.size);
    expect(seed.coldLists).toBeLessThanOrEqual(KINDS.size + 4);
    expect(seed.warm).toBe(0);
    expect(scaled.warm).toBe(0);
    expect(scaled.cold).toBe(seed.cold);
    expect(scaled.coldLists).toBe(seed.coldLists);
    // Every list and watch over one shared connection (one more if the seed's has not closed yet),
    // where a connection per request held one per watch (about 27).
    expect(seed.connections).toBeGreaterThanOrEqual(1);
    expect(seed.connections).toBeLessThanOrEqual(2);
    expect(scaled.connections).toBeLessThanOrEqual(2);
    console.log(
      `[health requests] seed: ${seedPods} pods, cold ${seed.cold} requests (${seed.coldLists} lists) in ${seed.coldMs.toFixed(0)} ms, warm ${seed.warm} in ${seed.warmMs.toFixed(1)} ms, ${seed.connections} connection(s); ` +
        `scaled: ${pods} pods, cold ${scaled.cold} requests (${scaled.coldLists} lists) in ${scaled.coldMs.toFixed(0)} ms, warm ${scaled.warm} in ${scaled.warmMs.toFixed(1)} ms`,
    );
    void env;
  });
});
