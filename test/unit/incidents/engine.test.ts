/**
 * The engine against a real in-memory SQLite store and a chat port that records what it was
 * asked to do: the parts the shell e2e cannot reach (alert state changes, a name taken on the
 * platform, no rooms capability, a health engine, archiving that fails).
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { HealthEngine } from '../../../src/health/engine.js';
import { BrokenReader } from '../../../src/health/feature.js';
import type { ClusterReader, KindSpec, KindState } from '../../../src/health/types.js';
import { IncidentError } from '../../../src/incidents/context.js';
import { IncidentEngine } from '../../../src/incidents/engine.js';
import { postReminder } from '../../../src/incidents/feature.js';
import { isHealthSource, renderSnapshot } from '../../../src/incidents/health-snapshot.js';
import { SelfLeader } from '../../../src/leader/election.js';
import type { Message } from '../../../src/message.js';
import {
  type ChatPort,
  type Destination,
  type PostRef,
  type Room,
  RoomExistsError,
  type RoomsCapability,
} from '../../../src/ports.js';
import { SqlStore } from '../../../src/store/sql-store.js';
import { SqliteDriver } from '../../../src/store/sqlite-driver.js';

class RecordingChat implements ChatPort {
  readonly platform = 'test';
  readonly calls: string[] = [];
  readonly posts: { channelId: string; threadId?: string; message: Message }[] = [];
  /** Names the platform already has (made by people, not by coxswain). */
  readonly existing = new Set<string>();
  failArchive = false;
  private next = 1;
  rooms: RoomsCapability | undefined = {
    create: async (name, options): Promise<Room> => {
      if (this.existing.has(name)) throw new RoomExistsError(name);
      this.existing.add(name);
      this.calls.push(`create ${name} ${options.private ? 'private' : 'public'}`);
      return { channelId: `id-${name}`, name };
    },
    invite: async (room, people) => {
      this.calls.push(`invite ${room.channelId} ${people.users.join(',')} ${people.groups.join(',')}`);
      return { skipped: [] };
    },
    pin: async (ref) => {
      this.calls.push(`pin ${ref.postId}`);
    },
    archive: async (room) => {
      if (this.failArchive) throw new Error('server said no');
      this.calls.push(`archive ${room.channelId}`);
    },
    attach: async (room, file, message) => {
      this.calls.push(`attach ${room.channelId} ${file.name}`);
      return this.post(room, message);
    },
  };
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  isReady(): boolean {
    return true;
  }
  async resolveChannel(name: string): Promise<Destination> {
    return { channelId: `id-${name}` };
  }
  async post(destination: Destination, message: Message): Promise<PostRef> {
    this.posts.push({ ...destination, message });
    return { platform: this.platform, channelId: destination.channelId, postId: `p${this.next++}` };
  }
  async update(ref: PostRef, _message: Message): Promise<void> {
    this.calls.push(`update ${ref.postId}`);
  }
}

let store: SqlStore;
let chat: RecordingChat;
let clock: { now: number };
let health: unknown;

function engine(config: Record<string, unknown> = {}): IncidentEngine {
  const parsed = configSchema.parse(config);
  return new IncidentEngine({
    incidents: parsed.incidents,
    timeZone: parsed.timeZone,
    oncall: parsed.oncall,
    store,
    chat,
    log: pino({ level: 'silent' }),
    now: () => clock.now,
    healthSnapshot: () => {
      const source = health;
      return isHealthSource(source)
        ? async (cluster) => renderSnapshot(await source.check({ cluster }))
        : undefined;
    },
  });
}

const origin = { channelId: 'id-ops', channelName: 'ops' };

beforeEach(async () => {
  store = new SqlStore(new SqliteDriver(':memory:'));
  await store.migrate();
  chat = new RecordingChat();
  clock = { now: Date.parse('2026-11-23T10:00:00Z') };
  health = undefined;
});
afterEach(() => store.close());

