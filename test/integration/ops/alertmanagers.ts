/**
 * Real Alertmanagers for the ops tests: the test stack's binary (test/stack/install.sh builds
 * it), started on free ports with no receivers, as several clusters' Alertmanagers would be.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.js';

function alertmanagerBinary(): string {
  const root =
    process.env.STACK_CACHE_ROOT ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coxswain-stack');
  const found = existsSync(root)
    ? readdirSync(root)
        .map((d) => join(root, d, 'bin', 'alertmanager'))
        .find((path) => existsSync(path))
    : undefined;
  if (!found) throw new Error(`no alertmanager binary under ${root}/*/bin: build the test stack first`);
  return found;
}

export interface Alertmanagers {
  urls: string[];
  push(url: string, labels: Record<string, string>, summary: string): Promise<void>;
  stop(): void;
}

export async function startAlertmanagers(count: number): Promise<Alertmanagers> {
  const dir = mkdtempSync(join(tmpdir(), 'coxswain-ops-am-'));
  writeFileSync(
    join(dir, 'am.yml'),
    JSON.stringify({ route: { receiver: 'none' }, receivers: [{ name: 'none' }] }),
  );
  const processes: ChildProcess[] = [];
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    processes.push(
      spawn(
        alertmanagerBinary(),
        [
          `--config.file=${join(dir, 'am.yml')}`,
          `--storage.path=${join(dir, `am-${i}`)}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--cluster.listen-address=',
          '--log.level=warn',
        ],
        { stdio: 'ignore' },
      ),
    );
    const deadline = Date.now() + 30_000;
    while (
      !(await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline) throw new Error(`Alertmanager ${i} did not start`);
      await new Promise((r) => setTimeout(r, 200));
    }
    urls.push(url);
  }
  return {
    urls,
    async push(url, labels, summary) {
      const response = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          { labels, annotations: { summary }, startsAt: new Date(Date.now() - 60_000).toISOString() },
        ]),
      });
      if (response.status !== 200) throw new Error(`pushing an alert: HTTP ${response.status}`);
    },
    stop() {
      for (const p of processes) p.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
