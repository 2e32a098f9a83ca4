/**
 * Leader election on a real API server: two electors on one Lease, exactly one leads; when the
 * leader dies without releasing, the other takes over within the lease duration (plus one retry);
 * when it stops cleanly, at once.
 */

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../../adapters/kube/cluster-reader.js';
import { LeaseElector } from '../../../adapters/kube/lease-elector.js';
import { configSchema } from '../../../src/config/schema.js';
import { HealthSummaries } from '../../../src/health/summaries.js';
import type { Message } from '../../../src/message.js';
import type { ChatPort, Destination, PostRef } from '../../../src/ports.js';
import { engine, env, eventually, getJson, k, reader } from './support.js';

const LEASE_MS = 3000;
const RETRY_MS = 500;
const electors: LeaseElector[] = [];

function elector(identity: string, lease: string): LeaseElector {
  const e = new LeaseElector({
    kubeConfig: loadKubeConfig({ name: 'apps', kubeconfig: env.KUBECONFIG_APPS }),
    namespace: 'default',
    name: lease,
    identity,
    leaseDurationMs: LEASE_MS,
    retryPeriodMs: RETRY_MS,
  });
  electors.push(e);
  return e;
}

afterEach(async () => {
  for (const e of electors.splice(0)) await e.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('leader election on a Lease', () => {
  it('elects exactly one of two, and hands over within the lease duration when the leader dies', async () => {
    const lease = `coxswain-test-${Date.now()}`;
    const a = elector('replica-a', lease);
    const b = elector('replica-b', lease);
    const changes: string[] = [];
    a.onChange((leader) => changes.push(`a:${leader}`));
    b.onChange((leader) => changes.push(`b:${leader}`));
    a.start();
    b.start();
    const first = await eventually(
      'a leader',
      async () => (a.isLeader() ? a : b.isLeader() ? b : undefined),
      10_000,
    );
    // Watch several renew rounds: never two leaders, never a change of leader.
    for (let i = 0; i < 8; i++) {
      expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
      await sleep(RETRY_MS / 2);
    }
    expect(first.isLeader()).toBe(true);
    const held = getJson<{ spec: { holderIdentity: string; leaseDurationSeconds: number } }>('apps', [
      'get',
      'lease',
      lease,
      '-n',
      'default',
    ]);
    expect(held.spec).toMatchObject({ holderIdentity: first.identity, leaseDurationSeconds: 3 });

    // The leader dies: it stops renewing and does not release the lease.
    const other = first === a ? b : a;
    const died = Date.now();
    await first.stop({ release: false });
    await eventually('the other to take over', async () => other.isLeader(), LEASE_MS + 4 * RETRY_MS + 2000);
    const tookOver = Date.now() - died;
    // Within the lease duration of its last renewal, plus the standby's retry period and request time.
    expect(tookOver).toBeLessThanOrEqual(LEASE_MS + 2 * RETRY_MS + 500);
    expect(tookOver).toBeGreaterThanOrEqual(LEASE_MS - RETRY_MS); // it waited for the lease to expire
    const now = getJson<{ spec: { holderIdentity: string; leaseTransitions: number } }>('apps', [
      'get',
      'lease',
      lease,
      '-n',
      'default',
    ]);
    expect(now.spec.holderIdentity).toBe(other.identity);
    expect(now.spec.leaseTransitions).toBe(1);
    k('apps', ['delete', 'lease', lease, '-n', 'default']);
  });

  it('hands over at once when the leader stops cleanly', async () => {
    const lease = `coxswain-test-clean-${Date.now()}`;
    const a = elector('replica-a', lease);
    a.start();
    await eventually('a to lead', async () => a.isLeader(), 10_000);
    const b = elector('replica-b', lease);
    b.start();
    await sleep(2 * RETRY_MS);
    expect(b.isLeader()).toBe(false);
    const stopped = Date.now();
    await a.stop();
    expect(a.isLeader()).toBe(false);
    await eventually('b to lead', async () => b.isLeader(), LEASE_MS);
    expect(Date.now() - stopped).toBeLessThan(LEASE_MS);
    k('apps', ['delete', 'lease', lease, '-n', 'default']);
  });
});

class Channel implements ChatPort {
  readonly platform = 'test';
  posts: { by: string; message: Message }[] = [];
  constructor(
    private readonly by: string,
    private readonly shared: { by: string; message: Message }[],
  ) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  isReady(): boolean {
    return true;
  }
  async resolveChannel(name: string): Promise<Destination> {
    return { channelId: name };
  }
  async post(_destination: Destination, message: Message): Promise<PostRef> {
    this.shared.push({ by: this.by, message });
    return { platform: 'test', channelId: 'platform', postId: String(this.shared.length) };
  }
  async update(): Promise<void> {}
}

describe('scheduled summaries with two replicas', () => {
  it('only the leader posts; when it dies the other posts instead', async () => {
    const lease = `coxswain-test-cron-${Date.now()}`;
    const [schedule] = configSchema.parse({
      schedules: [{ name: 'tick', cron: '* * * * * *', channels: ['platform'], report: 'backups' }],
    }).schedules;
    if (!schedule) throw new Error('no schedule');
    const posts: { by: string; message: Message }[] = [];
    const apps = reader('apps');
    const health = engine([apps]);
    const log = pino({ level: 'silent' });
    const a = elector('replica-a', lease);
    const b = elector('replica-b', lease);
    const replicas = [a, b].map((e) => ({
      e,
      summaries: new HealthSummaries([schedule], {
        engine: health,
        chat: new Channel(e.identity, posts),
        isLeader: () => e.isLeader(),
        log,
      }),
    }));
    a.start();
    b.start();
    try {
      const leader = await eventually('a leader', async () => replicas.find((r) => r.e.isLeader()), 10_000);
      const standby = replicas.find((r) => r !== leader);
      if (!standby) throw new Error('no standby');
      // The same cron tick fires on both replicas.
      await Promise.all(replicas.map((r) => r.summaries.run(schedule)));
      expect(posts.map((p) => p.by)).toEqual([leader.e.identity]);
      expect(posts[0]?.message.title).toBe('Backup freshness');

      await leader.e.stop({ release: false });
      await eventually(
        'the standby to lead',
        async () => standby.e.isLeader(),
        LEASE_MS + 4 * RETRY_MS + 2000,
      );
      await Promise.all(replicas.map((r) => r.summaries.run(schedule)));
      expect(posts.map((p) => p.by)).toEqual([leader.e.identity, standby.e.identity]);
    } finally {
      apps.stop();
      k('apps', ['delete', 'lease', lease, '-n', 'default', '--ignore-not-found']);
    }
  });
});
