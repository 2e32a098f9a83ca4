/**
 * Incident rooms end to end: the bot started in-process as main.ts starts it, on the shell
 * adapter (a complete chat that prints every post as `[#channel] text`), with a real SQLite file
 * and a real config file. Each step types what a person would type and reads what the chat shows.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/config-schema.js';
import { openIncidentButton } from '../../src/incidents/actions.js';
import { type Bot, startBot } from '../../src/main.js';
import { compactDate } from '../../src/text/time.js';

const work = mkdtempSync(join(tmpdir(), 'coxswain-incidents-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const configPath = join(work, 'coxswain.yaml');
writeFileSync(
  configPath,
  `store:
  sqlite:
    path: ${join(work, 'coxswain.db')}
incidents:
  private: true
  announceChannel: incidents
  announceUpTo: 2
  archiveAfter: 1s
  invite:
    '2': ['~platform-leads']
  runbooks:
    - label: Incident process
      url: https://wiki.example.internal/incident-process
    - label: Apps runbook
      url: https://wiki.example.internal/apps
      clusters: [apps]
oncall:
  teams:
    - name: platform
      rotation: daily
      start: '2026-01-01'
      people: ['@alice']
    - name: dba
      rotation: weekly
      handoverDay: thursday
      start: '2026-01-01'
      people: ['~dba-oncall']
      clusters: [infra]
    - name: web
      rotation: daily
      start: '2026-01-01'
      people: ['@walter']
      clusters: [apps]
`,
);

/** A running bot with a typist and a reader of its chat. */
class Session {
  private text = '';
  private readonly input = new PassThrough();
  private constructor(
    readonly bot: Bot,
    output: PassThrough,
    input: PassThrough,
  ) {
    this.input = input;
    output.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
    });
  }

  static async start(role: Role, config = configPath): Promise<Session> {
    const input = new PassThrough();
    const output = new PassThrough();
    const bot = await startBot({ shell: true, role, configPath: config, input, output, env: {} });
    return new Session(bot, output, input);
  }

  get output(): string {
    return this.text;
  }

  /** Types a line and waits until the chat shows `until`; returns what appeared meanwhile. */
  async type(line: string, until: string | RegExp): Promise<string> {
    const from = this.text.length;
    this.input.write(`${line}\n`);
    return this.waitFor(until, from);
  }

  async waitFor(until: string | RegExp, from = 0, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.text.slice(from);
      if (typeof until === 'string' ? seen.includes(until) : until.test(seen)) return seen;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${String(until)}; the chat showed:\n${seen}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async end(): Promise<void> {
    this.input.end();
    await this.bot.done;
  }
}

const today = compactDate(Date.now(), 'UTC');
const room = `inc-${today}-postgres-failover-loop`;

