/**
 * The container image cannot be built here (no Docker engine), so this proves what the
 * Dockerfile's run stage relies on, on the built dist/: a copy of what the run stage gets
 * (package files, bin/, dist/, node_modules pruned to production dependencies with
 * `npm prune --omit=dev`, as the build stage does) starts and works
 * - as a non-root numeric user (nobody, 65534) through setpriv,
 * - from a read-only tree (chmod -R a-w), writing only its state directory (the /data volume),
 * - in a network namespace with nothing but loopback: nothing is fetched at run time.
 * Needs root (setpriv, unshare) and `npm run build` (`npm test` builds before this project).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/free-port.js';
import { repoRoot, run } from './support.js';

const NOBODY = 65534;
const root = mkdtempSync('/tmp/coxswain-image-');
const app = join(root, 'app');
const data = join(root, 'data');
const node = join(root, 'node');
const config = join(root, 'coxswain.yaml');

/**
 * A command as the run stage runs it: as nobody, in a network namespace with only loopback.
 * unshare and bash exec into setpriv and then the command, so the returned pid is the command's.
 */
function asRunUser(command: string[]): [string, string[]] {
  const user = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
  return [
    'unshare',
    ['--net', '--', 'bash', '-c', 'ip link set lo up && exec "$@"', 'run-stage', ...user, ...command],
  ];
}

/** coxswain as the image's ENTRYPOINT starts it. */
function runStage(args: string[]): [string, string[]] {
  return asRunUser([node, join(app, 'bin/coxswain.js'), ...args]);
}

/** GET on loopback inside the network namespace of process `pid`. */
function getInside(pid: number, url: string): string {
  const script = `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => process.stdout.write(t), () => {})`;
  return spawnSync('nsenter', ['--net', `--target=${pid}`, node, '-e', script], {
    encoding: 'utf8',
    timeout: 10_000,
  }).stdout;
}

/** Errors a read-only tree, a non-root user or a missing network would cause (warnings are fine). */
const RUN_STAGE_ERRORS = /EACCES|EROFS|EPERM|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|Error:/;

const ENV = { PATH: '/usr/bin:/bin', HOME: '/nonexistent', NODE_ENV: 'production' };

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (setpriv to nobody, unshare --net)');
  if (!existsSync(join(repoRoot, 'dist/src/cli.js')))
    throw new Error('dist/ is not built: run `npm run build` first');
  chmodSync(root, 0o755);
  mkdirSync(app);
  // What the Dockerfile's run stage copies from the build stage.
  for (const file of ['package.json', 'package-lock.json'])
    copyFileSync(join(repoRoot, file), join(app, file));
  const cp = run('cp', [
    '-a',
    join(repoRoot, 'bin'),
    join(repoRoot, 'dist'),
    join(repoRoot, 'node_modules'),
    app,
  ]);
  if (cp.status !== 0) throw new Error(`copy failed: ${cp.stderr}`);
  // The Dockerfile's asset step: data files next to the compiled modules that read them.
  const assets = spawnSync(
    'bash',
    [
      '-c',
      `find src commands handlers adapters -name '*.yaml' -exec cp --parents {} ${join(app, 'dist')}/ \\;`,
    ],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  if (assets.status !== 0) throw new Error(`asset copy failed: ${assets.stderr}`);
  const prune = spawnSync('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund', '--offline'], {
    cwd: app,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (prune.status !== 0) throw new Error(`npm prune --omit=dev failed: ${prune.stderr}`);
  copyFileSync(process.execPath, node);
  chmodSync(node, 0o755);
  // The state volume: the only place the run user may write.
  mkdirSync(data);
  chownSync(data, NOBODY, NOBODY);
  writeFileSync(
    config,
    `command: /ops\nstore:\n  driver: sqlite\n  sqlite:\n    path: ${data}/coxswain.db\n`,
  );
  chmodSync(config, 0o444);
  const ro = run('chmod', ['-R', 'a-w', app]);
  if (ro.status !== 0) throw new Error(`chmod failed: ${ro.stderr}`);
}, 600_000);

