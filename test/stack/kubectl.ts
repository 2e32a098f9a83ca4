/**
 * Running the stack's own kubectl (built from the pinned Kubernetes version) as the admin of
 * one cluster. Node builtins only.
 */
import { spawnSync } from 'node:child_process';
import { kubeconfigFor, type StackCluster, type StackEnv } from './env.js';

export interface KubectlResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `kubectl --kubeconfig <admin of cluster> ...args`; never throws on a non-zero exit. */
export function kubectlRun(
  env: StackEnv,
  cluster: StackCluster,
  args: string[],
  input?: string,
): KubectlResult {
  const r = spawnSync(env.KUBECTL, ['--kubeconfig', kubeconfigFor(env, cluster), ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

/** Runs kubectl and returns stdout; throws with stderr on failure. */
export function kubectl(env: StackEnv, cluster: StackCluster, args: string[], input?: string): string {
  const r = kubectlRun(env, cluster, args, input);
  if (r.status !== 0)
    throw new Error(`kubectl ${args.join(' ')} (${cluster}) exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** `kubectl ... -o json`, parsed. */
export function kubectlJson<T = unknown>(env: StackEnv, cluster: StackCluster, args: string[]): T {
  return JSON.parse(kubectl(env, cluster, [...args, '-o', 'json'])) as T;
}
