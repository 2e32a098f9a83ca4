/**
 * Alertmanager down, then back, under a running bot. The test starts its own real Alertmanager
 * (the stack's binary, its own port and data dir, so the stack's Alertmanager and the suites
 * using it are untouched) and the bot in the shell. While Alertmanager is stopped, and while it
 * hangs (SIGSTOP: the port accepts but nothing answers), `/ops silence add|list` answer with a
 * sentence that names the Alertmanager and what went wrong, and change nothing. After a restart
 * on the same port and data dir, the same bot (not restarted) lists the silences Alertmanager
 * kept and creates new ones.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type Bot, startBot } from '../../src/main.js';
import { Transcript } from '../integration/alerts/support.js';
import { loadStackEnv } from '../stack/env.js';
import { freePort } from '../support/free-port.js';

const env = loadStackEnv();
const dir = mkdtempSync(join(tmpdir(), 'coxswain-am-down-'));
const shell = new Transcript();
let port: number;
let url: string;
let am: ChildProcess | undefined;
let bot: Bot;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

/** Starts Alertmanager on `port` with the data dir it had before (silences survive a restart). */
async function startAlertmanager(): Promise<void> {
  const child = spawn(
    join(env.STACK_BIN, 'alertmanager'),
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${url}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log += chunk;
  });
  am = child;
  const end = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited (${child.exitCode}):\n${log}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`alertmanager not ready on ${port} after 30 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopAlertmanager(): Promise<void> {
  const child = am;
  am = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  await exited;
}

/** Types a command and returns what the bot printed for it (up to the next prompt-free pause). */
async function command(line: string, answer: RegExp, timeoutMs = 30_000): Promise<string> {
  const from = shell.text.length;
  shell.type(line);
  const [matched] = await shell.waitFor(answer, timeoutMs, from);
  return matched;
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    stringify({ route: { receiver: 'null' }, receivers: [{ name: 'null' }] }),
  );
  await startAlertmanager();
  const configPath = join(dir, 'coxswain.yaml');
  writeFileSync(
    configPath,
    stringify({
      log: { level: 'error' },
      store: { sqlite: { path: join(dir, 'coxswain.db') } },
      // A short timeout: a hung Alertmanager must not keep the user waiting for long.
      alertmanagers: [{ name: 'faulty', url, timeout: '2s', retries: 2 }],
    }),
  );
  bot = await startBot({
    shell: true,
    input: shell.input,
    output: shell.output,
    configPath,
    role: 'operator',
    env: {},
  });
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  shell.input.end();
  await bot?.stop();
  await stopAlertmanager();
});

const ADDED = /Silenced `[^`]+` in faulty until [^:]+:\d\d UTC: silence `([0-9a-f-]+)`, by local\./;

describe('Alertmanager down, then back', () => {
  it('silence commands fail clearly while it is down or hung, and work again after a restart on the same port', async () => {
    // Up: a silence is created and listed.
    const before = await command(
      'silence add alertname="FaultProbeBefore" --for 1h --comment "before the outage"',
      ADDED,
    );
    const firstId = ADDED.exec(before)?.[1] as string;
    expect(await command('silence list', /silences? in faulty\n[\s\S]*?before the outage/)).toContain(
      firstId,
    );

    // Down: connection refused. Each command says which Alertmanager, why, and that nothing changed.
    await stopAlertmanager();
    const refusedAdd = await command(
      'silence add alertname="FaultProbeDown" --for 1h --comment "during the outage"',
      /Alertmanager faulty \(http:\/\/127\.0\.0\.1:\d+\) is unreachable: [^\n]+ Nothing was changed\./,
    );
    expect(refusedAdd).toContain('ECONNREFUSED');
    const refusedList = await command(
      'silence list',
      /Alertmanager faulty \(http:\/\/127\.0\.0\.1:\d+\) is unreachable: [^\n]+ Nothing was changed\./,
    );
    expect(refusedList).toContain('ECONNREFUSED');
    await command(
      `silence expire ${firstId}`,
      /Alertmanager faulty [^\n]+ is unreachable[^\n]+Nothing was changed\./,
    );

    // Back on the same port: the same bot works again; the silence made before the outage is kept.
    await startAlertmanager();
    const listed = await command('silence list', /silences? in faulty\n[\s\S]*?before the outage/);
    expect(listed).toContain(firstId);
    expect(listed).not.toContain('during the outage');

    // Hung: the process is stopped (SIGSTOP), so the port accepts and nothing answers. The
    // timeout (2 s per attempt, reads retried) turns that into an answer instead of a wait.
    am?.kill('SIGSTOP');
    const started = Date.now();
    await command(
      'silence list',
      /Alertmanager faulty [^\n]+ is unreachable: no answer within 2000 ms\. Nothing was changed\./,
    );
    const hungAdd = await command(
      'silence add alertname="FaultProbeHung" --for 1h --comment "while hung"',
      /Alertmanager faulty [^\n]+ is unreachable: no answer within 2000 ms\. Nothing was changed\./,
    );
    expect(hungAdd).toBeTruthy();
    // Three attempts for the read (2 s each, backoff between), one for the write: bounded.
    expect(Date.now() - started).toBeLessThan(30_000);
    am?.kill('SIGCONT');

    // Recovered without a bot restart: add and list work again.
    const after = await command(
      'silence add alertname="FaultProbeAfter" --for 1h --comment "after the outage"',
      ADDED,
    );
    const secondId = ADDED.exec(after)?.[1] as string;
    const finalList = await command('silence list', /silences? in faulty\n[\s\S]*?after the outage/);
    expect(finalList).toContain(firstId);
    expect(finalList).toContain(secondId);
    // The write sent while Alertmanager hung was not retried: it may have arrived (then it is
    // listed once) or not, never twice.
    const response = await fetch(`${url}/api/v2/silences`);
    const silences = (await response.json()) as { comment: string; status: { state: string } }[];
    expect(silences.filter((s) => s.comment === 'while hung').length).toBeLessThanOrEqual(1);
    expect(silences.filter((s) => s.comment === 'during the outage')).toEqual([]);
    expect(unhandled.map(String)).toEqual([]);
  });
});
