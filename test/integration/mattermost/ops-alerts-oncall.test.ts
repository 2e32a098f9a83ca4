/**
 * `/ops alerts`, `/ops maintenance start|list|end` (start with its Confirm button) and `/ops oncall
 * override|shifts` end to end through the REAL Mattermost server of this project's global setup
 * and the whole bot (startBot), against the REAL Alertmanager of the test stack (started or
 * reused with the stack project's own setup), where Prometheus keeps CoxswainStackAlwaysFiring
 * firing. Overrides go to the bot's real SQLite store.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MAINTENANCE_MARK } from '../../../src/alerts/maintenance.js';
import type { Bot } from '../../../src/main.js';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { setup as stackSetup, teardown as stackTeardown } from '../../stack/global-setup.js';
import { Api } from '../../stack/mattermost/server.js';
import {
  allText,
  botPosts as botPostsIn,
  clickButton,
  runCommand,
  startMattermostBot,
  UserSocket,
  waitFor,
} from '../../support/mattermost/bot.js';
import { applyRbac, botKubeConfig, mintToken } from '../rbac/identities.js';

interface Post {
  id: string;
  user_id: string;
  message: string;
  props?: { attachments?: { text?: string; title?: string; actions?: { id: string; name: string }[] }[] };
}
interface Silence {
  id: string;
  status: { state: string };
  comment: string;
  matchers: { name: string; value: string }[];
}

const mm = inject('mattermost');
const api = new Api(mm.url);
api.token = mm.admin.token;
/** The cluster put in maintenance; the reason is this run's own, so only its silences are looked at. */
const CLUSTER = 'apps';
const REASON = `kernel upgrade ${Date.now().toString(36)}`;
let env: StackEnv;
let bot: Bot;
let dir: string;

const botPosts = () => botPostsIn<Post>(api, mm);

const execute = (user: { token: string }, command: string) => runCommand(api, mm, user, command);
const click = (user: { token: string }, post: Post, label: string) => clickButton(api, user, post, label);

/** Alice's own WebSocket: ephemeral answers go only to her. */
let alice: UserSocket<Post>;

async function maintenanceSilences(): Promise<Silence[]> {
  const all = (await (await fetch(`${env.ALERTMANAGER_URL}/api/v2/silences`)).json()) as Silence[];
  return all.filter(
    (s) =>
      s.status.state === 'active' &&
      s.comment === `${MAINTENANCE_MARK}${REASON}` &&
      s.matchers.some((m) => m.name === 'cluster' && m.value === CLUSTER),
  );
}

beforeAll(async () => {
  stackSetup();
  env = loadStackEnv();
  applyRbac(env, 'apps');
  dir = mkdtempSync(join(tmpdir(), 'coxswain-mm-alerts-'));
  const kubeconfig = join(dir, 'apps.kubeconfig');
  writeFileSync(kubeconfig, botKubeConfig(env, 'apps', mintToken(env, 'apps')).exportConfig());
  ({ bot } = await startMattermostBot(mm, {
    signingKey: 'k'.repeat(40),
    dir,
    extra: {
      clusters: [{ name: CLUSTER, kubeconfig, context: 'apps' }],
      alertmanagers: [{ name: 'stack', url: env.ALERTMANAGER_URL }],
      oncall: {
        teams: [{ name: 'platform', start: '2026-11-02', people: [mm.alice.username, mm.bob.username] }],
      },
      auth: { bindings: [{ role: 'operator', users: [mm.alice.username] }] },
    },
  }));
  alice = new UserSocket<Post>(mm.url);
  await alice.open(mm.alice.token);
}, 900_000);

afterAll(async () => {
  alice?.close();
  // Never leave the shared Alertmanager silencing a cluster.
  if (env)
    for (const s of await maintenanceSilences().catch(() => []))
      await fetch(`${env.ALERTMANAGER_URL}/api/v2/silence/${s.id}`, { method: 'DELETE' });
  await bot?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  stackTeardown();
});