describe('incident rooms in the shell', () => {
  let ops: Session;

  it('opens a room from a command: created, on-call invited, summary pinned, linked both ways, announced', async () => {
    ops = await Session.start('operator');
    const seen = await ops.type(
      '/ops incident open "Postgres failover loop" --sev 2 --cluster infra',
      'Incident room ~',
    );
    expect(seen).toContain(`[#${room}] (room created, private)`);
    // The opener, the on-call person of every team for infra (not web, which is apps only), and
    // the severity 2 list; nobody else.
    expect(seen).toContain(`[#${room}] (invited @local @alice ~dba-oncall ~platform-leads)`);
    const summary = new RegExp(`\\[#${room}\\] ⚠ Incident: Postgres failover loop\\n`);
    expect(seen).toMatch(summary);
    expect(seen).toContain('SEV2** on cluster **infra**, opened by @local from ~shell.');
    expect(seen).toContain('Commander: @local');
    expect(seen).toContain('A health snapshot is not available');
    expect(seen).toContain('  Incident process: https://wiki.example.internal/incident-process');
    expect(seen).not.toContain('Apps runbook');
    const summaryPost = /\[#inc-[^\]]+\] ⚠ Incident: Postgres failover loop/.exec(seen)?.index ?? -1;
    const pinned = /\[#inc-\d+-postgres-failover-loop\] \(pinned post (\d+)\)/.exec(seen);
    expect(pinned).not.toBeNull();
    expect(pinned?.index).toBeGreaterThan(summaryPost);
    // Back in the channel it was typed in, the link to the room; and the sev 2 announcement.
    expect(seen).toContain(`[#shell] Incident room ~${room} is open: **SEV2** Postgres failover loop`);
    await ops.waitFor(`[#incidents] ⚠ SEV2 incident: Postgres failover loop`);
    expect(ops.output).not.toContain('@walter');
  });

  it('gives a second incident with the same title on the same day a room of its own', async () => {
    const seen = await ops.type('/ops incident open "Postgres failover loop" --sev 3', 'Incident room ~');
    expect(seen).toContain(`[#${room}-2] (room created, private)`);
    expect(seen).toContain(`Incident room ~${room}-2 is open`);
    // Severity 3 is not announced, and without a cluster every team's on-call is invited.
    expect(seen).not.toContain('[#incidents]');
    expect(seen).toContain(`[#${room}-2] (invited @local @alice @walter ~dba-oncall)`);
    const incidents = await ops.bot.store.listIncidents({ state: 'open' });
    expect(incidents.map((i) => i.channelName).sort()).toEqual([room, `${room}-2`]);
  });

  it('puts notes, roles and severity changes on the timeline, in the room', async () => {
    await ops.type(`/join #${room}`, `(you are now in #${room})`);
    expect(await ops.type('/ops incident note "failover started, replica 2 lagging"', '📝')).toContain(
      `[#${room}] 📝 @local: failover started, replica 2 lagging`,
    );
    expect(await ops.type('/ops incident sev 1', 'Severity changed')).toContain(
      `[#${room}] Severity changed by @local: SEV2 → **SEV1**.`,
    );
    const assigned = await ops.type('/ops incident assign @Carol --role comms', 'is now the comms');
    expect(assigned).toContain(`[#${room}] (invited @carol)`);
    // The pinned summary is kept current.
    expect(assigned).toMatch(/\(updated post \d+\) ✖ Incident: Postgres failover loop[\s\S]*Comms: @carol/);
    const linked = await ops.type('/ops incident link-alert 5f3c9a1e22b0d7c4', 'linked by');
    expect(linked).toContain(
      `[#${room}] Alert alert \`5f3c9a1e22b0d7c4\` linked by @local; its changes will be posted here.`,
    );
    expect(linked).toMatch(
      /\(updated post \d+\) ✖ Incident: Postgres failover loop[\s\S]*- alert `5f3c9a1e22b0d7c4`: \*\*unknown\*\*/,
    );
    expect(await ops.type('/ops incident link-alert 5f3c9a1e22b0d7c4', 'already')).toContain(
      'That alert is linked to incident',
    );
    // A link to an alert post links every alert of the group it shows; an unknown post is named.
    expect(await ops.type('/ops incident link-alert https://chat.example/ops/pl/nope42', 'known')).toContain(
      'No alert post `nope42` is known to coxswain',
    );
    const firing = {
      status: 'firing',
      labels: { alertname: 'PostgresDown', cluster: 'infra' },
      startsAt: '2026-11-23T12:00:00Z',
    };
    await ops.bot.store.saveAlertGroup({
      groupKey: '{}:{alertname="PostgresDown"}',
      data: {
        groupKey: '{}:{alertname="PostgresDown"}',
        alerts: { a1b2c3: { ...firing, fingerprint: 'a1b2c3' } },
      },
      updatedAt: 1,
    });
    await ops.bot.store.saveAlertPost({
      groupKey: '{}:{alertname="PostgresDown"}',
      platform: 'shell',
      channelId: 'alerts',
      postId: 'post77',
    });
    expect(
      await ops.type('/ops incident link-alert https://chat.example/channel/alerts?msg=post77', 'linked by'),
    ).toContain(
      `[#${room}] Alert PostgresDown \`a1b2c3\` linked by @local; its changes will be posted here.`,
    );
    const status = await ops.type('/ops incident status', 'Timeline');
    expect(status).toContain('SEV1 · Postgres failover loop');
    expect(status).toMatch(/\| @local \| note \| failover started, replica 2 lagging \|/);
    expect(status).toMatch(/\| @local \| severity \| SEV2 → SEV1 \|/);
    expect(status).toMatch(/\| @local \| assign \| @carol is comms \|/);
    const [incident] = (await ops.bot.store.listIncidents({})).filter((i) => i.channelName === room);
    expect(incident).toMatchObject({ severity: 1, commander: 'local', comms: 'carol', state: 'open' });
    const kinds = (await ops.bot.store.listTimeline(incident?.id ?? -1)).map((e) => e.kind);
    expect(kinds).toEqual(['opened', 'invited', 'announced', 'note', 'severity', 'assign', 'alert', 'alert']);
  });

  it('resolves: posts the timeline, exports the postmortem, tells the origin, archives the room later', async () => {
    const seen = await ops.type('/ops incident resolve "replica 2 promoted, old primary fenced"', 'end of');
    expect(seen).toContain(`[#${room}] ✔ Resolved by @local: Postgres failover loop`);
    expect(seen).toMatch(/\| @local \| note \| failover started, replica 2 lagging \|/);
    expect(seen).toContain(`(file ${room}-postmortem.md, text/markdown,`);
    const file = seen.slice(seen.indexOf(`--- ${room}-postmortem.md ---`));
    for (const heading of [
      '# Postmortem: Postgres failover loop',
      '## Impact',
      '## Detection',
      '## Timeline',
      '## Root cause',
      '## Action items',
    ])
      expect(file).toContain(heading);
    expect(file).toContain('worst SEV1');
    expect(file).toContain('replica 2 promoted, old primary fenced');
    await ops.waitFor(`[#shell] Incident ~${room} is resolved: replica 2 promoted, old primary fenced`);
    // Nothing more can be changed, and after `archiveAfter` (1s here) the room is archived.
    expect(await ops.type('/ops incident note "late"', 'resolved already')).not.toContain('📝');
    await ops.waitFor(`[#${room}] (room archived)`);
    const [incident] = (await ops.bot.store.listIncidents({})).filter((i) => i.channelName === room);
    expect(incident?.state).toBe('resolved');
    expect(incident?.summary).toBe('replica 2 promoted, old primary fenced');
    expect(incident?.archivedAt).toBeGreaterThanOrEqual(incident?.archiveAt ?? Number.POSITIVE_INFINITY);
    const kinds = (await ops.bot.store.listTimeline(incident?.id ?? -1)).map((e) => e.kind);
    expect(kinds.slice(-2)).toEqual(['resolved', 'archived']);
  });

  it('opens from the Open incident button on an alert post, linked both ways, once', async () => {
    await ops.type('/join #shell', '(you are now in #shell)');
    await ops.bot.chat.post(
      { channelId: 'alerts' },
      {
        title: 'FIRING: KubePodCrashLooping',
        text: 'web-7d9 in apps is crash-looping',
        buttons: [
          openIncidentButton({
            alertname: 'KubePodCrashLooping',
            fingerprint: 'a1b2c3d4e5f60718',
            cluster: 'apps',
          }),
        ],
      },
    );
    const choice = /\[(\d+)\] Open incident/.exec(await ops.waitFor('Open incident'))?.[1];
    expect(choice).toBeDefined();
    const alertRoom = `inc-${today}-kubepodcrashlooping-on-apps`;
    const seen = await ops.type(String(choice), 'you are its commander');
    expect(seen).toContain(`[#${alertRoom}] (room created, private)`);
    expect(seen).toContain(`[#${alertRoom}] (invited @local @alice @walter)`);
    expect(seen).toContain('KubePodCrashLooping `a1b2c3d4e5f60718` on apps: **firing**');
    expect(seen).toContain('  Apps runbook: https://wiki.example.internal/apps');
    expect(seen).toMatch(new RegExp(`\\[#${alertRoom}\\] \\(pinned post \\d+\\)`));
    // The link back goes into the alert post's thread; sev 3 (the default) is not announced.
    expect(seen).toContain(`[#alerts ↳] Incident room ~${alertRoom} is open`);
    expect(seen).toContain(`Opened ~${alertRoom} for this alert`);
    expect(seen).not.toContain('[#incidents]');
    const [incident] = (await ops.bot.store.listIncidents({ state: 'open' })).filter(
      (i) => i.channelName === alertRoom,
    );
    expect(incident).toMatchObject({ cluster: 'apps', originChannelId: 'alerts', commander: 'local' });
    expect(await ops.bot.store.listIncidentAlerts(incident?.id ?? -1)).toMatchObject([
      {
        fingerprint: 'a1b2c3d4e5f60718',
        alertname: 'KubePodCrashLooping',
        state: 'firing',
        linkedBy: 'local',
      },
    ]);
    // A second click goes to the same room instead of opening another.
    expect(await ops.type(String(choice), 'already has an open incident')).toContain(`~${alertRoom}`);
    const audit = await ops.bot.store.listAudit({ username: 'local' });
    expect(audit.filter((a) => a.command === 'button incident.open').map((a) => a.outcome)).toEqual([
      'ok',
      'ok',
    ]);
  });

  it('keeps everything in the store: after a restart on the same file, list still shows it', async () => {
    await ops.end();
    const again = await Session.start('viewer');
    try {
      const seen = await again.type('/ops incident list', 'Incidents');
      expect(seen).toMatch(
        new RegExp(
          `\\| ~${room} \\| SEV1 \\| resolved \\(archived\\) \\| Postgres failover loop \\| @local \\|`,
        ),
      );
      expect(seen).toMatch(new RegExp(`\\| ~${room}-2 \\| SEV3 \\| open \\| Postgres failover loop \\|`));
      expect(seen).toContain(`~inc-${today}-kubepodcrashlooping-on-apps`);
      const open = await again.type('/ops incident list --open', 'Open incidents');
      expect(open).not.toContain(`~${room} `);
      expect(open).toContain(`~${room}-2`);
    } finally {
      await again.end();
    }
  });

  it('does not let a user without the operator role open one, by command or by button', async () => {
    const viewer = await Session.start('viewer');
    try {
      const seen = await viewer.type('/ops incident open "not mine"', 'needs the operator role');
      expect(seen).toContain('`/ops incident open` needs the operator role; you have the viewer role here.');
      await viewer.bot.chat.post(
        { channelId: 'alerts' },
        { text: 'FIRING: X', buttons: [openIncidentButton({ alertname: 'X', fingerprint: 'ffff' })] },
      );
      const choice = /\[(\d+)\] Open incident/.exec(await viewer.waitFor('Open incident'))?.[1];
      expect(await viewer.type(String(choice), 'needs the operator role')).toContain(
        'you have the viewer role',
      );
      expect(viewer.output).not.toContain('(room created');
      expect(
        (await viewer.bot.store.listIncidents({})).some((i) => i.title === 'not mine' || i.title === 'X'),
      ).toBe(false);
      const denied = await viewer.bot.store.listAudit({});
      expect(
        denied
          .filter((a) => a.outcome === 'denied')
          .map((a) => a.command)
          .sort(),
      ).toEqual(['button incident.open', 'incident open']);
    } finally {
      await viewer.end();
    }
  });
});

describe('on call in the shell', () => {
  const day = new Date().toISOString().slice(0, 10);
  const oncallConfig = join(work, 'oncall.yaml');
  writeFileSync(
    oncallConfig,
    `store:
  sqlite:
    path: ${join(work, 'oncall.db')}
oncall:
  teams:
    - name: pair
      rotation: daily
      handover: '00:00'
      start: '${day}'
      people: ['@ann', '@ben']
    - name: dba
      timeZone: Europe/Berlin
      rotation: weekly
      handoverDay: thursday
      start: '2026-01-01'
      people: ['~dba-oncall']
  reminders:
    # Every second, so the test sees one; people write '0 8 * * 1'.
    - cron: '* * * * * *'
      channel: platform
      teams: [pair]
`,
  );

  it('shows who is on call now and next, per team, to a viewer', async () => {
    const viewer = await Session.start('viewer', oncallConfig);
    try {
      const seen = await viewer.type('/ops oncall', 'dba');
      // The pair's rota started today at 00:00 UTC with ann.
      expect(seen).toMatch(
        /\*\*pair\*\*: now @ann \(since \w{3} \d+ \w{3} 00:00\), next @ben from \w{3} \d+ \w{3} 00:00 UTC \(daily handover\)/,
      );
      expect(seen).toMatch(/\*\*dba\*\*: now ~dba-oncall .* Europe\/Berlin \(weekly handover\)/);
    } finally {
      await viewer.end();
    }
  });

  it('an operator puts ben on call with an override; oncall and shifts show it', async () => {
    // Its own store: the override must not reach the reminder test's rota.
    const own = join(work, 'oncall-override.yaml');
    writeFileSync(own, readFileSync(oncallConfig, 'utf8').replace('oncall.db', 'oncall-override.db'));
    const operator = await Session.start('operator', own);
    try {
      const asked = await operator.type(
        '/ops oncall override @ben --until 2h --team pair --reason "ann is out"',
        'Confirm',
      );
      const choice = /(\d+)[).:\]]?\s*Confirm/.exec(asked)?.[1];
      expect(choice).toBeDefined();
      const done = await operator.type(choice as string, 'is on call now until');
      expect(done).toMatch(/pair: @ben is on call now until \w{3} \d+ \w{3} \d\d:\d\d UTC/);
      expect(await operator.type('/ops oncall', 'dba')).toMatch(/\*\*pair\*\*: now @ben \(since /);
      expect(await operator.type('/ops oncall shifts --team pair --days 1', 'pair')).toMatch(
        /: @ben \(override #\d+ by local: ann is out\)/,
      );
    } finally {
      await operator.end();
    }
  });

  it('posts handover reminders on their cron schedule', async () => {
    const viewer = await Session.start('viewer', oncallConfig);
    try {
      const seen = await viewer.waitFor('hands over', 0, 5_000);
      expect(seen).toContain('[#platform] On-call handover');
      expect(seen).toMatch(/\*\*pair\*\*: @ann hands over to @ben at \w{3} \d+ \w{3} 00:00 UTC\./);
      expect(seen).not.toContain('dba');
    } finally {
      await viewer.end();
    }
  });
});
