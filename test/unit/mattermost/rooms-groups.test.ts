/**
 * Inviting a Mattermost group to an incident room: the group of exactly the configured name (the
 * groups API's `q` is a search and may answer a longer name first), all its members page by page,
 * and a group the server does not have (or cannot have: custom groups need a licence) skipped.
 * The real free Mattermost server answers 501 to groups, so this part is proven at fetch level.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { MattermostAdapter } from '../../../adapters/chat/mattermost/mattermost-adapter.js';
import { allGroups } from '../../../commands/index.js';
import { ActionSigner } from '../../../src/security/signing.js';

function json(data: unknown, status = 200): Response {
  return new Response(JSON.stringify(data), { status, headers: { 'Content-Type': 'application/json' } });
}

/** 250 members in the DBA group: two pages of users. */
const dba = Array.from({ length: 250 }, (_, i) => ({ id: `u${i}`, username: `dba${i}` }));
const added: string[] = [];
const groupQueries: string[] = [];

beforeEach(() => {
  added.length = 0;
  groupQueries.length = 0;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      const method = (init?.method ?? 'GET').toUpperCase();
      const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
      const key = `${method} ${url.pathname}`;
      if (key === 'GET /api/v4/users/me') return json({ id: 'bot1', username: 'coxswain' });
      if (key === 'GET /api/v4/teams/name/ops') return json({ id: 'team1', name: 'ops' });
      if (key === 'GET /api/v4/groups') {
        groupQueries.push(url.searchParams.get('q') ?? '');
        return json([
          { id: 'g-leads', name: 'dba-oncall-leads' },
          { id: 'g-dba', name: 'dba-oncall' },
        ]);
      }
      if (key === 'GET /api/v4/users') {
        const group = url.searchParams.get('in_group');
        const page = Number(url.searchParams.get('page'));
        const perPage = Number(url.searchParams.get('per_page'));
        const members = group === 'g-dba' ? dba : [{ id: 'lead', username: 'lead' }];
        return json(members.slice(page * perPage, (page + 1) * perPage));
      }
      if (key === 'POST /api/v4/users/usernames')
        return json(
          (body as string[])
            .filter((name) => name.startsWith('dba'))
            .map((username) => ({ id: `id-${username}`, username })),
        );
      if (url.pathname.startsWith('/api/v4/channels/ch1/members/') && method === 'GET')
        return json({ message: 'not found', status_code: 404 }, 404);
      if (key === 'POST /api/v4/channels/ch1/members') {
        added.push((body as { user_id: string }).user_id);
        return json({ channel_id: 'ch1' }, 201);
      }
      return json({ message: `unexpected ${key}`, status_code: 501 }, 501);
    }),
  );
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

it('invites every member of the group of exactly that name, and skips a group it cannot find', async () => {
  const adapter = new MattermostAdapter({
    url: 'http://mm.test',
    token: 'bot-token',
    teams: ['ops'],
    trigger: '/ops',
    groups: allGroups(),
    signer: new ActionSigner('unit-test-key-0123456789abcdef'),
    log: pino({ level: 'silent' }),
  });
  vi.spyOn(adapter.socket, 'start').mockResolvedValue();
  await adapter.start({ onCommand: async () => undefined, onAction: async () => undefined });
  const { skipped } = await adapter.rooms.invite(
    { channelId: 'ch1' },
    { users: [], groups: ['dba-oncall', 'nobody-group'] },
  );
  expect(groupQueries).toEqual(['dba-oncall', 'nobody-group']);
  expect(added).toHaveLength(250);
  expect(new Set(added)).toEqual(new Set(dba.map((u) => `id-${u.username}`)));
  expect(added).not.toContain('id-lead');
  expect(skipped).toEqual(['nobody-group']);
});
