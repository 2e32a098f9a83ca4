/**
 * Vitest global setup of the `stack` project: makes sure the real test stack is up.
 *
 * - If a healthy stack is already running in the state dir (`status.sh --check`), it is reused
 *   and left running afterwards.
 * - Otherwise `up.sh` starts one (building the binaries first if the cache is empty; pass
 *   STACK_PODS=N for the scale Deployment) and teardown stops it with `down.sh`, unless
 *   STACK_KEEP=1.
 * Then the env file's keys are copied into process.env (so workers inherit them) and provided
 * to tests as `inject('stackEnv')`. Node builtins only.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadStackEnv, type StackEnv, stackDir, stackStateDir } from './env.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stackEnv: StackEnv;
  }
}

let started = false;

function bash(script: string, args: string[] = [], quiet = false): number {
  const r = spawnSync('bash', [join(stackDir, script), ...args], {
    stdio: quiet ? 'ignore' : ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, STACK_STATE_DIR: stackStateDir() },
  });
  return r.status ?? -1;
}

interface SetupProject {
  provide?: (key: 'stackEnv', value: StackEnv) => void;
}

export function setup(project?: SetupProject): void {
  if (bash('status.sh', ['--check'], true) === 0) {
    console.log(`[stack] reusing the running test stack in ${stackStateDir()}`);
  } else {
    const t0 = Date.now();
    if (bash('up.sh') !== 0) throw new Error('test/stack/up.sh failed (logs in test/stack/.state/logs)');
    started = true;
    console.log(`[stack] started in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const env = loadStackEnv();
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  project?.provide?.('stackEnv', env);
}

export function teardown(): void {
  if (!started) return;
  if (process.env.STACK_KEEP === '1') {
    console.log(`[stack] STACK_KEEP=1: leaving the stack running in ${stackStateDir()}`);
    return;
  }
  bash('down.sh');
  started = false;
}
