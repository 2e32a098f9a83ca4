// `/ops health` and `/ops mesh` on the test stack's two real API servers, at 1,000 and 5,000
// pods of the `load/scale` Deployment on apps (plus the seed's ~66): cold (fresh caches: one list
// and one watch per kind) and warm (answered from the watch-fed caches), with the API requests
// each makes. Floor: one raw list of every pod on apps from the API server's cache.
// The stack is the one in STACK_STATE_DIR (default test/stack/.state). If none is healthy there,
// one is started with --pods 5000 and stopped at the end. The Deployment is measured at the
// replicas it has, then scaled to the other count, and left there (one scale per run: 4,000 pods
// deleted or created by the real controllers and kwok takes 1.5-2 minutes here).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { KubeClusterReader, loadKubeConfig } from '../dist/adapters/kube/cluster-reader.js';
import { HealthEngine } from '../dist/src/health/engine.js';
import { ms, summarize } from './lib.mjs';

const run$ = promisify(execFile);
const repo = new URL('..', import.meta.url).pathname;
const COUNTS = [1000, 5000];

function stateDir() {
  const dir = process.env.STACK_STATE_DIR ?? 'test/stack/.state';
  return isAbsolute(dir) ? dir : join(repo, dir);
}

function stackEnv() {
  const text = readFileSync(join(stateDir(), 'env'), 'utf8');
  const env = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  return env;
}

async function stackHealthy() {
  try {
    await run$('bash', [join(repo, 'test/stack/status.sh'), '--check'], {
      env: { ...process.env, STACK_STATE_DIR: stateDir() },
    });
    return true;
  } catch {
    return false;
  }
}

async function stack(script, args = []) {
  await run$('bash', [join(repo, 'test/stack', script), ...args], {
    env: { ...process.env, STACK_STATE_DIR: stateDir() },
    maxBuffer: 1 << 24,
  });
}

const kubectl = async (env, args) =>
  (await run$(env.KUBECTL, ['--kubeconfig', env.KUBECONFIG_APPS, ...args], { maxBuffer: 1 << 26 })).stdout;

async function replicas(env) {
  try {
    return Number(
      await kubectl(env, ['-n', 'load', 'get', 'deploy', 'scale', '-o', 'jsonpath={.spec.replicas}']),
    );
  } catch {
    return undefined;
  }
}

/** Scales load/scale and waits until exactly `count` of its pods exist and all are Running. */
async function scaleTo(env, count) {
  await kubectl(env, ['-n', 'load', 'scale', 'deploy', 'scale', `--replicas=${count}`]);
  const deadline = Date.now() + 600_000;
  for (;;) {
    const lines = (await kubectl(env, ['-n', 'load', 'get', 'pods', '--no-headers']))
      .trim()
      .split('\n')
      .filter(Boolean);
    const running = lines.filter((l) => /\sRunning\s/.test(l)).length;
    if (lines.length === count && running === count) return;
    if (Date.now() > deadline)
      throw new Error(`load/scale did not reach ${count} running pods (${lines.length}, ${running} running)`);
    await new Promise((r) => setTimeout(r, 3000));
  }
}

