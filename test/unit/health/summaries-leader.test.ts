import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { HealthEngine } from '../../../src/health/engine.js';
import { diffReports, HealthSummaries } from '../../../src/health/summaries.js';
import type { ClusterReport, KubeObject } from '../../../src/health/types.js';
import { observeLeadership, SelfLeader } from '../../../src/leader/election.js';
import type { Message } from '../../../src/message.js';
import { createMetrics } from '../../../src/metrics.js';
import type { ChatPort, Destination, PostRef } from '../../../src/ports.js';
import { MemoryReader } from './fake-reader.js';
import { HOUR, NOW, node } from './fixtures.js';

const log = pino({ level: 'silent' });

class RecordingChat implements ChatPort {
  readonly platform = 'test';
  posts: { channel: string; message: Message }[] = [];
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  isReady(): boolean {
    return true;
  }
  async resolveChannel(name: string): Promise<Destination> {
    return { channelId: `id-${name}` };
  }
  async post(destination: Destination, message: Message): Promise<PostRef> {
    this.posts.push({ channel: destination.channelId, message });
    return { platform: 'test', channelId: destination.channelId, postId: String(this.posts.length) };
  }
  async update(): Promise<void> {}
}

function setup(leader: boolean) {
  const infra = new MemoryReader('infra', {
    nodes: [node('n1') as KubeObject],
    deployments: [],
    statefulsets: [],
    daemonsets: [],
    pods: [],
  });
  const engine = new HealthEngine({
    readers: [infra],
    rpoMs: 6 * HOUR,
    certificateWarningMs: 14 * 24 * HOUR,
    progressAfterMs: 2000,
    timeoutMs: 1000,
    now: () => NOW,
  });
  const chat = new RecordingChat();
  const schedules = configSchema.parse({
    schedules: [
      { name: 'morning', cron: '0 8 * * 1-5', timeZone: 'Europe/Berlin', channels: ['platform', 'ops'] },
      { name: 'changes', cron: '*/15 * * * *', channels: ['platform'], report: 'changes' },
      { name: 'backups', cron: '0 9 * * 1', channels: ['platform'], report: 'backups' },
    ],
  }).schedules;
  const summaries = new HealthSummaries(schedules, { engine, chat, isLeader: () => leader, log });
  return { infra, chat, schedules, summaries };
}

describe('scheduled summaries', () => {
  it('the leader posts the summary to every channel of the schedule', async () => {
    const { chat, schedules, summaries } = setup(true);
    expect(await summaries.run(schedules[0] as (typeof schedules)[0])).toBe(true);
    expect(chat.posts.map((p) => [p.channel, p.message.title])).toEqual([
      ['id-platform', 'Platform health'],
      ['id-ops', 'Platform health'],
    ]);
    expect(chat.posts[0]?.message.text).toContain('#### infra: ok');
    expect(chat.posts[0]?.message.text).not.toContain('cached'); // no timing in a scheduled post
  });

  it('a replica that is not the leader posts nothing', async () => {
    const { chat, schedules, summaries } = setup(false);
    expect(await summaries.run(schedules[0] as (typeof schedules)[0])).toBe(false);
    expect(chat.posts).toEqual([]);
  });

  it('changes-only: the first run posts everything, later runs only what changed, nothing when nothing did', async () => {
    const { chat, infra, schedules, summaries } = setup(true);
    const changes = schedules[1] as (typeof schedules)[0];
    await summaries.run(changes);
    expect(chat.posts).toHaveLength(1);
    expect(await summaries.run(changes)).toBe(false);
    expect(chat.posts).toHaveLength(1);
    infra.objects.nodes = [node('n1', { ready: 'False' }) as KubeObject];
    expect(await summaries.run(changes)).toBe(true);
    expect(chat.posts[1]?.message).toMatchObject({ title: 'Platform health: changes', severity: 'critical' });
    expect(chat.posts[1]?.message.text).toBe(
      '- infra nodes: ok → fail — 0/1 Ready; v1.34.1, Talos \\(v1.11.2\\)',
    );
  });

  it('the backup report shows Velero and VolSync only', async () => {
    const { chat, schedules, summaries } = setup(true);
    await summaries.run(schedules[2] as (typeof schedules)[0]);
    expect(chat.posts[0]?.message.title).toBe('Backup freshness');
    expect(chat.posts[0]?.message.text).toBe(
      '#### infra: ok\n- velero: absent — not installed \\(no velero.io Backup API\\)\n- volsync: absent — not installed \\(no volsync.backube ReplicationSource API\\)',
    );
  });

  it('reads each cron expression in its own time zone', () => {
    const { summaries } = setup(true);
    summaries.start();
    try {
      const next = summaries.nextRuns().get('morning');
      const berlin = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Berlin',
        hour: '2-digit',
        minute: '2-digit',
        weekday: 'short',
      }).format(next ?? undefined);
      expect(berlin).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 08:00$/);
      expect(next?.getUTCHours()).not.toBe(8); // Berlin is never UTC
    } finally {
      summaries.stop();
    }
  });

  it('diffs reachability changes', () => {
    const up: ClusterReport = { cluster: 'apps', reachable: true, components: [], tookMs: 1, cold: false };
    const down: ClusterReport = {
      cluster: 'apps',
      reachable: false,
      error: 'timeout',
      components: [],
      tookMs: 1,
      cold: false,
    };
    expect(diffReports([up], [down])).toEqual(['apps: ok → unreachable (timeout)']);
    expect(diffReports([down], [down])).toEqual([]);
  });
});

