// `npm run bench:botkube`: coxswain and Botkube v1.14.0 side by side, in one run, on the same
// real Mattermost 11.4 server and the same apps cluster of the test stack (5,000 pods of
// load/scale plus the seed). Alternating between the two bots, it measures:
// - RSS idle (connected, nothing asked yet) and with the 5,000 pods read (after the `get pods`
//   rounds): coxswain's one process; Botkube's agent plus its plugin processes, summed;
// - a read command, from alice's post to the answer reaching her WebSocket: `/ops get pods -n X`
//   (a slash command; coxswain answers her alone, or uploads a file into the channel when the
//   table is too long) against `@botkube kubectl get pods -n X` (a mention; Botkube's kubectl
//   executor runs the kubectl binary and posts the output, as a file when long);
// - an event forwarded into the channel: for Botkube a Warning Event about a pod written to the
//   API server (its Kubernetes source's `error` events), for coxswain an Alertmanager webhook
//   POSTed to it (what Alertmanager sends once a group is due); each timed until the post is in
//   the channel.
// It writes its section of BENCHMARKS.md between `<!-- botkube:start -->` and
// `<!-- botkube:end -->`. Heavy (a stack with 5,000 pods, PostgreSQL, Mattermost, two bots):
// not part of `npm test`. Rounds: BENCH_BOTKUBE_ROUNDS (default 20 per small read and event
// measure; a quarter of that, at least 3, for the 5,000-pod reads).
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { freePort, summarize, waitFor } from '../lib.mjs';
import {
  cacheDir,
  clusterManifest,
  startAgent,
  startPluginServer,
  treeRss,
  writeConfig,
} from './botkube.mjs';
import { apiClient, kubectl } from './kube.mjs';
import { addBotkubeAccount, Listener, loadServerModule, postText } from './mattermost.mjs';
import { writeSection } from './section.mjs';

