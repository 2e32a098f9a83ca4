/**
 * The bot as a real process for the kill -9 fault tests: `coxswain --shell` with a config file,
 * its stdin to type commands and click buttons (the shell prints buttons as numbered choices),
 * and everything it printed. Started from src/ through the same loader the alert kill test uses
 * (test/support/run-ts), so the code under test is the checkout's, whatever state dist/ is in
 * while other builds run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

const root = new URL('../../', import.meta.url).pathname;

/**
 * Writes `dir`/coxswain.yaml for a BotProcess and returns its path: warnings only, the store on
 * disk in `dir` (so a second process takes over the first one's runs), the given clusters, and
 * loops that tick every 500 ms (drills only, unless `operations` says otherwise).
 * The clusters are read with the stack's admin kubeconfigs (as test/stack/shell.sh); writes
 * impersonate coxswain-operator, so only what deploy/rbac grants it can change them.
 */
export function writeBotConfig(
  dir: string,
  clusters: readonly Record<string, unknown>[],
  operations: Record<string, unknown> = { drills: { interval: '500ms' } },
): string {
  const path = join(dir, 'coxswain.yaml');
  writeFileSync(
    path,
    stringify({
      log: { level: 'warn' },
      store: { sqlite: { path: join(dir, 'coxswain.db') } },
      clusters,
      operations,
    }),
  );
  return path;
}

export class BotProcess {
  readonly child: ChildProcess;
  text = '';

  constructor(configPath: string, cwd: string, role: 'viewer' | 'operator' | 'admin' = 'admin') {
    this.child = spawn(
      process.execPath,
      [
        '--experimental-transform-types',
        '--no-warnings',
        '--import',
        join(root, 'test/support/run-ts/register.mjs'),
        join(root, 'src/cli.ts'),
        '--shell',
        '--config',
        configPath,
        '--role',
        role,
      ],
      { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } },
    );
    const append = (chunk: string) => {
      this.text += chunk;
    };
    this.child.stdout?.setEncoding('utf8').on('data', append);
    this.child.stderr?.setEncoding('utf8').on('data', append);
  }

  type(line: string): number {
    const from = this.text.length;
    this.child.stdin?.write(`${line}\n`);
    return from;
  }

  async waitFor(pattern: RegExp, timeoutMs = 60_000, from = 0): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.text.slice(from));
      if (match) return match;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(
          `the bot exited (${this.child.exitCode ?? this.child.signalCode}) before ${pattern}:\n${this.text.slice(-4000)}`,
        );
      if (Date.now() > end)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${pattern}; the bot printed:\n${this.text.slice(from).slice(-4000)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Types a command and clicks the button labelled `label` of its answer. */
  async confirm(line: string, label: string, timeoutMs = 60_000): Promise<void> {
    const from = this.type(line);
    const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const [, number] = await this.waitFor(new RegExp(`\\[(\\d+)\\] ${escaped}(\\s|$)`), timeoutMs, from);
    this.type(number as string);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill9(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }

  /** A clean stop: end of input makes the shell stop the bot. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
