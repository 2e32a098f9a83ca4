import { describe, expect, it } from 'vitest';
import { AlertRouter } from '../../../src/alerts/routing.js';
import { configSchema } from '../../../src/config/schema.js';

function router(alerts: Record<string, unknown>) {
  return new AlertRouter(configSchema.parse({ alerts }).alerts);
}

const routes = {
  routes: [
    { matchers: ['namespace="databases"'], channels: ['databases'], mention: '@oncall-db', continue: true },
    {
      matchers: ['cluster="infra"', 'severity=~"critical|warning"'],
      channels: ['infra'],
      mention: '@oncall-platform',
    },
    { matchers: ['cluster="infra"'], channels: ['infra-low'] },
    { matchers: ['cluster="apps"'], channels: ['rc-apps'], platforms: ['rocketchat'] },
  ],
  defaultRoute: { channels: ['alerts'] },
};

describe('alert routing', () => {
  const r = router(routes);

  it('takes the first matching route and stops there', () => {
    expect(r.route({ cluster: 'infra', severity: 'warning' }, 'mattermost')).toEqual([{ channel: 'infra' }]);
    expect(r.route({ cluster: 'infra', severity: 'info' }, 'mattermost')).toEqual([{ channel: 'infra-low' }]);
  });

  it('goes on after a route with continue', () => {
    expect(r.route({ namespace: 'databases', cluster: 'infra', severity: 'warning' }, 'mattermost')).toEqual([
      { channel: 'databases' },
      { channel: 'infra' },
    ]);
  });

  it('falls back to the default route', () => {
    expect(r.route({ cluster: 'edge' }, 'mattermost')).toEqual([{ channel: 'alerts' }]);
    expect(router({}).route({}, 'mattermost')).toEqual([{ channel: 'alerts' }]);
  });

  it('mentions on-call only for critical groups', () => {
    expect(r.route({ namespace: 'databases', cluster: 'infra', severity: 'critical' }, 'mattermost')).toEqual(
      [
        { channel: 'databases', mention: '@oncall-db' },
        { channel: 'infra', mention: '@oncall-platform' },
      ],
    );
  });

  it('posts a platform-bound route only on that platform (the shell stands in for all)', () => {
    expect(r.route({ cluster: 'apps' }, 'mattermost')).toEqual([]);
    expect(r.route({ cluster: 'apps' }, 'rocketchat')).toEqual([{ channel: 'rc-apps' }]);
    expect(r.route({ cluster: 'apps' }, 'shell')).toEqual([{ channel: 'rc-apps' }]);
  });

  it('refuses route matchers that do not parse, at config load', () => {
    const result = configSchema.safeParse({
      alerts: { routes: [{ matchers: ['cluster'], channels: ['x'] }] },
    });
    expect(result.success).toBe(false);
  });
});

describe('oncall:<team> mentions', () => {
  const oncall = {
    teams: [{ name: 'platform', start: '2026-11-02', people: ['alice', 'bob'] }],
  };
  const alerts = {
    routes: [{ matchers: ['cluster="infra"'], channels: ['infra'], mention: 'oncall:platform @lead' }],
  };

  it('names whoever the roster says is on call now, asked per post', () => {
    let now = '@alice';
    const r = new AlertRouter(configSchema.parse({ alerts, oncall }).alerts, (team) =>
      team === 'platform' ? now : undefined,
    );
    expect(r.route({ cluster: 'infra', severity: 'critical' }, 'mattermost')).toEqual([
      { channel: 'infra', mention: '@alice @lead' },
    ]);
    now = '~dba';
    expect(r.route({ cluster: 'infra', severity: 'critical' }, 'mattermost')[0]?.mention).toBe('~dba @lead');
    expect(r.route({ cluster: 'infra', severity: 'warning' }, 'mattermost')).toEqual([{ channel: 'infra' }]);
  });

  it('without a roster the on-call part is left out, the rest stays', () => {
    const r = new AlertRouter(configSchema.parse({ alerts, oncall }).alerts);
    expect(r.route({ cluster: 'infra', severity: 'critical' }, 'mattermost')[0]?.mention).toBe('@lead');
  });

  it('the config refuses a team oncall.teams does not have', () => {
    const parsed = configSchema.safeParse({
      alerts: { routes: [{ channels: ['x'], mention: 'oncall:nope' }] },
      oncall,
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({
      path: ['alerts', 'routes', 0, 'mention'],
      message: 'oncall:nope names no team of oncall.teams (platform)',
    });
  });
});
