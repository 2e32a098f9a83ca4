/**
 * The `Silence…` button of an alert post, end to end with real servers only: the REAL
 * Mattermost 11.4 server of this project's global setup, a REAL Alertmanager (the test stack's
 * binary, started here on free ports, since the mattermost project has no stack), and the whole
 * bot (startBot). An alert pushed into Alertmanager reaches the bot over its webhook and becomes
 * a post with buttons; people act through Mattermost's own API: the click through
 * POST /api/v4/posts/{id}/actions/{action_id} (the server calls the bot, the bot asks the
 * server to open the dialog, the server sends the clicker an `open_dialog` WebSocket event),
 * the submission through POST /api/v4/actions/dialogs/submit (the server posts it to the URL
 * the dialog named, the bot's /hooks/mattermost/dialog, and hands back the bot's answer).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Bot } from '../../../src/main.js';
import { ActionSigner } from '../../../src/security/signing.js';
import { Api, freePort } from '../../stack/mattermost/server.js';
import {
  allText,
  botPosts as botPostsIn,
  clickButton,
  startMattermostBot,
  UserSocket,
  waitFor,
} from '../../support/mattermost/bot.js';

const SIGNING_KEY = 's'.repeat(40);
const WEBHOOK_TOKEN = 'dialog-test-webhook-token';

interface Post {
  id: string;
  user_id: string;
  message: string;
  props?: { attachments?: { text?: string; title?: string; actions?: { id: string; name: string }[] }[] };
}

interface OpenDialog {
  trigger_id: string;
  url: string;
  dialog: {
    callback_id: string;
    title: string;
    state: string;
    elements: { name: string; type: string; default: string; optional: boolean; display_name: string }[];
  };
}

interface AmSilence {
  id: string;
  matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[];
  createdBy: string;
  comment: string;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

const mm = inject('mattermost');
const api = new Api(mm.url);
api.token = mm.admin.token;
const alertname = `DialogDiskFull${Date.now().toString(36)}`;
let bot: Bot;
let dir: string;
let alertmanager: ChildProcess | undefined;
let amUrl: string;

const click = (user: { token: string }, post: Post, label: string) => clickButton(api, user, post, label);

const botPosts = () => botPostsIn<Post>(api, mm);

async function alertPost(): Promise<Post> {
  return waitFor(
    'the alert post',
    async () => (await botPosts()).find((p) => allText(p).includes(alertname)),
    60_000,
  );
}

/** Submits as `user` exactly what Mattermost's web app sends for a dialog. */
function submit(
  user: { token: string },
  opened: OpenDialog,
  submission: Record<string, string>,
  overrides: { state?: string; cancelled?: boolean } = {},
) {
  return api.call<{ error?: string; errors?: Record<string, string> } | undefined>(
    'POST',
    '/actions/dialogs/submit',
    {
      url: opened.url,
      callback_id: opened.dialog.callback_id,
      state: overrides.state ?? opened.dialog.state,
      channel_id: mm.channelId,
      team_id: mm.teamId,
      submission,
      cancelled: overrides.cancelled ?? false,
    },
    user.token,
  );
}

async function silencesOf(name: string): Promise<AmSilence[]> {
  const filter = encodeURIComponent(`alertname="${name}"`);
  const response = await fetch(`${amUrl}/api/v2/silences?filter=${filter}`);
  if (!response.ok) throw new Error(`GET silences: ${response.status}`);
  return ((await response.json()) as AmSilence[]).filter((s) => s.status.state !== 'expired');
}

/** A person's own WebSocket: the `open_dialog` event goes only to them. */
class Listener extends UserSocket<Post> {
  constructor() {
    super(mm.url);
  }
  dialogs(): OpenDialog[] {
    return this.events
      .filter((e) => e.event === 'open_dialog')
      .map((e) => JSON.parse(String(e.data.dialog)) as OpenDialog);
  }
}

