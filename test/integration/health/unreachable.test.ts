/**
 * A cluster that does not answer is reported unreachable with its error, never hides the other
 * cluster, and is never answered from a stale cache after it went away.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderHealth, renderMesh } from '../../../src/health/render.js';
import type { ClusterReader } from '../../../src/health/types.js';
import { engine, env, eventually, reader } from './support.js';

const readers: ClusterReader[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const r of readers.splice(0)) r.stop();
  for (const c of cleanups.splice(0)) c();
});

/** A copy of the apps kubeconfig pointing at another server address. */
function kubeconfigAt(server: string): string {
  const text = readFileSync(env.KUBECONFIG_APPS, 'utf8').replace(/server: .*/, `server: ${server}`);
  const path = join(tmpdir(), `coxswain-health-${process.pid}-${Date.now()}.kubeconfig`);
  writeFileSync(path, text);
  return path;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A TCP pass-through to the apps API server (TLS is end to end) that the test can cut. */
async function proxyToApps(): Promise<{ port: number; cut(): Promise<void> }> {
  const upstream = new URL(env.KUBE_APISERVER_URL_APPS);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const up = net.connect(Number(upstream.port), upstream.hostname);
    sockets.add(client).add(up);
    client.pipe(up).pipe(client);
    const close = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', close).on('close', close);
    up.on('error', close).on('close', close);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: async () => {
      const closed = new Promise((r) => server.close(r));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

describe('an unreachable cluster', () => {
  it('is reported unreachable with the error, and the other cluster is still reported', async () => {
    const port = await closedPort();
    readers.push(reader('infra'), reader('apps', { kubeconfig: kubeconfigAt(`https://127.0.0.1:${port}`) }));
    const health = engine(readers, { timeoutMs: 5000 });
    const [infra, apps] = await health.check({});
    expect(apps?.reachable).toBe(false);
    expect(apps?.error).toMatch(/ECONNREFUSED/);
    expect(apps?.components).toEqual([]);
    expect(infra?.reachable).toBe(true);
    expect(infra?.components).toHaveLength(14);
    expect(infra?.components.every((c) => c.status === 'ok')).toBe(true);
    const message = renderHealth([infra, apps].filter((r) => r !== undefined));
    expect(message.severity).toBe('critical');
    expect(message.text).toContain('#### apps: **UNREACHABLE**');
    expect(message.text).toContain('#### infra: ok');

    const mesh = await health.mesh();
    expect(mesh.clusters.map((c) => [c.cluster, c.reachable])).toEqual([
      ['infra', true],
      ['apps', false],
    ]);
    expect(renderMesh(mesh).text).toContain('apps: **UNREACHABLE**');
  });

  it('is not answered from a stale cache once it goes away', async () => {
    const proxy = await proxyToApps();
    const apps = reader('apps', { kubeconfig: kubeconfigAt(`https://127.0.0.1:${proxy.port}`) });
    readers.push(apps);
    const health = engine([apps], { timeoutMs: 5000 });
    const [before] = await health.check({ components: ['nodes'] });
    expect(before?.reachable).toBe(true);
    expect(health.isWarm({ components: ['nodes'] })).toBe(true);
    await proxy.cut();
    const after = await eventually('apps to be unreachable', async () => {
      const [report] = await health.check({ components: ['nodes'] });
      return report?.reachable === false && report;
    });
    expect(after.error).toMatch(/ECONNREFUSED|fetch failed|other side closed|socket/i);
  });

  it('is reported within the timeout when the server accepts connections but never answers', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(() => silent.close());
    const port = (silent.address() as net.AddressInfo).port;
    readers.push(reader('apps', { kubeconfig: kubeconfigAt(`https://127.0.0.1:${port}`) }));
    const health = engine(readers, { timeoutMs: 1500 });
    const started = Date.now();
    const [apps] = await health.check({});
    expect(apps?.reachable).toBe(false);
    expect(apps?.error).toMatch(/no answer within 1500 ms|timeout|aborted/i);
    expect(Date.now() - started).toBeLessThan(6000);
  });
});