const run$ = promisify(execFile);
const repo = new URL('../..', import.meta.url).pathname;
const ROUNDS = Number(process.env.BENCH_BOTKUBE_ROUNDS ?? 20);
const BIG_ROUNDS = Math.max(3, Math.round(ROUNDS / 4));
const PODS = 5000;
const WEBHOOK_TOKEN = 'bench-botkube-webhook-token-0123456789';
const log = (msg) =>
  process.stderr.write(`[bench:botkube ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(', ');

if (Number(process.versions.node.split('.')[0]) < 24) {
  process.stderr.write(`bench:botkube: needs Node 24 or newer; this is Node ${process.version}\n`);
  process.exit(1);
}

// ---- the stack -------------------------------------------------------------------------------
function stateDir() {
  const dir = process.env.STACK_STATE_DIR ?? 'test/stack/.state';
  return isAbsolute(dir) ? dir : join(repo, dir);
}
const stackEnvFor = () => ({ ...process.env, STACK_STATE_DIR: stateDir() });
async function stackHealthy() {
  try {
    await run$('bash', [join(repo, 'test/stack/status.sh'), '--check'], { env: stackEnvFor() });
    return true;
  } catch {
    return false;
  }
}
function readStackEnv() {
  const env = {};
  for (const line of readFileSync(join(stateDir(), 'env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  return env;
}

const cleanups = [];
/** What to print when the run fails: the tails of both bots' logs. */
let failureContext;
async function cleanup() {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (error) {
      log(`cleanup: ${error.message}`);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => cleanup().finally(() => process.exit(130)));

const startedAt = new Date();
const loadBefore = load();
const began = performance.now();
try {
  log('building Botkube (once per version, bench/botkube/build.sh)');
  await run$('bash', [join(repo, 'bench/botkube/build.sh')], { maxBuffer: 1 << 24 }).catch((error) => {
    throw new Error(`bench/botkube/build.sh failed:\n${error.stderr ?? error.message}`);
  });

  let startedStack = false;
  if (!(await stackHealthy())) {
    log(`starting the test stack with --pods ${PODS} in ${stateDir()}`);
    await run$('bash', [join(repo, 'test/stack/up.sh'), '--pods', String(PODS)], {
      env: stackEnvFor(),
      maxBuffer: 1 << 24,
    });
    startedStack = true;
  }
  if (startedStack && !process.env.BENCH_KEEP_STACK)
    cleanups.push(() => run$('bash', [join(repo, 'test/stack/down.sh')], { env: stackEnvFor() }));
  const env = readStackEnv();
  const podsOnApps = (await kubectl(env, ['get', 'pods', '-A', '--no-headers'])).trim().split('\n').length;
  const loadPods = (await kubectl(env, ['get', 'pods', '-n', 'load', '--no-headers']))
    .trim()
    .split('\n').length;
  if (loadPods < PODS)
    throw new Error(
      `the stack in ${stateDir()} has ${loadPods} pods in load/, not ${PODS}: start it with \`bash test/stack/up.sh --pods ${PODS}\` or point STACK_STATE_DIR elsewhere`,
    );
  const eventsOnApps = (await kubectl(env, ['get', 'events', '-A', '--no-headers']))
    .trim()
    .split('\n').length;
  log(`stack: ${podsOnApps} pods on apps (${loadPods} in load/), ${eventsOnApps} Events`);
  await kubectl(
    env,
    ['apply', '-f', '-'],
    clusterManifest()
      .map((m) => JSON.stringify(m))
      .join('\n'),
  );

  // ---- Mattermost ----------------------------------------------------------------------------
  log('starting Mattermost 11.4 on a fresh PostgreSQL (test/stack/mattermost/server.ts)');
  const server = await loadServerModule();
  server.buildMattermost();
  // Registered before the start: stopMattermost() stops what a half-done start left running.
  let mm;
  cleanups.push(() => server.stopMattermost(mm));
  mm = await server.startMattermost();
  const botkubeUser = await addBotkubeAccount(server, mm);
  const api = new server.Api(mm.url);
  api.token = mm.alice.token;
  const alice = new Listener();
  await alice.open(mm.url, mm.alice.token);
  cleanups.push(() => alice.close());

  // ---- coxswain (dist/, its own process) ----------------------------------------------------
  const work = mkdtempSync(join(tmpdir(), 'coxswain-bench-botkube-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const coxPort = await freePort();
  const coxConfig = join(work, 'coxswain.yaml');
  writeFileSync(
    coxConfig,
    stringify({
      log: { level: 'error' },
      http: { host: '127.0.0.1', port: coxPort },
      store: { sqlite: { path: join(work, 'coxswain.db') } },
      security: { signingKey: 'b'.repeat(40) },
      chat: {
        mattermost: {
          url: mm.url,
          token: mm.bot.token,
          teams: [mm.teamName],
          commandOwner: mm.admin.username,
          publicUrl: `http://127.0.0.1:${coxPort}`,
        },
      },
      clusters: [{ name: 'apps', kubeconfig: env.KUBECONFIG_APPS, context: 'apps' }],
      auth: { bindings: [{ role: 'viewer', users: ['alice'] }] },
      alerts: {
        webhook: { token: WEBHOOK_TOKEN },
        defaultRoute: { channels: [mm.channelName] },
        storm: { threshold: 100_000 },
      },
    }),
  );
  const cox = spawn(process.execPath, [join(repo, 'bin/coxswain.js'), '--config', coxConfig], {
    cwd: work,
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let coxErr = '';
  cox.stderr.setEncoding('utf8').on('data', (c) => {
    coxErr = (coxErr + c).slice(-8000);
  });
  cleanups.push(() => cox.kill('SIGTERM'));
  const coxUrl = `http://127.0.0.1:${coxPort}`;
  await waitFor(async () => {
    if (cox.exitCode !== null) throw new Error(`coxswain exited (${cox.exitCode}): ${coxErr}`);
    const health = await (await fetch(`${coxUrl}/healthz`)).json();
    return health.details?.['chat:mattermost'] === true;
  }, 120_000).catch((error) => {
    throw new Error(`coxswain did not connect to Mattermost: ${error.message}\n${coxErr}`);
  });
  log(`coxswain connected (pid ${cox.pid})`);

  // ---- Botkube ------------------------------------------------------------------------------
  const plugins = await startPluginServer();
  cleanups.push(() => plugins.close());
  const bkDir = join(work, 'botkube');
  mkdirSync(bkDir);
  const bkConfig = writeConfig(bkDir, {
    mm,
    bot: botkubeUser,
    pluginIndexUrl: plugins.url,
    kubeconfig: env.KUBECONFIG_APPS,
    healthPort: await freePort(),
    metricsPort: await freePort(),
  });
  const agent = await startAgent(bkDir, bkConfig, env.KUBECONFIG_APPS);
  cleanups.push(() => agent.child.kill('SIGTERM'));
  failureContext = () => `botkube log tail:\n${agent.log()}\ncoxswain stderr tail:\n${coxErr.slice(-2000)}`;
  log(
    `botkube connected (pid ${agent.pid}; ${treeRss(agent.pid)
      .parts.map((p) => p.name)
      .join(', ')})`,
  );

  // ---- idle RSS ------------------------------------------------------------------------------
  const settle = Number(process.env.BENCH_BOTKUBE_SETTLE_S ?? 30);
  log(`idle: ${settle} s to settle, then 5 samples, alternating`);
  await new Promise((r) => setTimeout(r, settle * 1000));
  const rssSamples = () => {
    const c = [];
    const b = [];
    let parts;
    return {
      async take(n = 5) {
        for (let i = 0; i < n; i++) {
          if (i % 2 === 0) {
            c.push(treeRss(cox.pid).total);
            const t = treeRss(agent.pid);
            b.push(t.total);
            parts = t.parts;
          } else {
            const t = treeRss(agent.pid);
            b.push(t.total);
            parts = t.parts;
            c.push(treeRss(cox.pid).total);
          }
          await new Promise((r) => setTimeout(r, 2000));
        }
        return { cox: summarize(c).p50, botkube: summarize(b).p50, parts };
      },
    };
  };
  const idle = await rssSamples().take();
  log(`idle RSS: coxswain ${idle.cox.toFixed(0)} MiB; botkube ${idle.botkube.toFixed(0)} MiB`);

  // ---- read commands -------------------------------------------------------------------------
  // An ephemeral answer to a slash command carries the user id Mattermost gives it (not the bot's);
  // only coxswain has a slash command here, so every ephemeral message to alice is its answer.
  const fromCox = (e) =>
    e.event === 'ephemeral_message' || (e.event === 'posted' && e.post?.user_id === mm.bot.id);
  const fromBotkube = (e) => e.event === 'posted' && e.post?.user_id === botkubeUser.id;
  const asks = {
    cox: async (ns, expect) => {
      const answer = alice.next((e) => fromCox(e) && expect(e), 120_000);
      const t0 = performance.now();
      await api.call('POST', '/commands/execute', {
        channel_id: mm.channelId,
        team_id: mm.teamId,
        command: `/ops get pods -n ${ns}`,
      });
      return (await answer).at - t0;
    },
    botkube: async (ns, expect) => {
      const answer = alice.next((e) => fromBotkube(e) && expect(e), 120_000);
      const t0 = performance.now();
      await api.call('POST', '/posts', {
        channel_id: mm.channelId,
        message: `@${botkubeUser.username} kubectl get pods -n ${ns}`,
      });
      return (await answer).at - t0;
    },
  };
  const small = 'monitoring';
  const smallPods = (await kubectl(env, ['get', 'pods', '-n', small, '--no-headers'])).trim().split('\n');
  const firstPod = smallPods[0].split(/\s+/)[0];
  // The small answer must carry the table (a pod's name); the big one is a file either way.
  const smallOk = (e) => postText(e.post).includes(firstPod);
  const bigOk = (e) => (e.post?.file_ids?.length ?? 0) > 0;
  async function alternate(rounds, fn) {
    const out = { cox: [], botkube: [] };
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? ['cox', 'botkube'] : ['botkube', 'cox'];
      for (const who of order) {
        out[who].push(await fn(who));
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    return out;
  }
  log(`get pods -n ${small} (${smallPods.length} pods): 1 warm-up + ${ROUNDS} rounds each, alternating`);
  await alternate(1, (who) => asks[who](small, smallOk));
  const smallLat = await alternate(ROUNDS, (who) => asks[who](small, smallOk));
  log(`get pods -n load (${loadPods} pods): 1 warm-up + ${BIG_ROUNDS} rounds each, alternating`);
  // While the 5,000-pod reads run, both process trees are sampled every 100 ms: Botkube's
  // kubectl (a child of its executor plugin) lives only during a command, so its memory shows
  // only in a peak, not in the samples after.
  const peak = { cox: 0, botkube: 0 };
  const sampler = setInterval(() => {
    peak.cox = Math.max(peak.cox, treeRss(cox.pid).total);
    peak.botkube = Math.max(peak.botkube, treeRss(agent.pid).total);
  }, 100);
  await alternate(1, (who) => asks[who]('load', bigOk));
  const bigLat = await alternate(BIG_ROUNDS, (who) => asks[who]('load', bigOk));
  clearInterval(sampler);

  // ---- events into the channel -------------------------------------------------------------
  const kube = apiClient(env.KUBECONFIG_APPS);
  cleanups.push(() => kube.close());
  const loadPod = (await kubectl(env, ['get', 'pods', '-n', 'load', '--no-headers', '-o', 'name']))
    .trim()
    .split('\n')[0]
    .replace('pod/', '');
  let seq = 0;
  const events = {
    botkube: async () => {
      const marker = `bench-bk-${Date.now().toString(36)}-${++seq}`;
      const answer = alice.next((e) => fromBotkube(e) && postText(e.post).includes(marker), 120_000);
      const now = new Date().toISOString();
      const t0 = performance.now();
      await kube.post('/api/v1/namespaces/load/events', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: marker, namespace: 'load' },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: loadPod, namespace: 'load' },
        type: 'Warning',
        reason: 'BackOff',
        message: `Back-off restarting failed container (${marker})`,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        source: { component: 'kubelet' },
      });
      return (await answer).at - t0;
    },
    cox: async () => {
      const marker = `bench-cx-${Date.now().toString(36)}-${++seq}`;
      const answer = alice.next(
        (e) => e.event === 'posted' && e.post?.user_id === mm.bot.id && postText(e.post).includes(marker),
        120_000,
      );
      const now = new Date().toISOString();
      const body = {
        version: '4',
        groupKey: `{}:{alertname="PodCrashLooping",pod="${marker}"}`,
        status: 'firing',
        receiver: 'coxswain',
        groupLabels: { alertname: 'PodCrashLooping', pod: marker },
        commonLabels: {
          alertname: 'PodCrashLooping',
          cluster: 'apps',
          namespace: 'load',
          pod: marker,
          severity: 'warning',
        },
        commonAnnotations: { summary: `Back-off restarting failed container (${marker})` },
        externalURL: 'http://alertmanager.invalid',
        truncatedAlerts: 0,
        alerts: [
          {
            status: 'firing',
            labels: {
              alertname: 'PodCrashLooping',
              cluster: 'apps',
              namespace: 'load',
              pod: marker,
              severity: 'warning',
            },
            annotations: { summary: `Back-off restarting failed container (${marker})` },
            startsAt: now,
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: 'http://prometheus.invalid/graph',
            fingerprint: createFingerprint(marker),
          },
        ],
      };
      const t0 = performance.now();
      const res = await fetch(`${coxUrl}/hooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`coxswain webhook: ${res.status} ${await res.text()}`);
      return (await answer).at - t0;
    },
  };
  log(`events: 1 warm-up + ${ROUNDS} rounds each, alternating`);
  await alternate(1, (who) => events[who]());
  const eventLat = await alternate(ROUNDS, (who) => events[who]());

  // ---- RSS after the 5,000 pods were read ---------------------------------------------------
  await new Promise((r) => setTimeout(r, 5000));
  const busy = await rssSamples().take();
  log(`RSS after the reads: coxswain ${busy.cox.toFixed(0)} MiB; botkube ${busy.botkube.toFixed(0)} MiB`);

  const loadAfter = load();
  const minutes = ((performance.now() - began) / 60_000).toFixed(1);
  writeSection({
    startedAt,
    loadBefore,
    loadAfter,
    minutes,
    podsOnApps,
    loadPods,
    eventsOnApps,
    small,
    smallPods: smallPods.length,
    idle,
    busy,
    peak,
    smallLat,
    bigLat,
    eventLat,
    bkConfig: readFileSync(bkConfig, 'utf8'),
    build: readFileSync(join(cacheDir(), 'BUILD.txt'), 'utf8'),
    mmUrl: mm.url,
    pods: PODS,
  });
  log(`wrote the botkube section of BENCHMARKS.md (${minutes} min)`);
} catch (error) {
  log(`FAILED: ${error.stack ?? error.message}`);
  if (failureContext) {
    const file = join(tmpdir(), 'bench-botkube-failure.log');
    writeFileSync(file, failureContext());
    log(`both bots' log tails: ${file}`);
  }
  process.exitCode = 1;
} finally {
  await cleanup();
}

function createFingerprint(text) {
  let h = 0n;
  for (const ch of text) h = (h * 131n + BigInt(ch.codePointAt(0))) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}