describe('leadership', () => {
  it('a single replica leads itself from start to stop, and the metric follows', async () => {
    const metrics = createMetrics({ defaults: false });
    const self = new SelfLeader('coxswain-0');
    observeLeadership(self, metrics.registry, log);
    expect(await metrics.registry.getSingleMetricAsString('coxswain_leader')).toContain(
      'coxswain_leader{identity="coxswain-0"} 0',
    );
    self.start();
    expect(self.isLeader()).toBe(true);
    expect(await metrics.registry.getSingleMetricAsString('coxswain_leader')).toContain(
      'coxswain_leader{identity="coxswain-0"} 1',
    );
    await self.stop();
    const transitions = await metrics.registry.getSingleMetricAsString('coxswain_leader_transitions_total');
    expect(transitions).toContain('coxswain_leader_transitions_total{identity="coxswain-0",to="leader"} 1');
    expect(transitions).toContain('coxswain_leader_transitions_total{identity="coxswain-0",to="follower"} 1');
  });
});

describe('config', () => {
  it('has the defaults of the DR plan', () => {
    const config = configSchema.parse({});
    expect(config.clusters).toEqual([]);
    expect(config.health).toMatchObject({
      rpo: '6h',
      certificateWarning: '14d',
      progressAfter: '2s',
      timeout: '10s',
      pageSize: 500,
    });
    expect(config.leaderElection).toMatchObject({
      replicas: 1,
      namespace: 'coxswain',
      lease: 'coxswain-leader',
      leaseDuration: '15s',
    });
  });

  it('refuses a cluster that is neither in-cluster nor a kubeconfig, a bad cron and an unknown time zone', () => {
    const result = configSchema.safeParse({
      clusters: [{ name: 'infra' }, { name: 'apps', inCluster: true, kubeconfig: '/x' }],
      schedules: [{ name: 'a', cron: 'every morning', timeZone: 'Mars/Olympus', channels: ['x'] }],
    });
    expect(result.success).toBe(false);
    const messages = result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).sort();
    expect(messages).toEqual([
      'clusters.0: set either kubeconfig (and context) or inCluster: true',
      'clusters.1: set either kubeconfig (and context) or inCluster: true',
      'schedules.0.cron: must be a cron expression like 0 8 * * 1-5',
      'schedules.0.timeZone: must be an IANA time zone like UTC, Europe/Berlin or America/New_York (the names `timedatectl list-timezones` prints)',
    ]);
  });
});
