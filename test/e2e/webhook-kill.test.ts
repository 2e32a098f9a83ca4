/**
 * kill -9 of the built bot while Alertmanager webhooks pour in: every webhook that was answered
 * 200 is in the store afterwards, whole. The outbox rows of a group of webhooks are committed
 * without waiting for the disk and fsynced (the WAL, in the thread pool) before their 200s, so
 * this is the check that the 200 still comes after the rows are durable. A real process, real
 * HTTP on loopback, a SQLite file; the store is read back by a fresh process-independent open.
 * Needs `npm run build` (the test script runs it first).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SqliteDriver } from '../../src/store/sqlite-driver.js';
import { alert, payload } from '../support/alert-payloads.js';
import { freePort } from '../support/free-port.js';

const bin = new URL('../../bin/coxswain.js', import.meta.url).pathname;
const TOKEN = 'kill-test-webhook-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'coxswain-webhook-kill-'));
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the status, or with 'dropped' when the connection died without an answer. */
function send(port: number, body: string): Promise<number | 'dropped'> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/hooks/alertmanager',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${TOKEN}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve('dropped'));
      },
    );
    req.on('error', () => resolve('dropped'));
    req.end(body);
  });
}

describe('kill -9 while webhooks arrive', () => {
  it('loses no alert of a webhook that was answered 200', async () => {
    const port = await freePort();
    const db = join(dir, 'coxswain.db');
    writeFileSync(
      join(dir, 'coxswain.yaml'),
      stringify({
        log: { level: 'warn' },
        store: { sqlite: { path: db } },
        alerts: { webhook: { token: TOKEN } },
      }),
    );
    // No chat platform configured: the shell is the chat, open as long as its stdin is; HTTP (the
    // webhook) on the port given.
    child = spawn(
      process.execPath,
      [bin, '--shell', '--port', String(port), '--config', join(dir, 'coxswain.yaml')],
      { cwd: dir, stdio: ['pipe', 'ignore', 'ignore'] },
    );
    for (let i = 0; ; i++) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      if (i > 300) throw new Error('the bot did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // 32 senders, each sending its next webhook as soon as the last is answered, until the kill.
    const answered: number[] = [];
    const unanswered: number[] = [];
    let next = 0;
    let killed = false;
    const webhook = (n: number) =>
      JSON.stringify(
        payload([alert({ labels: { pod: `w${n}-a` } }), alert({ labels: { pod: `w${n}-b` } })], {
          groupKey: `{}:{alertname="DiskFull", webhook="${n}"}`,
        }),
      );
    const sender = async () => {
      while (!killed) {
        const n = next++;
        const status = await send(port, webhook(n));
        if (status === 200) answered.push(n);
        else unanswered.push(n);
      }
    };
    const senders = Array.from({ length: 32 }, sender);
    // Kill once a good many were answered: the process dies with groups mid-commit.
    while (answered.length < 300) await new Promise((resolve) => setTimeout(resolve, 5));
    child.kill('SIGKILL');
    killed = true;
    await new Promise((resolve) => child?.once('exit', resolve));
    await Promise.all(senders);

    // Every row, delivered or not (the bot's shell delivers some before the kill).
    const driver = new SqliteDriver(db);
    const rows = (await driver.all('SELECT group_key FROM alert_outbox')).map((row) => ({
      groupKey: String(row.group_key),
    }));
    await driver.close();
    const stored = new Set(rows.map((row) => row.groupKey));
    const lost = answered.filter((n) => !stored.has(`{}:{alertname="DiskFull", webhook="${n}"}`));
    expect(lost).toEqual([]);
    // Whole: both alerts of every stored webhook.
    const perGroup = new Map<string, number>();
    for (const row of rows) perGroup.set(row.groupKey, (perGroup.get(row.groupKey) ?? 0) + 1);
    expect([...perGroup.values()].every((count) => count === 2)).toBe(true);
    // The kill landed while webhooks were in flight (those got no 200).
    expect(unanswered.length).toBeGreaterThan(0);
  });
});
