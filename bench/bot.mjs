// The built bot (dist/, through bin/coxswain.js) as a child process, configured with the
// Mattermost adapter pointed at the benchmark's chat double, SQLite on disk, HTTP on
// 127.0.0.1. What the alert benchmarks read from it: /readyz, /metrics, /proc (RSS, CPU time).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, waitFor } from './lib.mjs';

const bin = new URL('../bin/coxswain.js', import.meta.url).pathname;
export const WEBHOOK_TOKEN = 'bench-webhook-token-0123456789';
export const CHAT_TOKEN = 'bench-chat-token-0123456789';

/** Routes as a two-cluster platform has them: each cluster's channel, on-call mentioned. */
export const ROUTES = [
  { matchers: ['cluster="apps"'], channels: ['apps-alerts'], mention: '@oncall-apps' },
  { matchers: ['cluster="infra"'], channels: ['infra-alerts'], mention: '@oncall-platform' },
];

/** `config` is merged into the top of the bot's configuration (clusters, schedules, …). */
export async function startBot({ chatUrl, alerts = {}, nodeArgs = [], env = {}, config: extra = {} }) {
  const dir = mkdtempSync(join(tmpdir(), 'coxswain-bench-bot-'));
  const port = await freePort();
  const config = {
    log: { level: 'error' },
    http: { host: '127.0.0.1', port },
    store: { sqlite: { path: join(dir, 'coxswain.db') } },
    chat: { mattermost: { url: chatUrl, token: CHAT_TOKEN, teams: ['platform'] } },
    alerts: {
      webhook: { token: WEBHOOK_TOKEN },
      routes: ROUTES,
      defaultRoute: { channels: ['alerts'] },
      ...alerts,
    },
    ...extra,
  };
  const configPath = join(dir, 'coxswain.yaml');
  writeFileSync(configPath, stringify(config));
  const started = performance.now();
  // BENCH_BOT_NODE_ARGS: extra node/V8 flags for the bot only, for experiments (V8 flags such as
  // --heap-growing-percent are not allowed in NODE_OPTIONS).
  const extraArgs = (process.env.BENCH_BOT_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extraArgs, ...nodeArgs, bin, '--config', configPath], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) return true;
      return (await fetch(`${base}/readyz`)).status === 200;
    }, 30_000);
    if (child.exitCode !== null) throw new Error(`the bot exited (${child.exitCode})`);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`the bot did not become ready: ${error.message}\n${stderr}`);
  }
  const readyMs = performance.now() - started;
  const inspectorUrl = /ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+/.exec(stderr)?.[0];
  return {
    base,
    pid: child.pid,
    readyMs,
    webhookUrl: `${base}/hooks/alertmanager`,
    /** The numbers /metrics shows now, by full series name. */
    async metrics() {
      const text = await (await fetch(`${base}/metrics`)).text();
      const values = {};
      for (const line of text.split('\n')) {
        const m = /^(coxswain_[a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$/.exec(line);
        if (m) values[m[1]] = Number(m[2]);
      }
      return values;
    },
    /** CPU seconds (user + system) the bot has used so far. */
    cpuSeconds() {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
    },
    /**
     * With nodeArgs ['--inspect=127.0.0.1:0']: a full garbage collection through the inspector,
     * then process.memoryUsage() in MiB, so live heap can be told from heap V8 merely kept, and
     * V8's heap spaces (MiB, size/used).
     */
    async heapAfterGc() {
      if (!inspectorUrl) throw new Error('start the bot with --inspect=127.0.0.1:0 to read its heap');
      const { WebSocket } = await import('ws');
      const socket = new WebSocket(inspectorUrl);
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      let next = 0;
      const call = (method, params = {}) =>
        new Promise((resolve) => {
          const id = ++next;
          const onMessage = (data) => {
            const message = JSON.parse(String(data));
            if (message.id !== id) return;
            socket.off('message', onMessage);
            resolve(message.result);
          };
          socket.on('message', onMessage);
          socket.send(JSON.stringify({ id, method, params }));
        });
      await call('HeapProfiler.enable');
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
      const expression = `JSON.stringify({ usage: process.memoryUsage(),
        spaces: process.getBuiltinModule('v8').getHeapSpaceStatistics() })`;
      const result = await call('Runtime.evaluate', { expression, returnByValue: true });
      socket.close();
      const { usage, spaces } = JSON.parse(result.result.value);
      const mib = (v) => v / 2 ** 20;
      return {
        ...Object.fromEntries(Object.entries(usage).map(([k, v]) => [k, mib(v)])),
        // "size/used" per space, rounded for reading (the usage figures above are not rounded).
        spaces: Object.fromEntries(
          spaces.map((s) => [
            s.space_name,
            `${mib(s.space_size).toFixed(1)}/${mib(s.space_used_size).toFixed(1)}`,
          ]),
        ),
      };
    },
    /**
     * The main thread's (the event loop's) seconds on a CPU and waiting in the run queue for one,
     * from /proc/<pid>/task/<pid>/schedstat: the rest of the wall time it was blocked or idle.
     */
    mainThread() {
      const [cpu, wait] = readFileSync(`/proc/${child.pid}/task/${child.pid}/schedstat`, 'utf8').split(' ');
      return { cpu: Number(cpu) / 1e9, wait: Number(wait) / 1e9 };
    },
    /** Peak resident set so far (VmHWM), MiB. */
    peakMiB() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) / 1024;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// node:http with keep-alive rather than fetch: the load generator shares the machine's two
// cores with the bot, and undici's fetch costs it several times more CPU per request.
const agent = new Agent({ keepAlive: true, maxSockets: 512 });

/** Posts one webhook to the bot (or the relay); resolves with the HTTP status. */
export function postWebhook(url, body) {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${WEBHOOK_TOKEN}`,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
