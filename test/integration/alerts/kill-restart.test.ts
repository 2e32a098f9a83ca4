/**
 * The bot as a real process, killed with SIGKILL in the middle of delivering a batch that the
 * real Alertmanager sent, then started again on the same store: it resumes from the outbox and
 * delivers the rest. Alertmanager had its 200s before the kill, so it sends nothing again;
 * whatever the second process posts came from the outbox.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqlStore } from '../../../src/store/sql-store.js';
import { SqliteDriver } from '../../../src/store/sqlite-driver.js';
import { loadStackEnv } from '../../stack/env.js';
import { pushAlerts, writeBotConfig } from './support.js';

const env = loadStackEnv();
const root = new URL('../../../', import.meta.url).pathname;
const run = Math.random().toString(36).slice(2, 10);
const GROUPS = 10;
// Three posts a second, so the batch takes a few seconds and can be cut in the middle.
const { path: configPath, dir } = writeBotConfig(env, { delivery: { ratePerSecond: 3 } });
const children: ChildProcess[] = [];

function startBotProcess(): { child: ChildProcess; out: { text: string } } {
  const child = spawn(
    process.execPath,
    [
      '--experimental-transform-types',
      '--no-warnings',
      '--import',
      join(root, 'test/support/run-ts/register.mjs'),
      join(root, 'src/cli.ts'),
      '--shell',
      '--port',
      env.BOT_PORT,
      '--config',
      configPath,
      '--role',
      'operator',
    ],
    { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } },
  );
  children.push(child);
  const out = { text: '' };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out.text += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    out.text += chunk;
  });
  return { child, out };
}

async function waitUntil(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const posted = (text: string) =>
  [...text.matchAll(/\[#alerts\] ⚠ FIRING: CoxswainKillProbe\n\*\*kill probe (\d+)\*\*/g)].map((m) =>
    Number(m[1]),
  );
const labels = (i: number) => ({
  alertname: 'CoxswainKillProbe',
  cluster: 'infra',
  namespace: `kill-${run}-${i}`,
  severity: 'warning',
});

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await pushAlerts(
    env,
    Array.from({ length: GROUPS }, (_, i) => ({ labels: labels(i), endsAt: new Date().toISOString() })),
  ).catch(() => undefined); // cleanup only
});

describe('SIGKILL in the middle of a batch', () => {
  it('resumes from the outbox after a restart and delivers the rest', async () => {
    const first = startBotProcess();
    await waitUntil('the first bot to listen', async () => {
      try {
        return (await fetch(`http://127.0.0.1:${env.BOT_PORT}/healthz`)).ok;
      } catch {
        return false;
      }
    });
    await pushAlerts(
      env,
      Array.from({ length: GROUPS }, (_, i) => ({
        labels: labels(i),
        annotations: { summary: `kill probe ${i}` },
        endsAt: new Date(Date.now() + 600_000).toISOString(),
      })),
    );
    await waitUntil('a few posts', () => posted(first.out.text).length >= 3);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const beforeKill = posted(first.out.text);
    expect(beforeKill.length).toBeLessThan(GROUPS);

    const store = new SqlStore(new SqliteDriver(join(dir, 'coxswain.db')));
    const pendingAtRestart = (await store.dueOutbox(Number.MAX_SAFE_INTEGER, 1000)).filter((r) =>
      r.groupKey.includes(`kill-${run}`),
    ).length;
    // Every alert Alertmanager sent is in the store: delivered, or pending for the next process.
    expect(pendingAtRestart + beforeKill.length).toBeGreaterThanOrEqual(GROUPS);

    const second = startBotProcess();
    await waitUntil(
      'the rest delivered',
      () => new Set([...beforeKill, ...posted(second.out.text)]).size === GROUPS,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const afterRestart = posted(second.out.text);
    const all = [...beforeKill, ...afterRestart];
    expect(new Set(all).size).toBe(GROUPS);
    // At least once: only a post cut between chat and the store can show twice.
    expect(all.length - GROUPS).toBeLessThanOrEqual(1);
    const left = (await store.dueOutbox(Number.MAX_SAFE_INTEGER, 1000)).filter((r) =>
      r.groupKey.includes(`kill-${run}`),
    );
    expect(left).toEqual([]);
    await store.close();
    second.child.kill('SIGTERM');
    second.child.stdin?.end();
    await new Promise((resolve) => second.child.once('exit', resolve));
  });
});
