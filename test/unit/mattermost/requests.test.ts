/**
 * The REST requests the adapter sends, recorded at fetch and checked against Mattermost's
 * OpenAPI document; the hook routes driven through fastify; 429 handling with a fake clock.
 */
import Fastify from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MattermostAdapter } from '../../../adapters/chat/mattermost/mattermost-adapter.js';
import { MattermostRest } from '../../../adapters/chat/mattermost/rest-client.js';
import { allGroups } from '../../../commands/index.js';
import type { ActionEvent, Invocation } from '../../../src/ports.js';
import { ActionSigner } from '../../../src/security/signing.js';
import { MattermostOpenApi } from '../../support/mattermost/openapi.js';

const spec = new MattermostOpenApi();
const signer = new ActionSigner('unit-test-key-0123456789abcdef');

interface Recorded {
  method: string;
  url: string;
  body: unknown;
}

function json(data: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(data), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/** A fake server: answers by method and path, records every request. */
function fakeServer(existingCommand = false) {
  const recorded: Recorded[] = [];
  const fetchStub = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body;
    recorded.push({ method, url, body });
    const path = new URL(url).pathname;
    const key = `${method} ${path}`;
    if (key === 'GET /api/v4/users/me') return json({ id: 'bot1', username: 'coxswain' });
    if (key === 'GET /api/v4/teams/name/ops') return json({ id: 'team1', name: 'ops' });
    if (key === 'GET /api/v4/users/username/admin') return json({ id: 'adm1', username: 'admin' });
    if (key === 'GET /api/v4/users/username/bob') return json({ id: 'bob1', username: 'bob' });
    if (key === 'GET /api/v4/commands')
      return json(
        existingCommand
          ? [{ id: 'c1', trigger: 'ops', token: 't'.repeat(26), delete_at: 0, team_id: 'team1' }]
          : [],
      );
    if (key === 'POST /api/v4/commands')
      return json({ ...(body as object), id: 'c1', token: 't'.repeat(26) }, 201);
    if (key === 'PUT /api/v4/commands/c1') return json({ ...(body as object), token: 't'.repeat(26) });
    if (key === 'POST /api/v4/posts')
      return json(
        {
          id: 'p1',
          channel_id: (body as { channel_id: string }).channel_id,
          root_id: (body as { root_id?: string }).root_id ?? '',
        },
        201,
      );
    if (key === 'PUT /api/v4/posts/p1/patch') return json({ id: 'p1' });
    if (key === 'POST /api/v4/posts/p1/pin') return json({ status: 'OK' });
    if (key === 'POST /api/v4/channels')
      return json({ id: 'ch1', name: (body as { name: string }).name }, 201);
    if (key === 'POST /api/v4/channels/direct') return json({ id: 'dm1' }, 201);
    if (key === 'POST /api/v4/users/usernames') return json([{ id: 'bob1', username: 'bob' }]);
    if (key === 'GET /api/v4/channels/ch1/members/bob1')
      return json({ message: 'not found', status_code: 404 }, 404);
    if (key === 'POST /api/v4/channels/ch1/members') return json({ channel_id: 'ch1' }, 201);
    if (key === 'DELETE /api/v4/channels/ch1') return json({ status: 'OK' });
    if (
      key === 'GET /api/v4/channels/name/team1/alerts' ||
      key === 'GET /api/v4/teams/team1/channels/name/alerts'
    )
      return json({ id: 'ch9' });
    return json({ message: `unexpected ${key}`, status_code: 501 }, 501);
  });
  return { recorded, fetchStub };
}

function adapter() {
  const a = new MattermostAdapter({
    url: 'http://mm.test',
    token: 'bot-token',
    teams: ['ops'],
    commandOwner: 'admin',
    publicUrl: 'http://bot.test/',
    trigger: '/ops',
    groups: allGroups(),
    signer,
    log: pino({ level: 'silent' }),
    actionWindowMs: 200,
  });
  vi.spyOn(a.socket, 'start').mockResolvedValue();
  return a;
}

const noHandlers = { onCommand: async () => undefined, onAction: async () => undefined };

