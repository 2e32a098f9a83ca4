/**
 * `/ops incident open` without a title on the REAL Mattermost 11.4 server (this project's global
 * setup) through the whole bot: the command goes through POST /api/v4/commands/execute (the
 * server calls the bot with a trigger_id), the bot opens the incident form, the server sends the
 * invoker an `open_dialog` WebSocket event, and the submission through
 * POST /api/v4/actions/dialogs/submit opens the room on the server.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import type { Bot } from '../../../src/main.js';
import { Api } from '../../stack/mattermost/server.js';
import { runCommand, startMattermostBot, waitFor } from '../../support/mattermost/bot.js';

interface Received {
  event: string;
  data: Record<string, unknown>;
}

interface OpenDialog {
  url: string;
  dialog: {
    callback_id: string;
    state: string;
    elements: { name: string; type: string; default: string; options: { value: string }[] | null }[];
  };
}

const mm = inject('mattermost');
const api = new Api(mm.url);
api.token = mm.admin.token;
const title = `dialog opened ${Date.now().toString(36)}`;
let bot: Bot;
let dir: string;

const execute = (user: { token: string }, command: string) => runCommand(api, mm, user, command);

/**
 * The `open_dialog` events that reach one person's WebSocket while `during` runs, collected until
 * `until` holds for what the socket received (by default: until a dialog arrives).
 */
async function dialogsOf(
  token: string,
  during: () => Promise<unknown>,
  until: (events: Received[]) => boolean = (events) => events.some((e) => e.event === 'open_dialog'),
): Promise<OpenDialog[]> {
  const events: Received[] = [];
  const socket = new WebSocket(`${mm.url.replace(/^http/, 'ws')}/api/v4/websocket`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  socket.on('message', (raw) => events.push(JSON.parse(String(raw))));
  try {
    await waitFor('hello', async () => events.some((e) => e.event === 'hello'));
    await during();
    await waitFor('the answer on the WebSocket', async () => until(events));
    return events
      .filter((e) => e.event === 'open_dialog')
      .map((e) => JSON.parse(String(e.data.dialog)) as OpenDialog);
  } finally {
    socket.close();
  }
}

beforeAll(async () => {
  ({ bot, dir } = await startMattermostBot(mm, {
    prefix: 'coxswain-mm-incident-dialog-',
    signingKey: 'd'.repeat(40),
    extra: {
      incidents: { private: false },
      auth: {
        bindings: [
          { role: 'operator', users: ['alice'] },
          { role: 'viewer', groups: [mm.teamName] },
        ],
      },
    },
  }));
});

afterAll(async () => {
  await bot?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('/ops incident open without a title (real Mattermost)', () => {
  it('asks with a form, and its submission opens the room as the submitter', async () => {
    const [opened] = await dialogsOf(mm.alice.token, () => execute(mm.alice, '/ops incident open --sev 2'));
    if (!opened) throw new Error('no dialog');
    expect(opened.url).toBe(`${bot.url}/hooks/mattermost/dialog`);
    const fields = Object.fromEntries(opened.dialog.elements.map((e) => [e.name, e]));
    expect(Object.keys(fields)).toEqual(['title', 'sev', 'cluster']);
    expect(fields.sev?.default).toBe('2');

    const submit = (submission: Record<string, string>) =>
      api.call<{ error?: string; errors?: Record<string, string> } | undefined>(
        'POST',
        '/actions/dialogs/submit',
        {
          url: opened.url,
          callback_id: opened.dialog.callback_id,
          state: opened.dialog.state,
          channel_id: mm.channelId,
          team_id: mm.teamId,
          submission,
          cancelled: false,
        },
        mm.alice.token,
      );
    const wrong = await submit({ title: '', sev: '7' });
    expect(Object.keys(wrong?.errors ?? {}).sort()).toEqual(['sev', 'title']);

    const answer = await submit({ title, sev: '2' });
    expect(answer?.error).toBeUndefined();
    expect(answer?.errors).toBeUndefined();
    const slug = title.replace(/ /g, '-');
    const channels = await api.call<{ id: string; name: string; display_name: string }[]>(
      'GET',
      `/teams/${mm.teamId}/channels?per_page=200`,
    );
    const room = channels.find((c) => c.name.includes(slug));
    expect(room, `a channel named after "${title}"`).toBeDefined();
    const members = await api.call<{ user_id: string }[]>('GET', `/channels/${room?.id}/members`);
    expect(members.map((m) => m.user_id)).toContain(mm.alice.id);
    // The notice goes to the channel the command was typed in, as `incident open <title>` does.
    await waitFor('the notice in the channel', async () => {
      const list = await api.call<{
        order: string[];
        posts: Record<
          string,
          { user_id: string; message: string; props?: { attachments?: { text?: string }[] } }
        >;
      }>('GET', `/channels/${mm.channelId}/posts?per_page=50`);
      return Object.values(list.posts).some(
        (p) =>
          p.user_id === mm.bot.id &&
          `${p.message} ${(p.props?.attachments ?? []).map((a) => a.text ?? '').join(' ')}`.includes(title),
      );
    });
  });

  it('shows no form to someone who may not open incidents', async () => {
    // The refusal reaches Bob the way the form would have (his WebSocket): once it is there, no form came.
    const opened = await dialogsOf(
      mm.bob.token,
      () => execute(mm.bob, '/ops incident open'),
      (events) =>
        events.some(
          (e) => e.event === 'ephemeral_message' && String(e.data.post).includes('needs the operator role'),
        ),
    );
    expect(opened).toEqual([]);
  });
});
