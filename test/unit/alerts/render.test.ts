import { describe, expect, it } from 'vitest';
import { type GroupState, mergeAlert, newGroup } from '../../../src/alerts/group.js';
import type { OutboxAlert, WebhookAlert } from '../../../src/alerts/payload.js';
import { renderGroup, renderStorm, safeUrl, severityOf } from '../../../src/alerts/render.js';
import { alert, payload } from '../../support/alert-payloads.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');

function group(alerts: WebhookAlert[]): GroupState {
  const p = payload(alerts);
  const rows: OutboxAlert[] = alerts.map((a) => ({
    groupKey: p.groupKey,
    receiver: p.receiver,
    groupLabels: p.groupLabels,
    commonLabels: p.commonLabels,
    commonAnnotations: p.commonAnnotations,
    externalURL: p.externalURL,
    alert: a,
  }));
  const g = newGroup(rows[0]!);
  for (const row of rows) mergeAlert(g, row);
  return g;
}

describe('rendering an alert group', () => {
  it('shows title, summary, description, key labels, start and duration, links and buttons', () => {
    const m = renderGroup(
      group([
        alert({
          annotations: {
            summary: 'Disk almost full',
            description: 'At 95%.',
            runbook_url: 'https://runbooks.example/disk',
          },
        }),
      ]),
      { now: NOW },
    );
    expect(m.title).toBe('FIRING: DiskFull');
    expect(m.severity).toBe('warning');
    expect(m.text).toContain('**Disk almost full**');
    expect(m.text).toContain('At 95%.');
    expect(m.fields).toEqual(
      expect.arrayContaining([
        { title: 'alertname', value: 'DiskFull', short: true },
        { title: 'cluster', value: 'infra', short: true },
        { title: 'namespace', value: 'databases', short: true },
        { title: 'started', value: '2026-11-23 11:48 UTC', short: true },
        { title: 'firing for', value: '12 min', short: true },
      ]),
    );
    expect(m.links).toEqual([
      { label: 'Runbook', url: 'https://runbooks.example/disk' },
      { label: 'Source', url: 'http://prometheus.example:9090/graph?g0.expr=up' },
    ]);
    expect(m.buttons?.map((b) => b.label)).toEqual([
      'Silence 1h',
      'Silence 4h',
      'Silence…',
      'Acknowledge',
      'Open incident',
    ]);
  });

  it('colours by severity and turns green without buttons when resolved', () => {
    expect(severityOf(group([alert({ labels: { severity: 'critical' } })]))).toBe('critical');
    expect(severityOf(group([alert({ labels: { severity: 'info' } })]))).toBe('info');
    const resolved = renderGroup(group([alert({ status: 'resolved', endsAt: '2026-11-23T12:00:00Z' })]), {
      now: NOW + 3_600_000,
    });
    expect(resolved.severity).toBe('ok');
    expect(resolved.title).toBe('RESOLVED: DiskFull');
    expect(resolved.buttons).toBeUndefined();
    expect(resolved.fields).toContainEqual({ title: 'lasted', value: '12 min', short: true });
  });

  it('escapes mentions, markdown links and HTML that come from the alert', () => {
    const m = renderGroup(
      group([
        alert({
          labels: { alertname: '@all <b>x</b>', pod: '@here' },
          annotations: {
            summary: '[click](https://evil.example) @channel',
            description: '<script>alert(1)</script> ![img](http://evil.example/i.png)',
          },
        }),
      ]),
      { now: NOW },
    );
    const everything = [m.title, m.text, ...(m.fields ?? []).map((f) => f.value)].join('\n');
    expect(everything).not.toMatch(/@(all|here|channel)/);
    expect(everything).not.toMatch(/\]\(/);
    expect(everything).not.toContain('<script>');
    // The URLs stay bare and whole (clickable, showing where they go), their brackets escaped.
    expect(everything).toContain('\\(https://evil.example\\)');
    expect(everything).not.toMatch(/[^\\][[(<]https?:\/\//);
    expect(m.title).toBe('FIRING: @\u200ball \\<b\\>x\\</b\\>');
  });

  it('mentions on-call only while critical and firing', () => {
    const critical = group([alert({ labels: { severity: 'critical' } })]);
    expect(renderGroup(critical, { now: NOW, mention: '@oncall-platform' }).text).toMatch(
      /^@oncall-platform critical alert/,
    );
    const warning = group([alert()]);
    expect(renderGroup(warning, { now: NOW, mention: '@oncall-platform' }).text).not.toContain('@oncall');
  });

  it('keeps only plain http(s) links', () => {
    expect(safeUrl('javascript:alert(1)')).toBeUndefined();
    expect(safeUrl('data:text/html,x')).toBeUndefined();
    expect(safeUrl('https://user:pw@grafana.example/d')).toBeUndefined();
    expect(safeUrl('not a url')).toBeUndefined();
    expect(safeUrl('https://grafana.example/d/abc?x=1')).toBe('https://grafana.example/d/abc?x=1');
    const m = renderGroup(
      group([
        alert({
          generatorURL: 'javascript:alert(1)',
          annotations: { grafana_url: 'https://grafana.example/d/x' },
        }),
      ]),
      { now: NOW },
    );
    expect(m.links).toEqual([{ label: 'Grafana', url: 'https://grafana.example/d/x' }]);
  });

  it('lists the alerts of a larger group and who acknowledged and silenced it', () => {
    const g = group([
      alert({ labels: { pod: 'a' } }),
      alert({ labels: { pod: 'b' } }),
      alert({ labels: { pod: 'c' }, status: 'resolved' }),
    ]);
    g.acks.push({ user: 'olivia', at: NOW });
    g.silences.push({ user: '@all', id: 's-1', alertmanager: 'infra', until: NOW + 3_600_000, at: NOW });
    const m = renderGroup(g, { now: NOW });
    expect(m.title).toBe('FIRING (2): DiskFull');
    expect(m.text).toContain('- firing pod=a');
    expect(m.text).toContain('- resolved pod=c');
    expect(m.text).toContain('Acknowledged by olivia at 2026-11-23 12:00 UTC.');
    expect(m.text).toContain('Silenced by @\u200ball until 2026-11-23 13:00 UTC (silence s-1 in infra).');
  });

  it('shows every time in the configured zone, named', () => {
    const g = group([alert()]);
    g.acks.push({ user: 'olivia', at: NOW });
    g.silences.push({ user: 'sam', id: 's-1', alertmanager: 'infra', until: NOW + 3_600_000, at: NOW });
    const m = renderGroup(g, { now: NOW, timeZone: 'Europe/Berlin' });
    expect(m.text).toContain('Acknowledged by olivia at 2026-11-23 13:00 CET.');
    expect(m.text).toContain('Silenced by sam until 2026-11-23 14:00 CET (silence s-1 in infra).');
    expect(m.fields).toContainEqual({ title: 'started', value: '2026-11-23 12:48 CET', short: true });
    const storm = renderStorm(
      { since: NOW, groups: 30, alerts: 90, byAlertname: new Map() },
      20,
      '1m',
      'America/New_York',
    );
    expect(storm.text).toContain('90 alerts in 30 groups since 2026-11-23 07:00 EST');
  });
});