describe('IncidentEngine', () => {
  it('takes the next name when the platform has the room name already', async () => {
    chat.existing.add('inc-20261123-db-down');
    chat.existing.add('inc-20261123-db-down-2');
    const { room } = await engine().open({ title: 'DB down', by: 'alice', origin });
    expect(room.name).toBe('inc-20261123-db-down-3');
    expect(chat.calls[0]).toBe('create inc-20261123-db-down-3 private');
  });

  it('opens two rooms of the same title at the same moment under two names', async () => {
    const e = engine({ incidents: { private: false } });
    const [a, b] = await Promise.all([
      e.open({ title: 'DB down', by: 'alice', origin }),
      e.open({ title: 'DB down', by: 'bob', origin }),
    ]);
    expect([a.room.name, b.room.name].sort()).toEqual(['inc-20261123-db-down', 'inc-20261123-db-down-2']);
    expect(chat.calls.filter((c) => c.startsWith('create'))).toEqual([
      'create inc-20261123-db-down public',
      'create inc-20261123-db-down-2 public',
    ]);
  });

  it('uses the date in the configured time zone for the room name', async () => {
    clock.now = Date.parse('2026-11-23T23:30:00Z');
    const { room } = await engine({ incidents: { timeZone: 'Asia/Tokyo' } }).open({
      title: 'x',
      by: 'a',
      origin,
    });
    expect(room.name).toBe('inc-20261124-x');
  });

  it('uses the top-level time zone when incidents.timeZone is not set, and names it', async () => {
    clock.now = Date.parse('2026-11-23T23:30:00Z');
    const tokyo = engine({ timeZone: 'Asia/Tokyo' });
    const { room } = await tokyo.open({ title: 'x', by: 'a', origin });
    expect(room.name).toBe('inc-20261124-x');
    expect(tokyo.timeZone).toBe('Asia/Tokyo');
    // incidents.timeZone, where set, still decides for incidents.
    expect(engine({ timeZone: 'Asia/Tokyo', incidents: { timeZone: 'Europe/Berlin' } }).timeZone).toBe(
      'Europe/Berlin',
    );
  });

  it('refuses plainly where the chat adapter cannot make rooms', async () => {
    chat.rooms = undefined;
    await expect(engine().open({ title: 'DB down', by: 'alice', origin })).rejects.toThrow(IncidentError);
    await expect(engine().open({ title: 'DB down', by: 'alice', origin })).rejects.toThrow(
      'The test adapter cannot create rooms yet',
    );
    expect(await store.listIncidents({})).toEqual([]);
  });

  it("shows the affected cluster's health when a health engine is there", async () => {
    const asked: unknown[] = [];
    health = {
      check: async (query: unknown) => {
        asked.push(query);
        return [
          {
            cluster: 'infra',
            reachable: true,
            components: [{ component: 'ceph', status: 'warn', summary: 'HEALTH_WARN' }],
          },
        ];
      },
    };
    await engine().open({ title: 'Ceph slow', cluster: 'infra', by: 'alice', origin });
    expect(asked).toEqual([{ cluster: 'infra' }]);
    const summary = chat.posts.find((p) => p.message.title?.startsWith('Incident:'));
    expect(summary?.message.text).toContain('**Health of infra**\n- ⚠ ceph: warn, HEALTH\\_WARN');
  });

  it('reads the real health engine: the affected cluster only, and says when it is unreachable', async () => {
    const empty: ClusterReader = {
      cluster: 'infra',
      read: async (kinds: readonly KindSpec[]) =>
        new Map<string, KindState>(kinds.map((k) => [k.id, { served: true, objects: [] }])),
      warm: () => true,
      stop: () => {},
    };
    health = new HealthEngine({
      readers: [empty, new BrokenReader('apps', 'connect ECONNREFUSED 10.0.0.1:6443')],
      rpoMs: 6 * 3_600_000,
      certificateWarningMs: 14 * 86_400_000,
      progressAfterMs: 2000,
      timeoutMs: 1000,
    });
    const e = engine();
    await e.open({ title: 'Apps down', cluster: 'apps', by: 'alice', origin });
    await e.open({ title: 'Infra slow', cluster: 'infra', by: 'alice', origin });
    await e.open({ title: 'Elsewhere', cluster: 'edge', by: 'alice', origin });
    const summaries = chat.posts
      .filter((p) => p.message.title?.startsWith('Incident:'))
      .map((p) => p.message.text);
    expect(summaries[0]).toContain(
      '**Health of apps**\nCluster apps is unreachable: connect ECONNREFUSED 10.0.0.1:6443.',
    );
    expect(summaries[0]).not.toContain('infra');
    expect(summaries[1]).toMatch(/\*\*Health of infra\*\*\n- [✔⚠✖] \w/);
    expect(summaries[2]).toContain('The health snapshot failed: `There is no cluster edge in the config');
  });

  it('posts a linked alert’s state changes into the room, once per change, and not after resolve', async () => {
    const e = engine();
    const { incident } = await e.open({
      title: 'Pods crash',
      by: 'alice',
      origin: { ...origin, threadId: 'alert-post' },
      alert: { fingerprint: 'f00d', alertname: 'KubePodCrashLooping', cluster: 'apps', state: 'firing' },
    });
    // The link back went into the alert post's thread.
    expect(chat.posts.some((p) => p.channelId === 'id-ops' && p.threadId === 'alert-post')).toBe(true);
    expect(await e.alertChanged({ fingerprint: 'f00d', state: 'firing' })).toBe(0);
    expect(await e.alertChanged({ fingerprint: 'f00d', state: 'resolved' })).toBe(1);
    expect(await e.alertChanged({ fingerprint: 'other', state: 'resolved' })).toBe(0);
    const inRoom = chat.posts.filter((p) => p.channelId === incident.channelId).map((p) => p.message.text);
    expect(inRoom).toContain('Linked alert KubePodCrashLooping `f00d` is now **resolved**.');
    const timeline = await store.listTimeline(incident.id);
    expect(timeline.at(-1)).toMatchObject({
      author: 'alertmanager',
      kind: 'alert',
      text: 'KubePodCrashLooping f00d is resolved',
    });
    expect(chat.calls).toContain(`update ${incident.summaryPostId}`);
    await e.resolve(incident, 'alice', 'done');
    expect(await e.alertChanged({ fingerprint: 'f00d', state: 'firing' })).toBe(0);
    e.stop();
  });

  it('archives a resolved room once it is due, and tries again later when archiving fails', async () => {
    const e = engine({ incidents: { archiveAfter: '1h' } });
    const { incident } = await e.open({ title: 'DB down', by: 'alice', origin });
    await e.resolve(incident, 'alice', 'fixed');
    e.stop();
    expect(await e.archiveDue()).toBe(0);
    clock.now += 3_600_000;
    chat.failArchive = true;
    expect(await e.archiveDue()).toBe(0);
    expect((await store.getIncident(incident.id))?.archivedAt).toBeUndefined();
    chat.failArchive = false;
    expect(await e.archiveDue()).toBe(1);
    expect(await e.archiveDue()).toBe(0);
    expect(chat.calls.filter((c) => c.startsWith('archive'))).toEqual([`archive ${incident.channelId}`]);
  });

  it('answers mistakes with sentences', async () => {
    const e = engine();
    const { incident } = await e.open({ title: 'DB down', by: 'alice', origin });
    await expect(e.assign(incident, 'alice', 'not a user!', 'comms')).rejects.toThrow('write it like @alice');
    await expect(e.setSeverity(incident, 'alice', 3)).rejects.toThrow('is SEV3 already');
    await expect(e.target('test', 'id-ops', undefined, false)).rejects.toThrow('not an incident room');
    await expect(e.target('test', 'x', 99, false)).rejects.toThrow('There is no incident 99');
    await e.resolve(incident, 'alice', 'fixed');
    e.stop();
    await expect(e.target('test', incident.channelId as string, undefined, true)).rejects.toThrow(
      'resolved already',
    );
  });

  it('announces when the severity is raised into the announced range', async () => {
    const e = engine({ incidents: { announceChannel: 'incidents' } });
    const { incident } = await e.open({ title: 'Slow', severity: 3, by: 'alice', origin });
    expect(chat.posts.filter((p) => p.channelId === 'id-incidents')).toHaveLength(0);
    await e.setSeverity(incident, 'bob', 2);
    await e.setSeverity(incident, 'bob', 1);
    const announced = chat.posts.filter((p) => p.channelId === 'id-incidents');
    expect(announced.map((p) => p.message.title)).toEqual(['SEV2 incident: Slow']);
  });

  it('leaves the latest picture pinned when two changes rewrite the summary at once', async () => {
    const e = engine();
    const { incident } = await e.open({ title: 'DB down', severity: 2, by: 'alice', origin });
    const pinned: string[] = [];
    let slow = true;
    chat.update = async (_ref: PostRef, message: Message) => {
      // The first rewrite takes longer on the wire than the second.
      if (slow) {
        slow = false;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      pinned.push(message.text ?? '');
    };
    // Two commands, each with the incident as it read it from the store.
    const [forSev, forAssign] = await Promise.all([
      store.getIncident(incident.id),
      store.getIncident(incident.id),
    ]);
    await Promise.all([
      e.setSeverity(forSev as typeof incident, 'bob', 1),
      e.assign(forAssign as typeof incident, 'bob', '@carol', 'comms'),
    ]);
    expect(pinned.at(-1)).toContain('**SEV1**');
    expect(pinned.at(-1)).toContain('Comms: @carol');
  });

  it('links rooms the way the platform does (rooms.mention), and as ~name where it says nothing', async () => {
    const plain = engine({ incidents: { announceChannel: 'incidents' } });
    const first = await plain.open({ title: 'DB down', severity: 1, by: 'alice', origin });
    expect(plain.openedNotice(first.incident).text).toContain('Incident room ~inc-20261123-db-down is open');

    const rooms = chat.rooms as RoomsCapability;
    chat.rooms = { ...rooms, mention: (room) => `#${room.name}` };
    chat.posts.length = 0;
    const hashed = engine({ incidents: { announceChannel: 'incidents' } });
    const { incident } = await hashed.open({ title: 'Web down', severity: 1, by: 'alice', origin });
    const texts = () => chat.posts.map((p) => `${p.message.title ?? ''} ${p.message.text ?? ''}`).join('\n');
    expect(hashed.openedNotice(incident).text).toContain('Incident room #inc-20261123-web-down is open');
    // The summary's origin, the announcement, status, list and the resolve notice alike.
    expect(texts()).toContain('from #ops.');
    expect(texts()).toContain('Room: #inc-20261123-web-down;');
    expect((await hashed.status(incident)).text).toContain('in #inc-20261123-web-down:');
    expect((await hashed.list({})).text).toContain('| #inc-20261123-web-down |');
    await hashed.resolve(incident, 'alice', 'fixed');
    expect(texts()).toContain('Incident #inc-20261123-web-down is resolved: fixed');
    expect(texts()).not.toContain('~inc-20261123-web-down');
  });
});

describe('handover reminders', () => {
  const config = configSchema.parse({
    oncall: {
      teams: [
        { name: 'platform', rotation: 'daily', start: '2026-11-01', people: ['@ann', '@ben'] },
        { name: 'dba', rotation: 'daily', start: '2026-11-01', people: ['~dba'] },
      ],
      reminders: [{ cron: '0 8 * * *', channel: 'platform', teams: ['platform'] }],
    },
  });
  const reminder = config.oncall.reminders[0] as (typeof config.oncall.reminders)[number];

  it('are posted by the leader only, for the teams they name', async () => {
    const e = engine(config);
    let leads = false;
    const ctx = { chat, log: pino({ level: 'silent' }), isLeader: () => leads };
    expect(await postReminder(ctx, e, reminder)).toBe(false);
    expect(chat.posts).toEqual([]);
    leads = true;
    expect(await postReminder(ctx, e, reminder)).toBe(true);
    // 2026-11-23 10:00Z: day 22 of the rota, so ann (even days) hands over to ben at 09:00 UTC tomorrow.
    expect(chat.posts).toEqual([
      {
        channelId: 'id-platform',
        message: {
          title: 'On-call handover',
          text: '**platform**: @ann hands over to @ben at Tue 24 Nov 09:00 UTC.',
        },
      },
    ]);
    // Without leader election (one replica, the shell) the replica leads itself and reminds.
    const self = new SelfLeader('only');
    self.start();
    expect(await postReminder({ ...ctx, isLeader: () => self.isLeader() }, e, reminder)).toBe(true);
  });
});