afterAll(() => {
  spawnSync('chmod', ['-R', 'u+w', root]);
  spawnSync('rm', ['-rf', root]);
});

describe('the run stage, without a Docker engine', () => {
  it('has production dependencies only', () => {
    // (typescript stays: @mattermost/client depends on it at run time.)
    for (const dev of ['vitest', 'vite', 'esbuild', '@biomejs/biome', 'fast-check', '@types/better-sqlite3'])
      expect({ dev, present: existsSync(join(app, 'node_modules', dev)) }).toEqual({ dev, present: false });
    for (const prod of ['better-sqlite3', 'fastify', 'pino', 'zod', 'yaml', 'prom-client'])
      expect({ prod, present: existsSync(join(app, 'node_modules', prod)) }).toEqual({ prod, present: true });
  });

  it('really is read-only and unprivileged for the run user', () => {
    const [cmd, args] = asRunUser(['touch', join(app, 'written')]);
    const touch = spawnSync(cmd, args, { encoding: 'utf8', env: ENV });
    expect(touch.status).not.toBe(0);
    expect(touch.stderr).toContain('Permission denied');
  });

  it('answers `/ops help` in the shell as nobody, from the read-only tree, with no network', () => {
    const [cmd, args] = runStage(['--shell', '--config', config]);
    const r = spawnSync(cmd, args, {
      input: '/ops help\n',
      encoding: 'utf8',
      cwd: app,
      env: ENV,
      timeout: 60_000,
    });
    expect(r.stderr).not.toMatch(RUN_STAGE_ERRORS);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('**/ops help**');
    // Its state went to the volume.
    expect(existsSync(join(data, 'coxswain.db'))).toBe(true);
  });

  it('loads the phase and drill definitions it ships, from its own tree', () => {
    const script = [
      `const phases = await import(${JSON.stringify(join(app, 'dist/src/phases/definitions.js'))});`,
      `const drills = await import(${JSON.stringify(join(app, 'dist/src/drills/definitions.js'))});`,
      'console.log(JSON.stringify({ phases: phases.defaultPhasesPath(), drills: drills.defaultDrillsPath(),',
      '  phaseCount: phases.loadPhases().phases.length, drillCount: drills.loadDrills().length }));',
    ].join('\n');
    const [cmd, args] = asRunUser([node, '--input-type=module', '-e', script]);
    const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: app, env: ENV, timeout: 60_000 });
    expect(r.stderr).not.toMatch(RUN_STAGE_ERRORS);
    const loaded = JSON.parse(r.stdout);
    expect(loaded.phases).toBe(join(app, 'dist/src/phases/phases.yaml'));
    expect(loaded.drills).toBe(join(app, 'dist/src/drills/drills.yaml'));
    expect(loaded.phaseCount).toBeGreaterThan(0);
    expect(loaded.drillCount).toBeGreaterThan(0);
  });

  it('serves /healthz and /metrics with --port', async () => {
    const port = await freePort();
    const [cmd, args] = runStage(['--shell', '--config', config, '--port', String(port)]);
    const child: ChildProcess = spawn(cmd, args, { cwd: app, env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // The bot listens inside its own network namespace; ask from inside it.
      const pid = child.pid as number;
      let health = '';
      for (let i = 0; i < 100 && !health.includes('"ok":true'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        health = getInside(pid, `http://127.0.0.1:${port}/healthz`);
      }
      expect(stderr).not.toMatch(RUN_STAGE_ERRORS);
      expect(JSON.parse(health)).toEqual({ ok: true, details: { 'chat:shell': true } });
      expect(getInside(pid, `http://127.0.0.1:${port}/metrics`)).toContain('coxswain_chat_connected');
    } finally {
      child.stdin?.end();
    }
    expect(await exited).toBe(0);
  });
});
