/** Health engine and readers wired to the test stack's two real API servers, with request counting. */

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { KubeClusterReader, loadKubeConfig } from '../../../adapters/kube/cluster-reader.js';
import type { RequestInfo } from '../../../adapters/kube/http.js';
import { HealthEngine } from '../../../src/health/engine.js';
import type { ClusterReader, ClusterReport, Component, ComponentResult } from '../../../src/health/types.js';
import type { ClusterMetrics } from '../../../src/prometheus/query.js';
import { loadStackEnv, type StackCluster, type StackEnv } from '../../stack/env.js';
import { kubectl } from '../../stack/kubectl.js';

export const env: StackEnv = loadStackEnv();

export interface Counted {
  requests: RequestInfo[];
  reset(): void;
}

export function counter(): Counted & { onRequest: (info: RequestInfo) => void } {
  const requests: RequestInfo[] = [];
  return { requests, reset: () => requests.splice(0), onRequest: (info) => requests.push(info) };
}

export function reader(
  cluster: StackCluster,
  options: { kubeconfig?: string; onRequest?: (info: RequestInfo) => void; pageSize?: number } = {},
): KubeClusterReader {
  const kubeconfig = options.kubeconfig ?? (cluster === 'infra' ? env.KUBECONFIG_INFRA : env.KUBECONFIG_APPS);
  return new KubeClusterReader(cluster, loadKubeConfig({ name: cluster, kubeconfig }), {
    pageSize: options.pageSize ?? 500,
    watchSeconds: 60,
    absentRecheckMs: 60_000,
    requestTimeoutMs: 5000,
    userAgent: 'coxswain-health-test',
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
}

/**
 * Established TCP connections of this test process to `port`, from Linux's /proc: the sockets
 * among its file descriptors, looked up in the kernel's TCP tables.
 */
export function ownConnectionsTo(port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (socket?.[1]) inodes.add(socket[1]);
    } catch {
      // closed while listing
    }
  }
  let count = 0;
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      const remotePort = Number.parseInt(fields[2]?.split(':')[1] ?? '', 16);
      const established = fields[3] === '01';
      if (remotePort === port && established && inodes.has(fields[9] ?? '')) count++;
    }
  }
  return count;
}

export function engine(
  readers: ClusterReader[],
  options: {
    timeoutMs?: number;
    progressAfterMs?: number;
    credentialWarningMs?: number;
    metrics?: ReadonlyMap<string, ClusterMetrics>;
  } = {},
): HealthEngine {
  return new HealthEngine({
    readers,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    rpoMs: 6 * 3_600_000,
    certificateWarningMs: 14 * 86_400_000,
    // The stack's credentials are short-lived by design (tokens of an hour, 30-day client
    // certificates): only a test that asks for it gets a threshold they are under.
    credentialWarningMs: options.credentialWarningMs ?? 10 * 60_000,
    progressAfterMs: options.progressAfterMs ?? 2000,
    timeoutMs: options.timeoutMs ?? 15_000,
  });
}

export function component(reports: ClusterReport[], cluster: string, name: string): ComponentResult {
  const report = reports.find((r) => r.cluster === cluster);
  const result = report?.components.find((c) => c.component === name);
  if (!result) throw new Error(`no ${name} in the report of ${cluster}: ${JSON.stringify(report)}`);
  return result;
}

/** Problems as `status subject: reason` lines, for readable assertions. */
export function problems(result: ComponentResult): string[] {
  return result.findings.filter((f) => f.status !== 'ok').map((f) => `${f.status} ${f.subject}: ${f.reason}`);
}

export const k = (cluster: StackCluster, args: string[], input?: string) =>
  kubectl(env, cluster, args, input);

export function getJson<T = Record<string, unknown>>(cluster: StackCluster, args: string[]): T {
  return JSON.parse(k(cluster, [...args, '-o', 'json'])) as T;
}

/** Merge-patches the status subresource. */
export function patchStatus(
  cluster: StackCluster,
  resource: string,
  name: string,
  namespace: string | undefined,
  status: unknown,
): void {
  k(cluster, [
    'patch',
    resource,
    name,
    ...(namespace ? ['-n', namespace] : []),
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status }),
  ]);
}

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * What a suite that degrades the healthy seed shares: one engine over both API servers, a settled
 * stack before its first test, and after each test its `restore` steps run (newest first) and the
 * healthy seed awaited again, so every test starts from it. Call it at the top of the file: it
 * registers the hooks.
 */
export function seededHealth(components?: Component[]): { health: HealthEngine; restore: (() => void)[] } {
  const readers = [reader('infra'), reader('apps')];
  const health = engine(readers);
  const restore: (() => void)[] = [];
  const healthy = async () => {
    const reports = await health.check(components ? { components } : {});
    return reports.every((r) => r.components.every((c) => c.status === 'ok' || c.status === 'absent'));
  };
  beforeAll(async () => {
    // A stack that another suite just disturbed settles first (DaemonSets, pods on deleted nodes).
    await eventually('a settled stack', healthy, 90_000).catch(() => undefined);
  }, 120_000);
  afterAll(() => {
    for (const r of readers) r.stop();
  });
  afterEach(async () => {
    for (const undo of restore.splice(0).reverse()) undo();
    await eventually('the healthy seed again', healthy, 90_000);
  });
  return { health, restore };
}
