// Footprint: start-to-ready time and idle RSS of the built bot (shell adapter, SQLite, HTTP on),
// against the floor of a bare Node HTTP server started the same way in the same run.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ms, rssMiB, summarize, waitFor } from './lib.mjs';

const bin = new URL('../bin/coxswain.js', import.meta.url).pathname;
const FLOOR = `require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[1]), '127.0.0.1')`;

async function startAndMeasure(args, readyPath) {
  const port = await freePort();
  const cwd = mkdtempSync(join(tmpdir(), 'coxswain-bench-'));
  const started = performance.now();
  const child = spawn(process.execPath, [...args(port)], { cwd, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  await waitFor(
    async () =>
      child.exitCode !== null || (await fetch(`http://127.0.0.1:${port}${readyPath}`)).status === 200,
  );
  if (child.exitCode !== null)
    throw new Error(`${args(port).join(' ')} exited (${child.exitCode}): ${stderr}`);
  const readyMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 1500)); // let start-up garbage settle
  const rss = rssMiB(child.pid);
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kib = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1]) / 1024;
  child.kill('SIGKILL');
  await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
  rmSync(cwd, { recursive: true, force: true });
  return { readyMs, rss, anon: kib('RssAnon'), file: kib('RssFile') };
}

export async function run({ rounds = 5 } = {}) {
  const bot = [];
  const floor = [];
  for (let i = 0; i < rounds; i++) {
    // Interleaved, so drift on a noisy machine hits both alike.
    bot.push(await startAndMeasure((port) => [bin, '--shell', '--port', String(port)], '/readyz'));
    floor.push(await startAndMeasure((port) => ['-e', FLOOR, String(port)], '/'));
  }
  const ready = summarize(bot.map((r) => r.readyMs));
  const readyFloor = summarize(floor.map((r) => r.readyMs));
  const rss = summarize(bot.map((r) => r.rss));
  const rssFloor = summarize(floor.map((r) => r.rss));
  const anon = summarize(bot.map((r) => r.anon));
  const anonFloor = summarize(floor.map((r) => r.anon));
  const file = summarize(bot.map((r) => r.file));
  const fileFloor = summarize(floor.map((r) => r.file));
  return {
    title: 'Footprint: start to ready, idle RSS',
    rows: [
      [
        `start → /readyz 200 (p50 of ${rounds})`,
        ms(ready.p50),
        ms(readyFloor.p50),
        `${(ready.p50 / readyFloor.p50).toFixed(1)}×`,
        '≤ 1,500 ms',
      ],
      [
        'idle RSS after ready (p50)',
        `${rss.p50.toFixed(0)} MiB`,
        `${rssFloor.p50.toFixed(0)} MiB`,
        `${(rss.p50 / rssFloor.p50).toFixed(1)}×`,
        '≤ 80 MiB',
      ],
      [
        '… of which anonymous (heap, stacks, malloc)',
        `${anon.p50.toFixed(0)} MiB`,
        `${anonFloor.p50.toFixed(0)} MiB`,
        `${(anon.p50 / anonFloor.p50).toFixed(1)}×`,
        '',
      ],
      [
        "… of which file-backed (the node binary's code and data, addons; shared, clean)",
        `${file.p50.toFixed(0)} MiB`,
        `${fileFloor.p50.toFixed(0)} MiB`,
        `${(file.p50 / fileFloor.p50).toFixed(1)}×`,
        '',
      ],
    ],
    header: ['measure', 'coxswain', 'floor: bare node:http', 'ratio', 'goal'],
    readyMs: ready.p50,
    idleMiB: rss.p50,
    note: 'The bot here runs the shell adapter on SQLite with HTTP on; no Kubernetes client is loaded until a cluster is configured.',
  };
}
