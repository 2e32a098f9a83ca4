import { describe, expect, it } from 'vitest';
import { HealthEngine } from '../../../src/health/engine.js';
import { replyWithProgress } from '../../../src/health/progress.js';
import { renderHealth, renderMesh } from '../../../src/health/render.js';
import type { KubeObject } from '../../../src/health/types.js';
import type { Message } from '../../../src/message.js';
import type { PostRef } from '../../../src/ports.js';
import { MemoryReader } from './fake-reader.js';
import { deployment, HOUR, NOW, node, pod } from './fixtures.js';

const objects = (extra: Record<string, KubeObject[]> = {}): Record<string, KubeObject[]> => ({
  nodes: [node('n1') as KubeObject],
  deployments: [],
  statefulsets: [],
  daemonsets: [],
  pods: [],
  ...extra,
});

function engineOf(...readers: MemoryReader[]) {
  return new HealthEngine({
    readers,
    rpoMs: 6 * HOUR,
    certificateWarningMs: 14 * 24 * HOUR,
    progressAfterMs: 2000,
    timeoutMs: 1000,
    now: () => NOW,
  });
}

describe('the engine', () => {
  it('reports every component per cluster; an unreadable cluster is unreachable and hides nothing else', async () => {
    const down = new MemoryReader('apps', objects());
    down.error = new Error('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:6443') });
    const engine = engineOf(new MemoryReader('infra', objects()), down);
    const [infra, apps] = await engine.check({});
    expect(infra?.components.map((c) => `${c.component}:${c.status}`)).toEqual([
      'nodes:ok',
      'workloads:ok',
      'flux:absent',
      'cilium:absent',
      'linkerd:absent',
      'ceph:absent',
      'cnpg:absent',
      'velero:absent',
      'volsync:absent',
      'cert-manager:absent',
      'external-secrets:absent',
      'monitoring:absent',
      'external-dns:absent',
      'credentials:absent',
    ]);
    expect(apps).toMatchObject({
      cluster: 'apps',
      reachable: false,
      error: 'fetch failed: connect ECONNREFUSED 127.0.0.1:6443',
      components: [],
    });
  });

  it('answers one cluster and one component, and refuses a cluster it does not know', async () => {
    const engine = engineOf(new MemoryReader('infra', objects()), new MemoryReader('apps', objects()));
    const reports = await engine.check({ cluster: 'apps', components: ['nodes'] });
    expect(reports.map((r) => [r.cluster, r.components.map((c) => c.component)])).toEqual([
      ['apps', ['nodes']],
    ]);
    expect(() => engine.isWarm({ cluster: 'prod' })).toThrow(
      'There is no cluster prod in the config; the clusters are: infra, apps.',
    );
  });
});

describe('kinds the bot may not read', () => {
  it('turn the checks that need them into a warning that names the missing permission, not an outage', async () => {
    const infra = new MemoryReader('infra', objects({ externalsecrets: [] }));
    infra.forbidden.add('clustersecretstores');
    const [report] = await engineOf(infra).check({ components: ['external-secrets', 'nodes'] });
    expect(report?.reachable).toBe(true);
    expect(report?.components.map((c) => [c.component, c.status])).toEqual([
      ['nodes', 'ok'],
      ['external-secrets', 'warn'],
    ]);
    expect(report?.components[1]?.findings).toEqual([
      {
        status: 'warn',
        subject: 'clustersecretstores.external-secrets.io',
        reason:
          'the bot may not list clustersecretstores.external-secrets.io: grant its ClusterRole get, list and watch on it',
      },
    ]);
  });
});

