import { describe, expect, it } from 'vitest';
import { renderSnapshot } from '../../../src/incidents/health-snapshot.js';
import {
  listMessage,
  oncallMessage,
  postmortemMarkdown,
  statusMessage,
  summaryMessage,
  timelineMarkdown,
} from '../../../src/incidents/render.js';
import type { Incident, IncidentAlert, TimelineEntry } from '../../../src/store/store.js';

const t0 = Date.parse('2026-11-23T20:00:00Z');
const hostile = 'DB down @all <!here> [click](http://evil.example) | `x` **y**';

const incident: Incident = {
  id: 7,
  title: hostile,
  severity: 2,
  cluster: 'infra',
  state: 'resolved',
  platform: 'shell',
  channelId: 'inc-20261123-db-down-all',
  channelName: 'inc-20261123-db-down-all',
  commander: 'alice',
  comms: 'bob',
  createdBy: 'carol',
  createdAt: t0,
  resolvedAt: t0 + 65 * 60_000,
  summary: 'fixed by @channel, see http://x.example',
};

const timeline: TimelineEntry[] = [
  { incidentId: 7, at: t0, author: 'carol', kind: 'opened', text: hostile },
  { incidentId: 7, at: t0 + 60_000, author: 'alice', kind: 'note', text: 'line one\nline two | with pipe' },
  { incidentId: 7, at: t0 + 120_000, author: 'alice', kind: 'severity', text: 'SEV2 → SEV1' },
  { incidentId: 7, at: t0 + 180_000, author: 'alice', kind: 'severity', text: 'SEV1 → SEV2' },
  { incidentId: 7, at: t0 + 65 * 60_000, author: 'alice', kind: 'resolved', text: 'fixed' },
];

const alert: IncidentAlert = {
  incidentId: 7,
  fingerprint: 'a1b2`c3',
  alertname: 'CNPG@all',
  cluster: 'infra',
  state: 'firing',
  linkedBy: 'carol',
  linkedAt: t0,
};

