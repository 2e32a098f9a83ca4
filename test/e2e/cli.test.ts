/**
 * The built `coxswain` command, run as a user runs it: a real process, real stdin/stdout, real
 * HTTP on loopback, real signals. Needs `npm run build` (the test script runs it first).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allGroups } from '../../commands/index.js';
import { freePort } from '../support/free-port.js';

const bin = new URL('../../bin/coxswain.js', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'coxswain-e2e-'));

function run(args: string[], input = '', env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [bin, ...args], {
    input,
    encoding: 'utf8',
    cwd: work,
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
}

describe('coxswain --shell from a pipe', () => {
  it('answers help and a did-you-mean, then exits 0 at end of input', () => {
    const result = run(['--shell'], '/ops help\n/ops nosuch\n');
    expect(result.status).toBe(0);
    for (const group of allGroups()) expect(result.stdout).toContain(`**/ops ${group.name}**`);
    const helpAt = result.stdout.indexOf('**/ops help**');
    const didYouMean = result.stdout.indexOf("I don't know the command `nosuch`. Did you mean");
    expect(helpAt).toBeGreaterThan(-1);
    expect(didYouMean).toBeGreaterThan(helpAt);
    expect(result.stderr).toBe('');
  });

  it('shows buttons as numbered choices that work, through the signature check', () => {
    const result = run(['--shell', '--role', 'admin'], '/ops phase pause foundation\n1\n1\n');
    expect(result.stdout).toContain('Run `/ops phase pause foundation`?');
    expect(result.stdout).toMatch(/\[1\] Confirm {2}\[2\] Cancel/);
    expect(result.stdout).toContain('Confirmed by @local');
    // The confirmed command ran: with no clusters configured, it says what it needs.
    expect(result.stdout).toContain('Phases need the clusters they change: add `clusters:`');
    expect(result.stdout).toContain('That request was already used.');
    expect(result.status).toBe(0);
  });

  it('denies by role', () => {
    const result = run(['--shell', '--role', 'viewer'], '/ops audit\n');
    expect(result.stdout).toContain('`/ops audit` needs the admin role; you have the viewer role here.');
  });

  it('keeps the audit log in the embedded SQLite file across runs', () => {
    run(['--shell'], '/ops help\n');
    const result = run(['--shell', '--role', 'admin'], '/ops audit --user local\n');
    expect(result.stdout).toMatch(/\| local \| shell \| help \| ok \|/);
  });
});

describe('configuration errors', () => {
  it('stop the bot with one clear line per problem and no stack trace', () => {
    const config = join(work, 'bad.yaml');
    writeFileSync(
      config,
      'chat:\n  mattermost:\n    url: nope\n    token: t\n    teams: [a]\nhttp:\n  port: -1\n',
    );
    const result = run(['--config', config]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `coxswain: invalid configuration in ${config}:\n  http.port: Too small: expected number to be >=0\n  chat.mattermost.url: must be a URL\n`,
    );
  });

  it('are found by `config check` without starting', () => {
    const good = join(work, 'good.yaml');
    writeFileSync(good, 'command: /ops\n');
    expect(run(['config', 'check', good]).stdout).toBe(`${good}: ok\n`);
    const bad = join(work, 'typo.yaml');
    writeFileSync(bad, 'comand: /ops\n');
    const result = run(['config', 'check', bad]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('comand: unknown key (check its spelling)');
  });

  it('refuse a time zone the runtime does not know, and show times in the one configured', () => {
    const bad = join(work, 'zone.yaml');
    writeFileSync(bad, 'timeZone: Europe/Atlantis\n');
    const refused = run(['config', 'check', bad]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('timeZone: must be an IANA time zone like UTC, Europe/Berlin');
    const berlin = join(work, 'berlin.yaml');
    writeFileSync(berlin, 'timeZone: Europe/Berlin\nstore:\n  sqlite:\n    path: ./berlin.db\n');
    run(['--config', berlin, '--shell'], '/ops help\n');
    const audit = run(['--config', berlin, '--shell', '--role', 'admin'], '/ops audit\n');
    // The audit log's times in Berlin, zone named (it printed `(UTC)` times only before).
    expect(audit.stdout).toContain('| when | user | channel | command |');
    expect(audit.stdout).toMatch(
      /\| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T \| local \| shell \| help \| ok \|/,
    );
  });

  it('answer a bad flag with the usage', () => {
    const result = run(['--rol', 'admin']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown option --rol');
    expect(result.stderr).toContain('Usage:');
    expect(run(['--shell', '--role', 'root']).stderr).toBe(
      'coxswain: --role must be one of viewer, operator, admin\n',
    );
  });
});

describe('HTTP and shutdown', () => {
  let child: ChildProcess | undefined;
  afterEach(() => child?.kill('SIGKILL'));

  it('serves probes and metrics, and stops gracefully on SIGTERM', async () => {
    const port = await freePort();
    child = spawn(process.execPath, [bin, '--shell', '--port', String(port)], {
      cwd: work,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/healthz`)).ok);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    // Ready = can take webhooks; the chat connection is a detail of /healthz.
    expect(await ready.json()).toEqual({ ready: true, checks: { store: true } });
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({
      ok: true,
      details: { 'chat:shell': true },
    });

    child.stdin?.write('/ops help\n');
    await waitFor(async () =>
      (await fetch(`${base}/metrics`).then((r) => r.text())).includes('command="help"'),
    );
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('coxswain_commands_total{command="help",outcome="ok"} 1');
    expect(metrics).toContain('coxswain_command_duration_seconds_bucket');
    expect(metrics).toContain('coxswain_chat_connected{platform="shell"} 1');
    expect(metrics).toContain('process_resident_memory_bytes');

    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('coxswain --version and --help', () => {
  const version = (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    }
  ).version;

  // Without the option handled, --version started the bot: the shell read stdin and printed its prompt.
  for (const flag of ['--version', '-v']) {
    it(`${flag} prints the package version and exits 0 without starting the bot`, () => {
      const result = run([flag], '/ops help\n');
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(`coxswain ${version}\n`);
      expect(result.stderr).toBe('');
    });
  }

  for (const flag of ['--help', '-h']) {
    it(`${flag} prints the usage, which names --version, and exits 0`, () => {
      const result = run([flag], '/ops help\n');
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^Usage:\n {2}coxswain /);
      expect(result.stdout).toContain('-v, --version');
      expect(result.stdout).not.toContain('**/ops help**');
    });
  }
});
