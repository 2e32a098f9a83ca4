// `/ops get pods -A` through the whole router (parse, validate, authorize, audit in a store),
// answered from the watch-fed caches, at the pods the test stack's apps cluster has (start it
// with `--pods 5000` for the 5,000-pod figure): p50/p95 of the answer (the table is built and
// handed to the chat port's upload), and the API requests made after the caches are warm
// (expected: none; the watch itself is one long request opened before the rounds).
// `npm run bench` runs it (bench/health.mjs calls measureOpsGet while apps has 5,000 pods);
// alone: npm run build && node bench/ops-get.mjs [rounds]   (the stack must be running)
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { pino } from 'pino';
import { KubeClusterReader, loadKubeConfig } from '../dist/adapters/kube/cluster-reader.js';
import { allGroups } from '../dist/commands/index.js';
import { FixedRoleResolver } from '../dist/src/auth/roles.js';
import { configSchema } from '../dist/src/config/schema.js';
import { createMetrics } from '../dist/src/metrics.js';
import { Router } from '../dist/src/router/router.js';
import { SqlStore } from '../dist/src/store/sql-store.js';
import { SqliteDriver } from '../dist/src/store/sqlite-driver.js';
import { machine, summarize } from './lib.mjs';

const repo = new URL('..', import.meta.url).pathname;

function stackEnv() {
  const dir = process.env.STACK_STATE_DIR ?? 'test/stack/.state';
  const text = readFileSync(join(isAbsolute(dir) ? dir : join(repo, dir), 'env'), 'utf8');
  const env = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  return env;
}

/** `env`: the stack's env file. The figures of one run: pods, cold answer, warm percentiles. */
export async function measureOpsGet(env, rounds = 100) {
  let requests = [];
  const reader = new KubeClusterReader(
    'apps',
    loadKubeConfig({ name: 'apps', kubeconfig: env.KUBECONFIG_APPS }),
    {
      pageSize: 500,
      watchSeconds: 300,
      absentRecheckMs: 300_000,
      requestTimeoutMs: 30_000,
      userAgent: 'coxswain-bench',
      onRequest: (info) => requests.push(info),
    },
  );
  const config = configSchema.parse({ clusters: [{ name: 'apps', inCluster: true }] });
  const store = new SqlStore(new SqliteDriver(':memory:'));
  await store.migrate();
  let uploaded;
  const services = {
    config,
    store,
    now: Date.now,
    groups: allGroups,
    caches: new Map([['apps', reader]]),
    upload: async (destination, file) => {
      uploaded = file;
      return { platform: 'bench', channelId: destination.channelId, postId: 'p' };
    },
  };
  const router = new Router({
    trigger: '/ops',
    groups: allGroups(),
    roles: new FixedRoleResolver('viewer'),
    store,
    services,
    metrics: createMetrics({ defaults: false }),
    log: pino({ level: 'silent' }),
    confirmExpiryMs: 120_000,
    approvalExpiryMs: 900_000,
    approvalsRequired: [],
  });
  const answers = [];
  const responder = {
    reply: async (message) => {
      answers.push(message);
      return { platform: 'bench', channelId: 'c', postId: 'p' };
    },
    replyInThread: async () => undefined,
    update: async () => undefined,
  };
  let n = 0;
  const ask = (text) =>
    router.handle({
      platform: 'bench',
      user: { id: 'u', username: 'bench', groups: [] },
      channel: { id: 'c', name: 'bench' },
      text,
      requestId: `b${++n}`,
      responder,
    });

  const cold0 = performance.now();
  await ask('get pods -A --cluster apps');
  const cold = performance.now() - cold0;
  const coldRequests = requests.length;
  const pods = uploaded ? uploaded.content.split('\n').length - 1 : Number.NaN;
  await new Promise((r) => setTimeout(r, 500));
  requests = [];
  const samples = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await ask('get pods -A --cluster apps');
    samples.push(performance.now() - t);
  }
  const warm = summarize(samples);
  const warmLists = requests.filter((r) => r.verb === 'list').length;
  reader.stop();
  await store.close();
  return {
    pods,
    cold: { ms: Math.round(cold), requests: coldRequests },
    warm: {
      rounds,
      p50ms: warm.p50,
      p95ms: warm.p95,
      p99ms: warm.p99,
      listRequests: warmLists,
      otherRequests: requests.length - warmLists,
    },
    uploadedBytes: uploaded ? Buffer.byteLength(uploaded.content) : 0,
  };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const result = await measureOpsGet(stackEnv(), Number(process.argv[2] ?? 100));
  console.log(JSON.stringify({ machine: machine(), ...result }, null, 2));
  process.exit(0);
}