let server: ReturnType<typeof fakeServer>;
beforeEach(() => {
  server = fakeServer();
  vi.stubGlobal('fetch', server.fetchStub);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('Mattermost requests against the OpenAPI document', () => {
  it('registers the slash command (POST, or PUT when it exists) with a valid body, owned by the configured user', async () => {
    const a = adapter();
    await a.start(noHandlers);
    const create = server.recorded.find((r) => r.method === 'POST' && r.url.endsWith('/api/v4/commands'));
    expect(create?.body).toMatchObject({
      team_id: 'team1',
      trigger: 'ops',
      method: 'P',
      url: 'http://bot.test/hooks/mattermost/command',
      creator_id: 'adm1',
      auto_complete: true,
    });
    expect(spec.operationOf('POST', '/api/v4/commands')?.id).toBe('CreateCommand');
    expect(a.tokens.check('t'.repeat(26), undefined)).toBeUndefined();

    server = fakeServer(true);
    vi.stubGlobal('fetch', server.fetchStub);
    await adapter().start(noHandlers);
    const update = server.recorded.find((r) => r.method === 'PUT');
    expect(update?.url).toBe('http://mm.test/api/v4/commands/c1');
    expect(spec.operationOf('PUT', '/api/v4/commands/c1')?.id).toBe('UpdateCommand');
    for (const r of server.recorded) expect(spec.check(r.method, r.url, r.body)).toEqual([]);
  });

  it('posts, threads, updates, pins, creates, invites, archives and DMs with valid requests', async () => {
    const a = adapter();
    await a.start(noHandlers);
    await a.post({ channelId: 'ch9' }, { text: 'plain' });
    const ref = await a.post(
      { channelId: 'ch9', threadId: 'root1' },
      {
        title: 'T',
        text: 'x',
        severity: 'warning',
        buttons: [{ label: 'Go', action: 'a.go', payload: { k: 'v' } }],
      },
    );
    expect(ref.threadId).toBe('root1');
    await a.update({ platform: 'mattermost', channelId: 'ch9', postId: 'p1' }, { text: 'done' });
    await a.rooms.pin({ platform: 'mattermost', channelId: 'ch9', postId: 'p1' });
    const room = await a.rooms.create('inc-1', { private: true, purpose: 'p' });
    await a.rooms.invite(room, { users: ['bob'], groups: [] });
    await a.rooms.archive(room);
    await a.directMessage('bob', { text: 'hi' });
    const ops = server.recorded.map((r) => spec.operationOf(r.method, new URL(r.url).pathname)?.id);
    expect(ops).toEqual(
      expect.arrayContaining([
        'CreatePost',
        'PatchPost',
        'PinPost',
        'CreateChannel',
        'AddChannelMember',
        'DeleteChannel',
        'CreateDirectChannel',
      ]),
    );
    for (const r of server.recorded) expect(spec.check(r.method, r.url, r.body)).toEqual([]);
    const threaded = server.recorded.filter((r) => r.url.endsWith('/api/v4/posts'))[1];
    expect(threaded?.body).toMatchObject({ channel_id: 'ch9', root_id: 'root1' });
    const patch = server.recorded.find((r) => r.method === 'PUT' && r.url.endsWith('/patch'));
    expect(patch?.body).toEqual({ id: 'p1', message: 'done', props: { attachments: [] } });
  });

  it('the checker itself fails a body that breaks the spec', () => {
    expect(spec.check('POST', 'http://mm.test/api/v4/posts', { message: 'no channel' })).not.toEqual([]);
    expect(spec.check('POST', 'http://mm.test/api/v4/commands', { trigger: 'ops' })).not.toEqual([]);
    expect(spec.check('POST', 'http://mm.test/api/v4/nonsense', {})).not.toEqual([]);
  });
});

describe('Mattermost hooks', () => {
  async function withHooks() {
    const a = adapter();
    const commands: Invocation[] = [];
    const actions: ActionEvent[] = [];
    const handlers = {
      onCommand: async (i: Invocation) => {
        commands.push(i);
      },
      onAction: async (e: ActionEvent) => {
        actions.push(e);
        if (e.post) await e.responder.update(e.post, { text: `done by @${e.user.username}` });
      },
    };
    await a.start(handlers);
    const http = Fastify();
    a.registerRoutes(http);
    await http.ready();
    return { a, http, commands, actions };
  }

  it('acks a command with the right token at once and dispatches it; refuses others with 401', async () => {
    const { http, commands } = await withHooks();
    const form = new URLSearchParams({
      token: 't'.repeat(26),
      user_id: 'u1',
      user_name: 'alice',
      channel_id: 'ch9',
      channel_name: 'alerts',
      team_id: 'team1',
      text: ' health --cluster apps ',
      response_url: 'http://mm.test/hooks/commands/x',
    }).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const ok = await http.inject({
      method: 'POST',
      url: '/hooks/mattermost/command',
      payload: form,
      headers,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ response_type: 'ephemeral', text: '' });
    await vi.waitFor(() => expect(commands).toHaveLength(1));
    expect(commands[0]).toMatchObject({
      platform: 'mattermost',
      text: 'health --cluster apps',
      channel: { id: 'ch9', name: 'alerts' },
      user: { id: 'u1', username: 'alice' },
    });
    const bad = await http.inject({
      method: 'POST',
      url: '/hooks/mattermost/command',
      payload: form.replace(/token=t+/, 'token=nope'),
      headers,
    });
    expect(bad.statusCode).toBe(401);
    expect(commands).toHaveLength(1);
  });

  it('answers a signed click with an update of the clicked post; refuses forged or mismatched ones with 403', async () => {
    const { http, actions } = await withHooks();
    const token = signer.sign({ action: 'alert.ack', payload: { g: '1' }, expiresAt: Date.now() + 60_000 });
    const body = {
      user_id: 'u2',
      user_name: 'bob',
      channel_id: 'ch9',
      post_id: 'p7',
      context: { action: 'alert.ack', token },
    };
    const ok = await http.inject({ method: 'POST', url: '/hooks/mattermost/action', payload: body });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ update: { message: 'done by @bob', props: { attachments: [] } } });
    expect(actions[0]).toMatchObject({ action: 'alert.ack', payload: { g: '1' }, user: { username: 'bob' } });
    const forged = { ...body, context: { action: 'alert.ack', token: `${token.split('.')[0]}.AAAA` } };
    expect(
      (await http.inject({ method: 'POST', url: '/hooks/mattermost/action', payload: forged })).statusCode,
    ).toBe(403);
    const mismatch = { ...body, context: { action: 'alert.silence', token } };
    expect(
      (await http.inject({ method: 'POST', url: '/hooks/mattermost/action', payload: mismatch })).statusCode,
    ).toBe(403);
    expect(actions).toHaveLength(1);
  });
});

