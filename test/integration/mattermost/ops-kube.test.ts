/**
 * `/ops get`, `/ops logs` and `/ops flux reconcile` with its Confirm button, end to end through
 * the REAL Mattermost server of this project's global setup and the whole bot (startBot), against
 * the REAL API server of the test stack (this file starts it, or reuses a running one, with the
 * stack project's own setup, since the mattermost project has none). The bot reads with its
 * read-only account's token (the shipped RBAC applied) and writes as coxswain-operator.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Bot } from '../../../src/main.js';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { setup as stackSetup, teardown as stackTeardown } from '../../stack/global-setup.js';
import { kubectl, kubectlJson, kubectlRun } from '../../stack/kubectl.js';
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
  channel_id: string;
  message: string;
  file_ids?: string[];
  props?: { attachments?: { text?: string; title?: string; actions?: { id: string; name: string }[] }[] };
}

const mm = inject('mattermost');
const api = new Api(mm.url);
api.token = mm.admin.token;
const KS = `coxswain-mm-${Date.now().toString(36)}`;
let env: StackEnv;
let bot: Bot;
let dir: string;

const botPosts = () => botPostsIn<Post>(api, mm);

const execute = (user: { token: string }, command: string) => runCommand(api, mm, user, command);
const click = (user: { token: string }, post: Post, label: string) => clickButton(api, user, post, label);

/** Alice's own WebSocket: ephemeral answers go only to her. */
let alice: UserSocket<Post>;

beforeAll(async () => {
  stackSetup();
  env = loadStackEnv();
  applyRbac(env, 'apps');
  dir = mkdtempSync(join(tmpdir(), 'coxswain-mm-kube-'));
  const kubeconfig = join(dir, 'apps.kubeconfig');
  writeFileSync(kubeconfig, botKubeConfig(env, 'apps', mintToken(env, 'apps')).exportConfig());
  kubectl(
    env,
    'apps',
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: KS, namespace: 'flux-system' },
      spec: {
        interval: '10m',
        path: './x',
        prune: true,
        sourceRef: { kind: 'GitRepository', name: 'flux-system' },
      },
    }),
  );
  ({ bot } = await startMattermostBot(mm, {
    signingKey: 'k'.repeat(40),
    dir,
    extra: {
      clusters: [{ name: 'apps', kubeconfig, context: 'apps' }],
      auth: { bindings: [{ role: 'operator', users: ['alice'] }] },
    },
  }));
  alice = new UserSocket<Post>(mm.url);
  await alice.open(mm.alice.token);
}, 900_000);

afterAll(async () => {
  alice?.close();
  await bot?.stop();
  if (env)
    kubectlRun(env, 'apps', ['delete', 'kustomization', KS, '-n', 'flux-system', '--ignore-not-found']);
  if (dir) rmSync(dir, { recursive: true, force: true });
  stackTeardown();
});

/** A pod kwok runs in monitoring; its log is test/stack/kwok/main.log (up.sh's ClusterLogs). */
const monitoringPod = () =>
  kubectlJson<{ items: { metadata: { name: string } }[] }>(env, 'apps', [
    'get',
    'pods',
    '-n',
    'monitoring',
    '-o',
    'json',
  ]).items[0]!.metadata.name;

