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

/**
 * Deletes a namespace and waits until it is gone, so the next suite sees the cluster as seeded.
 * Pods are force-deleted first (kwok plays the kubelet; nothing runs in them), then the
 * namespace is polled: kubectl's own --wait has stalled for minutes on large namespaces.
 */
export async function deleteNamespaceAndWait(
  env: StackEnv,
  cluster: StackCluster,
  namespace: string,
  timeoutMs = 120_000,
): Promise<void> {
  kubectlRun(env, cluster, [
    'delete',
    'pods',
    '--all',
    '-n',
    namespace,
    '--force',
    '--grace-period=0',
    '--wait=false',
  ]);
  kubectlRun(env, cluster, ['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
  const deadline = Date.now() + timeoutMs;
  while (
    kubectlRun(env, cluster, [
      'get',
      'namespace',
      namespace,
      '--ignore-not-found',
      '-o',
      'name',
    ]).stdout.trim()
  ) {
    if (Date.now() > deadline)
      throw new Error(`namespace ${namespace} on ${cluster} still there after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