function readers(env, onRequest) {
  return [
    ['infra', env.KUBECONFIG_INFRA],
    ['apps', env.KUBECONFIG_APPS],
  ].map(
    ([name, kubeconfig]) =>
      new KubeClusterReader(name, loadKubeConfig({ name, kubeconfig }), {
        // As adapters/kube/wiring.ts builds them, with the config's defaults (pageSize 500).
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

/** Cold: fresh readers each round. Warm: one engine, filled once, then asked again and again. */
async function measure(env, call, { coldRounds = 5, warmRounds = 50 } = {}) {
  const cold = [];
  let coldRequests = 0;
  for (let i = 0; i < coldRounds; i++) {
    let count = 0;
    const list = readers(env, () => count++);
    const t = performance.now();
    await call(engineOf(list));
    cold.push(performance.now() - t);
    coldRequests = count;
    for (const r of list) r.stop();
  }
  let warmCount = 0;
  const warmReaders = readers(env, () => warmCount++);
  const engine = engineOf(warmReaders);
  await call(engine);
  await new Promise((r) => setTimeout(r, 500));
  warmCount = 0;
  const warm = [];
  for (let i = 0; i < warmRounds; i++) {
    const t = performance.now();
    await call(engine);
    warm.push(performance.now() - t);
  }
  for (const r of warmReaders) r.stop();
  return { cold: summarize(cold), coldRequests, warm: summarize(warm), warmRequests: warmCount / warmRounds };
}

async function measureAt(env) {
  const probe = readers(env)[1];
  const floor = [];
  let pods = 0;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const page = await probe.http.listPage('/api/v1/pods', { resourceVersion: '0', limit: '500' });
    floor.push(performance.now() - t);
    pods = page.items.length;
  }
  return {
    pods,
    floor: summarize(floor),
    health: await measure(env, (engine) => engine.check({})),
    mesh: await measure(env, (engine) => engine.mesh()),
  };
}

/**
 * `at5000(env)`: more measures that need apps at 5,000 pods (the `/ops get` and memory benches),
 * run while it is there, so the run scales the Deployment only once; what it returns is `at5000`.
 */
export async function run({ at5000 } = {}) {
  const header = ['pods on apps', 'call', 'p50', 'p95', 'API requests per call', 'goal'];
  let started = false;
  if (!(await stackHealthy())) {
    process.stderr.write(
      `  no healthy stack in ${stateDir()}: starting one with --pods 5000 (about 3 minutes)\n`,
    );
    await stack('up.sh', ['--pods', '5000']);
    started = true;
  }
  const results = [];
  let extra;
  const env = stackEnv();
  try {
    const capacity = Number(env.STACK_PODS || 0);
    const current = await replicas(env);
    if (current === undefined || capacity < 5000) {
      return {
        title: 'Health checks',
        header,
        rows: [['—', `skipped: the stack in ${stateDir()} was started without --pods 5000`, '', '', '', '']],
        note: 'Start it with `STACK_PODS=5000 npm run stack:up` (node capacity is set at start).',
      };
    }
    // Measure at the count it has (if it is one of ours), then scale once to the other.
    const order = current === 1000 ? [1000, 5000] : [5000, 1000];
    if (!COUNTS.includes(current)) await scaleTo(env, order[0]);
    for (const count of order) {
      if (count !== order[0]) {
        const t = performance.now();
        await scaleTo(env, count);
        process.stderr.write(
          `  scaled load/scale to ${count} in ${((performance.now() - t) / 1000).toFixed(0)} s\n`,
        );
      }
      results.push(await measureAt(env));
      if (count === 5000 && at5000) extra = await at5000(env);
    }
  } finally {
    if (started) await stack('down.sh');
  }
  results.sort((a, b) => a.pods - b.pods);
  const rows = [];
  for (const r of results) {
    const n = r.pods.toLocaleString('en');
    rows.push([
      n,
      'floor: one raw list of all pods on apps (watch cache)',
      ms(r.floor.p50),
      ms(r.floor.p95),
      '1',
      '',
    ]);
    rows.push([
      n,
      'cold `/ops health` (fresh caches)',
      ms(r.health.cold.p50),
      ms(r.health.cold.p95),
      `${r.health.coldRequests} (lists + watches, both clusters)`,
      '',
    ]);
    rows.push([
      n,
      'warm `/ops health` (from the caches)',
      ms(r.health.warm.p50),
      ms(r.health.warm.p95),
      String(r.health.warmRequests),
      r.pods >= 5000 ? `p95 ≤ 300 ms: ${r.health.warm.p95 <= 300 ? 'met' : '**missed**'}` : '',
    ]);
    rows.push([
      n,
      'cold `/ops mesh` (fresh caches)',
      ms(r.mesh.cold.p50),
      ms(r.mesh.cold.p95),
      `${r.mesh.coldRequests} (lists + watches, both clusters)`,
      '',
    ]);
    rows.push([
      n,
      'warm `/ops mesh` (from the caches)',
      ms(r.mesh.warm.p50),
      ms(r.mesh.warm.p95),
      String(r.mesh.warmRequests),
      '',
    ]);
  }
  return {
    title: 'Health checks (both clusters, every component) and the mesh',
    header,
    rows,
    warmP95At5000: results.find((r) => r.pods >= 5000)?.health.warm.p95,
    floorAt5000: results.find((r) => r.pods >= 5000)?.floor,
    at5000: extra,
    note: `The stack's real kube-apiservers (v1.37, etcd, controllers, kwok nodes), pods counted from one list on apps: the \`load/scale\` Deployment scaled between 1,000 and 5,000 pause pods plus the seed. Engines and readers as adapters/kube/wiring.ts builds them (page size 500, watches). Cold: 5 rounds, each with fresh readers: every informer lists once (resourceVersion=0, served by the API server's watch cache) and starts its watch; warm: 50 calls of one engine whose caches the first call filled, a scan of the trimmed caches with no request. ${started ? 'The stack was started for this run and stopped after it.' : `Stack: ${stateDir()}, already running.`}`,
  };
}