describe('429 handling', () => {
  it('waits for Retry-After, retries, and fails loudly after the cap', async () => {
    let calls = 0;
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        calls++;
        return calls <= 2
          ? new Response('limit exceeded', {
              status: 429,
              headers: { 'Retry-After': '2', 'Content-Type': 'text/plain' },
            })
          : json({ id: 'bot1', username: 'coxswain' });
      }),
    );
    let clock = 0;
    const waits: number[] = [];
    const rest = new MattermostRest({
      url: 'http://mm.test',
      token: 't',
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    expect((await rest.getMe()).id).toBe('bot1');
    expect(waits).toEqual([2000, 2000]);
    expect(rest.rateLimited).toBe(2);

    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('limit exceeded', { status: 429, headers: { 'Retry-After': '1' } })),
    );
    const capped = new MattermostRest({
      url: 'http://mm.test',
      token: 't',
      maxRetries: 1,
      sleep: async () => undefined,
    });
    await expect(capped.getMe()).rejects.toMatchObject({ status_code: 429 });
  });

  it('turns other failures into ClientErrors with the status', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => json({ id: 'api.x', message: 'nope', status_code: 403 }, 403)),
    );
    const rest = new MattermostRest({ url: 'http://mm.test', token: 't' });
    await expect(rest.getMe()).rejects.toMatchObject({
      status_code: 403,
      server_error_id: 'api.x',
      message: 'nope',
    });
  });
});