/** No mention, link, HTML or table-breaking character gets through unescaped. */
function expectInert(text: string): void {
  expect(text).not.toMatch(/@(all|here|channel)\b/);
  expect(text).not.toContain('<!here>');
  expect(text).not.toContain('](http');
  // A URL stays bare (clickable, showing where it goes), never inside a link of its own.
  expect(text).not.toMatch(/[^\\]\(http/);
  expect(text).not.toMatch(/[^\\]\| `x`/);
}

describe('timeline markdown', () => {
  it('is a table with one row per entry, in the configured zone, folding newlines', () => {
    const table = timelineMarkdown(timeline, 'Europe/Berlin');
    const lines = table.split('\n');
    expect(lines[0]).toBe('| Time (Europe/Berlin) | Who | What | Detail |');
    expect(lines[1]).toBe('| --- | --- | --- | --- |');
    expect(lines).toHaveLength(2 + timeline.length);
    expect(lines[3]).toBe('| 2026-11-23 21:01 | @alice | note | line one / line two \\| with pipe |');
    // Every row has exactly the table's four cells: no unescaped pipe inside one.
    for (const line of lines.slice(2)) expect(line.split(/(?<!\\)\|/).length).toBe(6);
  });

  it('escapes what people and alerts wrote', () => {
    const row = timelineMarkdown(timeline, 'UTC').split('\n')[2] as string;
    expectInert(row);
    expect(row).toContain('DB down @\u200ball');
    expect(row).toContain('\\[click\\]\\(http://evil.example\\)');
  });
});

describe('postmortem skeleton', () => {
  const doc = postmortemMarkdown(incident, [alert], timeline, 'UTC');

  it('has the sections a postmortem needs, with the facts filled in', () => {
    const headings = doc.split('\n').filter((l) => l.startsWith('#'));
    expect(headings).toEqual([
      expect.stringMatching(/^# Postmortem: DB down/),
      '## Summary',
      '## Impact',
      '## Detection',
      '## Timeline',
      '## Root cause',
      '## Action items',
    ]);
    expect(doc).toContain('- Severity: SEV2 at resolution, worst SEV1');
    expect(doc).toContain('- Resolved: 2026-11-23 21:05 UTC, after 1h5m');
    expect(doc).toContain('- Commander: @alice; comms: @bob');
    expect(doc).toContain('Alert CNPG@\u200ball `a1b2ˋc3` on infra: **firing**');
    expect(doc).toContain(timelineMarkdown(timeline, 'UTC'));
  });

  it('escapes the title, summary and alert names', () => {
    expectInert(doc);
    expect(doc).toContain('fixed by @\u200bchannel, see http://x.example');
  });

  it('counts the severity it was opened with: opened SEV1, lowered to SEV2, was at worst SEV1', () => {
    const lowered: TimelineEntry[] = [
      { incidentId: 7, at: t0 + 60_000, author: 'alice', kind: 'severity', text: 'SEV1 → SEV2' },
    ];
    expect(postmortemMarkdown(incident, [], lowered, 'UTC')).toContain(
      '- Severity: SEV2 at resolution, worst SEV1',
    );
    expect(postmortemMarkdown(incident, [], [], 'UTC')).toContain(
      '- Severity: SEV2 at resolution, worst SEV2',
    );
  });

  it('says so when no alert was linked', () => {
    expect(postmortemMarkdown(incident, [], timeline, 'UTC')).toContain(
      'Opened by hand by @carol at 2026-11-23 20:00 UTC; no alert was linked.',
    );
  });
});

describe('summary and status', () => {
  it('pins title, severity, people, alerts, health and runbooks, all escaped', () => {
    const message = summaryMessage({
      incident: { ...incident, state: 'open' },
      alerts: [alert],
      runbooks: [{ label: 'Process', url: 'https://wiki.example/process' }],
      health: '- ✔ flux: ok',
      origin: 'alerts',
    });
    expect(message.title).toMatch(/^Incident: DB down @\u200ball/);
    expectInert(`${message.title}\n${message.text}`);
    expect(message.severity).toBe('warning');
    expect(message.text).toContain('**SEV2** on cluster **infra**, opened by @carol from ~alerts.');
    expect(message.text).toContain('Commander: @alice · Comms: @bob');
    expect(message.text).toContain('- CNPG@\u200ball `a1b2ˋc3` on infra: **firing**');
    expect(message.text).toContain('**Health of infra**\n- ✔ flux: ok');
    expect(message.links).toEqual([{ label: 'Process', url: 'https://wiki.example/process' }]);
  });

  it('links the alert post it was opened from, before the runbooks', () => {
    const message = summaryMessage({
      incident: { ...incident, state: 'open' },
      alerts: [alert],
      runbooks: [{ label: 'Process', url: 'https://wiki.example/process' }],
      health: '',
      alertPost: 'https://chat.example/ops/pl/p1',
    });
    expect(message.links).toEqual([
      { label: 'Alert post', url: 'https://chat.example/ops/pl/p1' },
      { label: 'Process', url: 'https://wiki.example/process' },
    ]);
  });

  it('shows state and the recent timeline', () => {
    const message = statusMessage(incident, [], timeline, 'UTC', t0 + 2 * 3_600_000);
    expect(message.title).toMatch(/^SEV2 · DB down/);
    expect(message.severity).toBe('ok');
    expect(message.text).toContain('Incident 7 in ~inc-20261123-db-down-all: resolved 2026-11-23 21:05 UTC.');
    const open = statusMessage({ ...incident, state: 'open' }, [], timeline, 'UTC', t0 + 2 * 3_600_000);
    expect(open.text).toContain('open for 2h.');
  });

  it('lists incidents as a table', () => {
    const message = listMessage(
      [incident, { ...incident, id: 8, state: 'open', archivedAt: undefined }],
      'UTC',
      false,
    );
    const rows = message.text.split('\n');
    expect(rows).toHaveLength(4);
    expectInert(message.text);
    expect(listMessage([], 'UTC', true).text).toBe('No open incidents.');
  });
});

describe('on-call and health snapshot', () => {
  it('shows who is on call now and next per team', () => {
    const message = oncallMessage([
      {
        shift: { team: 'platform', current: 'Alice', next: '~dba', since: t0, until: t0 + 86_400_000 },
        timeZone: 'UTC',
        rotation: 'daily',
      },
    ]);
    expect(message.text).toBe(
      '**platform**: now @alice (since Mon 23 Nov 20:00), next ~dba from Tue 24 Nov 20:00 UTC (daily handover)',
    );
    expect(oncallMessage([]).text).toContain('oncall.teams');
  });

  it('renders a health report problems first, without absent components, escaped', () => {
    const text = renderSnapshot([
      {
        cluster: 'infra',
        reachable: true,
        components: [
          { component: 'flux', status: 'ok', summary: 'all Ready' },
          { component: 'velero', status: 'absent', summary: 'not installed' },
          { component: 'ceph', status: 'fail', summary: 'HEALTH_ERR @all' },
          { component: 'cnpg', status: 'warn', summary: '1 of 3 not ready' },
        ],
      },
    ]);
    expect(text.split('\n')).toEqual([
      '- ✖ ceph: fail, HEALTH\\_ERR @\u200ball',
      '- ⚠ cnpg: warn, 1 of 3 not ready',
      '- ✔ flux: ok, all Ready',
    ]);
    expect(
      renderSnapshot([{ cluster: 'apps', reachable: false, error: 'connect ECONNREFUSED', components: [] }]),
    ).toBe('Cluster apps is unreachable: connect ECONNREFUSED.');
  });
});