describe('rendering', () => {
  it('escapes outside text: a pod name cannot mention @all or inject a link', async () => {
    const evil = pod('ns', '@all[click](https://evil.example)', {
      waiting: 'CrashLoopBackOff',
      restarts: 3,
    }) as KubeObject;
    const [report] = await engineOf(new MemoryReader('infra', objects({ pods: [evil] }))).check({
      components: ['workloads'],
    });
    const message = renderHealth(report ? [report] : []);
    expect(message.severity).toBe('critical');
    expect(message.text).not.toContain('@all');
    expect(message.text).not.toContain('](https://');
    expect(message.text).toContain('@\u200ball\\[click\\]\\(https://evil.example\\)');
  });

  it('says UNREACHABLE with the error, severity critical', () => {
    const message = renderHealth([
      {
        cluster: 'apps',
        reachable: false,
        error: 'connect ECONNREFUSED',
        components: [],
        tookMs: 3,
        cold: true,
      },
    ]);
    expect(message.text).toBe('#### apps: **UNREACHABLE** _(cold, 3 ms)_\nconnect ECONNREFUSED');
    expect(message.severity).toBe('critical');
  });

  it('caps the findings per component and says how to see them all', async () => {
    const pods = Array.from(
      { length: 13 },
      (_, i) => pod('ns', `p${i}`, { waiting: 'ImagePullBackOff' }) as KubeObject,
    );
    const [report] = await engineOf(new MemoryReader('infra', objects({ pods }))).check({
      components: ['workloads'],
    });
    const text = renderHealth(report ? [report] : [], { timing: false }).text;
    expect(text.split('\n').filter((l) => l.startsWith('  - **FAIL**'))).toHaveLength(10);
    expect(text).toContain('… and 3 more (ask for one component with --component workloads)');
  });

  it('states the mesh paths up and down', () => {
    const message = renderMesh({
      clusters: [
        {
          cluster: 'apps',
          reachable: true,
          clustermesh: { status: 'absent', reason: 'clustermesh-apiserver not installed' },
          remotes: { state: 'not-configured' },
        },
      ],
      paths: [
        {
          from: 'apps',
          to: 'infra',
          link: 'linkerd-multicluster/infra',
          up: false,
          problems: ['no gateway probe endpoints (probe-gateway-infra)'],
          mirrored: [{ name: 'databases/postgres-rw-infra', endpoints: 0, remoteDiscovery: false }],
        },
      ],
    });
    expect(message.severity).toBe('critical');
    expect(message.text.split('\n')[0]).toBe('Up: none. Down: apps → infra.');
    expect(message.text).toContain('  - no gateway probe endpoints \\(probe-gateway-infra\\)');
    expect(message.text).toContain('mirrored: databases/postgres-rw-infra (0 endpoints)');
  });

  it('lists the ClusterMesh remotes the agents report, and says when they are not known', () => {
    const apiserver = { status: 'ok' as const, reason: 'clustermesh-apiserver 1/1 ready, 1 endpoint(s)' };
    const message = renderMesh({
      clusters: [
        {
          cluster: 'infra',
          reachable: true,
          clustermesh: apiserver,
          agents: { ready: 3, desired: 3 },
          remotes: { state: 'known', remotes: [{ cluster: 'apps', agents: 3, ready: 0 }] },
        },
        {
          cluster: 'apps',
          reachable: true,
          clustermesh: apiserver,
          remotes: {
            state: 'unreachable',
            error: 'The metrics endpoint http://vm is unreachable: ECONNREFUSED.',
          },
        },
        { cluster: 'edge', reachable: true, clustermesh: apiserver, remotes: { state: 'not-configured' } },
      ],
      paths: [],
    });
    expect(message.severity).toBe('critical');
    const lines = message.text.split('\n');
    expect(lines).toContain(
      '- infra: ok — clustermesh-apiserver 1/1 ready, 1 endpoint\\(s\\); agents 3/3 ready',
    );
    expect(lines).toContain('  - **FAIL** ClusterMesh remote apps: not ready: 0/3 agents report it ready');
    expect(lines).toContain(
      '  - **WARN** ClusterMesh remote clusters: unknown, metrics unreachable: The metrics endpoint http://vm is unreachable: ECONNREFUSED.',
    );
    expect(lines).toContain(
      '  - ok ClusterMesh remote clusters: not known: no metrics endpoint is configured for this cluster \\(clusters\\[\\].metrics\\), and the Kubernetes API cannot tell',
    );
  });

  it('an unreachable metrics endpoint is a warning, not a failure of the mesh', () => {
    const message = renderMesh({
      clusters: [
        {
          cluster: 'apps',
          reachable: true,
          clustermesh: { status: 'ok', reason: 'clustermesh-apiserver 1/1 ready, 1 endpoint(s)' },
          remotes: { state: 'unreachable', error: 'no answer within 5000 ms' },
        },
      ],
      paths: [],
    });
    expect(message.severity).toBe('warning');
  });
});

describe('progress', () => {
  function recorder() {
    const log: string[] = [];
    return {
      log,
      async reply(m: Message | string): Promise<PostRef> {
        log.push(`reply ${typeof m === 'string' ? m : m.text}`);
        return { platform: 't', channelId: 'c', postId: 'p1' };
      },
      async update(ref: PostRef, m: Message | string): Promise<void> {
        log.push(`update ${ref.postId} ${typeof m === 'string' ? m : m.text}`);
      },
    };
  }

  it('answers once when the work is faster than the threshold', async () => {
    const r = recorder();
    expect(
      await replyWithProgress(r, Promise.resolve({ text: 'done' }), { afterMs: 50, progress: 'checking…' }),
    ).toBe('direct');
    expect(r.log).toEqual(['reply done']);
  });

  it('posts progress when the work is slower, then updates that post', async () => {
    const r = recorder();
    const slow = new Promise<Message>((resolve) => setTimeout(() => resolve({ text: 'done' }), 80));
    expect(await replyWithProgress(r, slow, { afterMs: 10, progress: 'checking…' })).toBe('updated');
    expect(r.log).toEqual(['reply checking…', 'update p1 done']);
  });

  it('passes a failure on without a dangling progress timer', async () => {
    const r = recorder();
    await expect(
      replyWithProgress(r, Promise.reject(new Error('boom')), { afterMs: 10, progress: 'x' }),
    ).rejects.toThrow('boom');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(r.log).toEqual([]);
  });
});

describe('workload fixtures', () => {
  it('a not-ready Deployment in the cache is reported through the engine', async () => {
    const [report] = await engineOf(
      new MemoryReader('infra', objects({ deployments: [deployment('a', 'b', 2, 0) as KubeObject] })),
    ).check({ components: ['workloads'] });
    expect(report?.components[0]?.findings).toEqual([
      { status: 'fail', subject: 'deployment a/b', reason: '0/2 ready' },
    ]);
  });
});

describe('mesh', () => {
  const link = {
    apiVersion: 'multicluster.linkerd.io/v1alpha3',
    kind: 'Link',
    metadata: { name: 'infra', namespace: 'linkerd-multicluster' },
    spec: { targetClusterName: 'infra', gatewayAddress: '10.25.11.100', gatewayPort: '4143' },
  } as KubeObject;

  it('names a permission the bot lacks instead of blaming the path on it', async () => {
    const apps = new MemoryReader('apps', objects({ links: [link], services: [] }));
    apps.forbidden.add('endpoints');
    const report = await engineOf(apps).mesh();
    expect(report.paths[0]?.problems).toEqual([
      'cannot check: the bot may not list endpoints on apps (grant get, list and watch)',
      'service mirror linkerd-service-mirror-infra is not running on apps',
      'no gateway probe endpoints (probe-gateway-infra)',
    ]);
  });
});