describe('kubectl from chat through the real Mattermost server', () => {
  it('/ops get pods -n NS answers alice alone with the table from the caches', async () => {
    const real = kubectlJson<{ items: { metadata: { name: string } }[] }>(env, 'apps', [
      'get',
      'pods',
      '-n',
      'monitoring',
      '-o',
      'json',
    ]).items;
    await execute(mm.alice, '/ops get pods -n monitoring');
    const answer = await waitFor('the get answer', async () =>
      alice.ephemeral().find((p) => allText(p).includes('READY')),
    );
    for (const pod of real) expect(allText(answer)).toContain(pod.metadata.name);
  });

  it('/ops get pods -A is too long for a post: uploaded into the channel as a file', async () => {
    const count = kubectlJson<{ items: unknown[] }>(env, 'apps', ['get', 'pods', '-A', '-o', 'json']).items
      .length;
    await execute(mm.alice, '/ops get pods -A');
    const post = await waitFor('the upload', async () =>
      (await botPosts()).find(
        (p) => (p.file_ids?.length ?? 0) > 0 && allText(p).includes('attached as pods.txt'),
      ),
    );
    const response = await fetch(`${mm.url}/api/v4/files/${post.file_ids?.[0]}`, {
      headers: { Authorization: `Bearer ${mm.alice.token}` },
    });
    const content = await response.text();
    expect(content.split('\n')).toHaveLength(count + 1);
    expect(content.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
  });

  it('/ops logs answers alice with the real log kwok serves: a few lines inline, secrets masked', async () => {
    const pod = monitoringPod();
    await execute(mm.alice, `/ops logs ${pod} -n monitoring --tail 2`);
    const answer = await waitFor('the logs answer', async () =>
      alice.ephemeral().find((p) => allText(p).includes(`Logs of monitoring/${pod}`)),
    );
    expect(allText(answer)).toContain('main new line 119: request served');
    expect(allText(answer)).toContain('main new line 120: authorization: Bearer [redacted] token=[redacted]');
    expect(allText(answer)).not.toContain('main new line 118');
    expect(allText(answer)).not.toContain('t0k3n-value-120');
  });

  it('/ops logs of a long log: uploaded into the channel as a file, every line there, secrets masked', async () => {
    const pod = monitoringPod();
    await execute(mm.alice, `/ops logs ${pod} -n monitoring`);
    const post = await waitFor('the log upload', async () =>
      (await botPosts()).find(
        (p) => (p.file_ids?.length ?? 0) > 0 && allText(p).includes(`attached as ${pod}-`),
      ),
    );
    expect(allText(post)).toContain('120 lines');
    const response = await fetch(`${mm.url}/api/v4/files/${post.file_ids?.[0]}`, {
      headers: { Authorization: `Bearer ${mm.alice.token}` },
    });
    const lines = (await response.text()).trimEnd().split('\n');
    expect(lines).toHaveLength(120);
    expect(lines[0]).toBe('main old line 001: request served');
    expect(lines[60]).toBe(
      'main old line 061: connecting to postgres://app:[redacted]@db:5432/app with password=[redacted]',
    );
    expect(lines.join('\n')).not.toMatch(/hunter2|s3cr3t-url-pass|t0k3n-value-120/);
  });

  it('/ops flux reconcile asks to confirm; the Confirm button patches the real Kustomization', async () => {
    await execute(mm.alice, `/ops flux reconcile ks ${KS}`);
    const ask = await waitFor('the confirmation', async () =>
      (await botPosts()).find((p) => allText(p).includes(`flux reconcile ks ${KS}`)),
    );
    expect(ask.props?.attachments?.[0]?.actions?.map((a) => a.name)).toEqual(['Confirm', 'Cancel']);
    const annotation = () =>
      kubectlJson<{ metadata: { annotations?: Record<string, string> } }>(env, 'apps', [
        'get',
        'kustomization',
        KS,
        '-n',
        'flux-system',
        '-o',
        'json',
      ]).metadata.annotations?.['reconcile.fluxcd.io/requestedAt'];
    expect(annotation()).toBeUndefined();
    const clicked = Date.now();
    await click(mm.alice, ask, 'Confirm');
    const at = await waitFor('the annotation', async () => annotation());
    expect(Date.parse(at)).toBeGreaterThanOrEqual(clicked - 1000);
    await waitFor('the answer in the channel', async () =>
      (await botPosts()).find((p) =>
        allText(p).includes(`Requested a reconcile of Kustomization flux-system/${KS} on apps`),
      ),
    );
  });
});