/** The test stack's Alertmanager binary (test/stack/install.sh builds it into the cache). */
function alertmanagerBinary(): string {
  if (process.env.ALERTMANAGER_BIN) return process.env.ALERTMANAGER_BIN;
  const root =
    process.env.STACK_CACHE_ROOT ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coxswain-stack');
  const found = existsSync(root)
    ? readdirSync(root)
        .map((d) => join(root, d, 'bin', 'alertmanager'))
        .find((path) => existsSync(path))
    : undefined;
  if (!found)
    throw new Error(
      `no alertmanager binary under ${root}/*/bin: build the test stack first (bash test/stack/install.sh or .ci/run)`,
    );
  return found;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coxswain-mm-dialog-'));
  const botPort = await freePort();
  const amPort = await freePort();
  amUrl = `http://127.0.0.1:${amPort}`;
  mkdirSync(join(dir, 'am'));
  writeFileSync(join(dir, 'am', 'token'), WEBHOOK_TOKEN);
  writeFileSync(
    join(dir, 'am', 'alertmanager.yml'),
    JSON.stringify({
      route: {
        receiver: 'coxswain',
        group_by: ['alertname', 'cluster'],
        group_wait: '1s',
        group_interval: '5s',
      },
      receivers: [
        {
          name: 'coxswain',
          webhook_configs: [
            {
              url: `http://127.0.0.1:${botPort}/hooks/alertmanager`,
              send_resolved: true,
              http_config: {
                authorization: { type: 'Bearer', credentials_file: join(dir, 'am', 'token') },
              },
            },
          ],
        },
      ],
    }),
  );
  alertmanager = spawn(
    alertmanagerBinary(),
    [
      `--config.file=${join(dir, 'am', 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'am')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      `--web.external-url=${amUrl}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  await waitFor('alertmanager ready', async () =>
    fetch(`${amUrl}/-/ready`).then(
      (r) => r.ok,
      () => false,
    ),
  );

  ({ bot } = await startMattermostBot(mm, {
    dir,
    port: botPort,
    signingKey: SIGNING_KEY,
    extra: {
      alerts: {
        webhook: { token: WEBHOOK_TOKEN },
        defaultRoute: { channels: [mm.channelName] },
        delivery: { interval: '200ms' },
      },
      alertmanagers: [{ name: 'infra', url: amUrl, timeout: '5s' }],
      auth: {
        bindings: [
          { role: 'operator', users: ['alice'] },
          { role: 'viewer', groups: [mm.teamName] },
        ],
      },
    },
  }));

  const pushed = await fetch(`${amUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([
      {
        labels: { alertname, cluster: 'apps', namespace: 'databases', severity: 'warning' },
        annotations: { summary: 'the WAL volume is 95% full' },
        startsAt: new Date(Date.now() - 5000).toISOString(),
      },
    ]),
  });
  expect(pushed.status).toBe(200);
});

afterAll(async () => {
  await bot?.stop();
  alertmanager?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Silence… on an alert post (real Mattermost, real Alertmanager)', () => {
  let opened: OpenDialog;

  it('opens the silence form for the clicker, prefilled with the group’s matchers', async () => {
    const post = await alertPost();
    expect(post.props?.attachments?.[0]?.actions?.map((a) => a.name)).toEqual([
      'Silence 1h',
      'Silence 4h',
      'Silence…',
      'Acknowledge',
      'Open incident',
    ]);
    const alice = new Listener();
    await alice.open(mm.alice.token);
    try {
      await click(mm.alice, post, 'Silence…');
      opened = await waitFor('the open_dialog event', async () => alice.dialogs()[0]);
    } finally {
      alice.close();
    }
    expect(opened.url).toBe(`${bot.url}/hooks/mattermost/dialog`);
    expect(opened.dialog.title).toBe('Silence alert');
    const fields = Object.fromEntries(opened.dialog.elements.map((e) => [e.name, e]));
    expect(Object.keys(fields)).toEqual(['for', 'matchers', 'comment']);
    expect(fields.for?.default).toBe('2h');
    expect(fields.matchers?.default).toContain(`alertname="${alertname}"`);
    expect(fields.matchers?.default).toContain('cluster="apps"');
    expect(fields.comment?.optional).toBe(false);
    expect(await silencesOf(alertname)).toEqual([]);
  });

  it('refuses a tampered or expired state with a clear error, and silences nothing', async () => {
    const [body, mac] = opened.dialog.state.split('.') as [string, string];
    const tampered = `${body.slice(0, -2)}AA.${mac}`;
    const values = { for: '1h', matchers: `alertname="${alertname}"`, comment: 'tampered' };
    const refusedBefore = (bot.chat as unknown as { refused: { dialogs: number } }).refused.dialogs;
    const answer = await submit(mm.alice, opened, values, { state: tampered });
    expect(answer?.error).toMatch(/refused this form: it is not valid \(bad signature\)/);

    const signer = new ActionSigner(SIGNING_KEY);
    const verified = signer.verify(opened.dialog.state, Date.now());
    if ('refused' in verified) throw new Error(`the real state does not verify: ${verified.refused}`);
    const expired = signer.sign({ ...verified, expiresAt: Date.now() - 1000 });
    const late = await submit(mm.alice, opened, values, { state: expired });
    expect(late?.error).toMatch(/it has expired/);
    // Bob replays Alice's form: the state is bound to the person it was opened for.
    const replayed = await submit(mm.bob, opened, values);
    expect(replayed?.error).toMatch(/opened for someone else/);
    expect((bot.chat as unknown as { refused: { dialogs: number } }).refused.dialogs - refusedBefore).toBe(3);
    expect(await silencesOf(alertname)).toEqual([]);
  });

  it('answers wrong fields with a message under each, and silences nothing', async () => {
    const answer = await submit(mm.alice, opened, {
      for: 'soon',
      matchers: 'alertname=~".*"',
      comment: '   ',
    });
    expect(answer?.errors?.for).toMatch(/"soon" is not a duration/);
    expect(answer?.errors?.matchers).toMatch(/would silence every alert/);
    expect(answer?.errors?.comment).toMatch(/Say why/);
    const unparsable = await submit(mm.alice, opened, {
      for: '1h',
      matchers: 'alertname=~"(unclosed"',
      comment: 'x',
    });
    expect(Object.keys(unparsable?.errors ?? {})).toEqual(['matchers']);
    expect(unparsable?.errors?.matchers).toMatch(/not a valid regular expression/);
    expect(await silencesOf(alertname)).toEqual([]);
  });

  it('runs nothing for a cancelled form', async () => {
    const answer = await submit(
      mm.alice,
      opened,
      { for: '1h', matchers: `alertname="${alertname}"`, comment: 'cancelled' },
      { cancelled: true },
    );
    expect(answer?.error).toBeUndefined();
    expect(await silencesOf(alertname)).toEqual([]);
  });

  it('refuses someone without the operator role: at the click, and at a submission', async () => {
    const post = await alertPost();
    const bob = new Listener();
    await bob.open(mm.bob.token);
    try {
      await click(mm.bob, post, 'Silence…');
      const refusal = await waitFor('the refusal', async () =>
        bob.ephemeral().find((p) => p.message.includes('needs the operator role')),
      );
      expect(refusal.message).toContain('the viewer role');
      expect(bob.dialogs()).toEqual([]);
    } finally {
      bob.close();
    }
    // A form opened for Bob while he still was an operator, submitted after he no longer is.
    const signer = new ActionSigner(SIGNING_KEY);
    const verified = signer.verify(opened.dialog.state, Date.now());
    if ('refused' in verified) throw new Error(verified.refused);
    const forBob = signer.sign({ ...verified, payload: { ...verified.payload, user: mm.bob.id } });
    const answer = await submit(
      mm.bob,
      opened,
      { for: '1h', matchers: `alertname="${alertname}"`, comment: 'bob tries' },
      { state: forBob },
    );
    expect(answer?.error).toMatch(/needs the operator role, and you have the viewer role/);
    expect(await silencesOf(alertname)).toEqual([]);
  });

  it('creates the silence in Alertmanager as the submitter and shows it on the post', async () => {
    const answer = await submit(mm.alice, opened, {
      for: '3h',
      matchers: `alertname="${alertname}", cluster="apps", severity=~"warn.*"`,
      comment: 'swapping the WAL disk',
    });
    expect(answer?.error).toBeUndefined();
    expect(answer?.errors).toBeUndefined();
    const [silence, ...others] = await silencesOf(alertname);
    expect(others).toEqual([]);
    expect(silence?.createdBy).toBe('alice');
    expect(silence?.comment).toBe('swapping the WAL disk');
    expect(silence?.status.state).toBe('active');
    expect(silence?.matchers).toEqual(
      expect.arrayContaining([
        { name: 'alertname', value: alertname, isRegex: false, isEqual: true },
        { name: 'cluster', value: 'apps', isRegex: false, isEqual: true },
        { name: 'severity', value: 'warn.*', isRegex: true, isEqual: true },
      ]),
    );
    const lasts = Date.parse(silence?.endsAt ?? '') - Date.parse(silence?.startsAt ?? '');
    expect(Math.abs(lasts - 3 * 3_600_000)).toBeLessThan(60_000);
    const updated = await waitFor('the post to show the silence', async () => {
      const post = await alertPost();
      return allText(post).includes(`Silenced by alice until`) && allText(post).includes(silence?.id ?? '?')
        ? post
        : undefined;
    });
    expect(allText(updated)).toContain('in infra');
    // The server opens an invalid dialog anyway and only logs a warning (model.Dialog.IsValid);
    // its log has the info line of each submission, so it would have the warning too.
    const log = readFileSync(join(mm.dir, 'mm', 'logs', 'mattermost.log'), 'utf8');
    expect(log).toContain('SubmitInteractiveDialog POST request');
    expect(log).not.toContain('Interactive dialog is invalid');
  });
});
