// `/ops health` latency on the test stack's two real API servers (start it with
// `STACK_PODS=5000 npm run stack:up` for the 5,000 pods): cold (fresh caches: one list
// and one watch per kind) and warm (answered from the watch-fed caches), with the API requests
// each makes. Floor: one raw list of every pod on apps from the API server's cache.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClusterReader, loadKubeConfig } from '../dist/adapters/kube/cluster-reader.js';
import { HealthEngine } from '../dist/src/health/engine.js';
import { ms, summarize } from './lib.mjs';

function stackEnv() {
  const dir = process.env.STACK_STATE_DIR ?? new URL('../test/stack/.state', import.meta.url).pathname;
  try {
    const text = readFileSync(join(dir, 'env'), 'utf8');
    const env = {};
    for (const line of text.split('\n')) {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (m) env[m[1]] = m[2];
    }
    return env;
  } catch {
    return undefined;
  }
}

function readers(env, onRequest) {
  return [
    ['infra', env.KUBECONFIG_INFRA],
    ['apps', env.KUBECONFIG_APPS],
  ].map(
    ([name, kubeconfig]) =>
      new KubeClusterReader(name, loadKubeConfig({ name, kubeconfig }), {
        pageSize: 500,
        watchSeconds: 300,
        absentRecheckMs: 300_000,
        requestTimeoutMs: 30_000,
        userAgent: 'coxswain-bench',
        onRequest,
      }),
  );
}

const engineOf = (list) =>
  new HealthEngine({
    readers: list,
    rpoMs: 6 * 3600e3,
    certificateWarningMs: 14 * 86400e3,
    progressAfterMs: 2000,
    timeoutMs: 60_000,
  });

export async function run() {
  const env = stackEnv();
  const header = ['check', 'pods (apps)', 'p50', 'p95', 'API requests per check'];
  if (!env)
    return {
      title: 'Health checks',
      header,
      rows: [['skipped: no test stack running', '', '', '', '']],
      note: 'Start the stack first.',
    };

  // Floor: one list of every pod from the API server's watch cache, as the cold check makes it.
  // `http` is the reader's own client (private in TypeScript), so the floor uses the same transport.
  const probe = readers(env)[1];
  const floor = [];
  let pods = 0;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const page = await probe.http.listPage('/api/v1/pods', { resourceVersion: '0', limit: '500' });
    floor.push(performance.now() - t);
    pods = page.items.length;
  }

  const cold = [];
  let coldRequests = 0;
  for (let i = 0; i < 5; i++) {
    let count = 0;
    const list = readers(env, () => count++);
    const t = performance.now();
    await engineOf(list).check({});
    cold.push(performance.now() - t);
    coldRequests = count;
    for (const r of list) r.stop();
  }

  let warmCount = 0;
  const warmReaders = readers(env, () => warmCount++);
  const engine = engineOf(warmReaders);
  await engine.check({});
  await new Promise((r) => setTimeout(r, 500));
  warmCount = 0;
  const warm = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    await engine.check({});
    warm.push(performance.now() - t);
  }
  for (const r of warmReaders) r.stop();

  const row = (name, samples, requests) => {
    const s = summarize(samples);
    return [name, String(pods), ms(s.p50), ms(s.p95), requests];
  };
  return {
    title: 'Health checks (both clusters, every component)',
    header,
    rows: [
      row('floor: one raw list of all pods on apps (watch cache)', floor, '1'),
      row('cold `/ops health` (fresh caches)', cold, `${coldRequests} (lists + watches, both clusters)`),
      row('warm `/ops health` (from the caches)', warm, String(warmCount / 50)),
    ],
    note: 'Cold: every informer lists once (resourceVersion=0, served by the API server cache) and starts its watch; warm: a scan of the trimmed caches, no request',
  };
}