describe('alerts, maintenance and on-call through the real Mattermost server', () => {
  it('/ops alerts answers alice with what the real Alertmanager has firing', async () => {
    const answer = await waitFor(
      'CoxswainStackAlwaysFiring in the answer',
      async () => {
        const before = alice.ephemeral().length;
        await execute(mm.alice, '/ops alerts');
        const post = await waitFor('the alerts answer', async () => alice.ephemeral().slice(before)[0]);
        return allText(post).includes('CoxswainStackAlwaysFiring') && post;
      },
      60_000,
    );
    expect(allText(answer)).toMatch(/alerts? firing across stack/);
  });

  it('/ops maintenance start asks to confirm; Confirm silences the cluster in the real Alertmanager; list and end', async () => {
    expect(await maintenanceSilences()).toEqual([]);
    await execute(mm.alice, `/ops maintenance start --cluster ${CLUSTER} --for 30m "${REASON}"`);
    const ask = await waitFor('the confirmation', async () =>
      (await botPosts()).find((p) => allText(p).includes(`maintenance start --cluster ${CLUSTER}`)),
    );
    expect(ask.props?.attachments?.[0]?.actions?.map((a) => a.name)).toEqual(['Confirm', 'Cancel']);
    expect(await maintenanceSilences()).toEqual([]);
    await click(mm.alice, ask, 'Confirm');
    const [silence] = await waitFor('the silence', async () => {
      const found = await maintenanceSilences();
      return found.length > 0 && found;
    });
    expect(silence?.matchers).toEqual([expect.objectContaining({ name: 'cluster', value: CLUSTER })]);
    await waitFor('the answer in the channel', async () =>
      (await botPosts()).find((p) => allText(p).includes(`${CLUSTER} is in maintenance until`)),
    );

    await execute(mm.alice, '/ops maintenance list');
    const list = await waitFor('the list', async () =>
      alice.ephemeral().find((p) => allText(p).includes('Maintenance windows')),
    );
    expect(allText(list)).toContain(`${CLUSTER} is in maintenance until`);
    expect(allText(list)).toContain(REASON);

    await execute(mm.alice, `/ops maintenance end --cluster ${CLUSTER}`);
    await waitFor('the end answer', async () =>
      (await botPosts()).find((p) =>
        allText(p).includes(`Maintenance of ${CLUSTER} ended by ${mm.alice.username}`),
      ),
    );
    expect(await maintenanceSilences()).toEqual([]);
  });

  it('/ops oncall override asks to confirm; Confirm puts bob on call, and oncall shows it', async () => {
    await execute(mm.alice, `/ops oncall override @${mm.bob.username} --until 12h --reason "covering"`);
    const ask = await waitFor('the confirmation', async () =>
      (await botPosts()).find((p) => allText(p).includes(`oncall override @${mm.bob.username}`)),
    );
    expect(ask.props?.attachments?.[0]?.actions?.map((a) => a.name)).toEqual(['Confirm', 'Cancel']);
    await click(mm.alice, ask, 'Confirm');
    await waitFor('the answer in the channel', async () =>
      (await botPosts()).find((p) =>
        allText(p).includes(`platform: @${mm.bob.username} is on call now until`),
      ),
    );
    await execute(mm.alice, '/ops oncall');
    const now = await waitFor('the oncall answer', async () =>
      alice.ephemeral().find((p) => allText(p).includes('**platform**: now')),
    );
    expect(allText(now)).toContain(`**platform**: now @${mm.bob.username}`);
    await execute(mm.alice, '/ops oncall shifts --days 2');
    const shifts = await waitFor('the shifts answer', async () =>
      alice.ephemeral().find((p) => allText(p).includes('On-call shifts')),
    );
    expect(allText(shifts)).toMatch(
      new RegExp(`@${mm.bob.username} \\(override #\\d+ by ${mm.alice.username}: covering\\)`),
    );
  });
});
