/**
 * `/ops get|describe|events|logs|rollout restart|scale` on the real API servers, as the bot's
 * read-only account (watch caches) and the operator account it impersonates (writes after
 * confirmation). kwok plays the kubelet: pods run, and its kubelet-like server answers the API
 * server's pods/log requests with the texts of test/stack/kwok/ (up.sh's ClusterLogs).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { deleteNamespaceAndWait, kubectl, kubectlJson, kubectlRun } from '../../stack/kubectl.js';
import { type StackBot, stackBot } from './stack-bot.js';

/** A namespace outside the operator's workloadNamespaces, and one inside (monitoring). */
const NS = 'coxswain-ops-workloads';
const MON = 'monitoring';
const DEPLOY = 'coxswain-ops-test';

interface Item {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: { replicas?: number; template?: { metadata?: { annotations?: Record<string, string> } } };
}

let env: StackEnv;
let bot: StackBot;

function deployment(name: string, namespace: string): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, tier: 'test' } },
        spec: {
          containers: [
            { name: 'main', image: 'registry.invalid/pause:1' },
            { name: 'side', image: 'registry.invalid/pause:1' },
          ],
          tolerations: [{ operator: 'Exists' }],
        },
      },
    },
  });
}

beforeAll(async () => {
  env = loadStackEnv();
  bot = await stackBot(env, ['apps', 'infra']);
  kubectlRun(env, 'apps', ['create', 'namespace', NS]);
  kubectl(env, 'apps', ['apply', '-f', '-'], deployment(DEPLOY, NS));
  kubectl(env, 'apps', ['apply', '-f', '-'], deployment(DEPLOY, MON));
  kubectl(
    env,
    'apps',
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: NS },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    }),
  );
  kubectlRun(env, 'apps', ['rollout', 'status', `deploy/${DEPLOY}`, '-n', NS, '--timeout=60s']);
}, 120_000);

afterAll(async () => {
  if (!env) return;
  kubectlRun(env, 'apps', ['delete', 'deployment', DEPLOY, '-n', MON, '--ignore-not-found']);
  await deleteNamespaceAndWait(env, 'apps', NS);
  await bot?.close();
});

const codeOf = (text: string | undefined) => (text ?? '').split('\n').slice(1, -1).join('\n');

/** The answer's content: inline code, or the file it uploaded when long. */
function contentOf(r: { last?: { message: { text: string } } }, uploadsBefore: number): string {
  const upload = bot.uploads[uploadsBefore];
  return upload ? upload.file.content : codeOf(r.last?.message.text);
}
const names = (items: Item[]) => items.map((i) => `${i.metadata.namespace ?? ''}/${i.metadata.name}`).sort();

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('get, from the caches', () => {
  it('pods in one namespace: the same pods the API server lists', async () => {
    const before = bot.uploads.length;
    const r = await bot.harness.run('victor', `get pods -n ${MON} --cluster apps -o json`);
    const real = kubectlJson<{ items: Item[] }>(env, 'apps', ['get', 'pods', '-n', MON, '-o', 'json']).items;
    expect(names(JSON.parse(contentOf(r, before)) as Item[])).toEqual(names(real));
    expect(real.length).toBeGreaterThan(0);
  });

  it('-l selects on labels as the API server does', async () => {
    const before = bot.uploads.length;
    const r = await bot.harness.run(
      'victor',
      'get pods -A -l app=fluent-bit,tier!=db --cluster apps -o json',
    );
    const real = kubectlJson<{ items: Item[] }>(env, 'apps', [
      'get',
      'pods',
      '-A',
      '-l',
      'app=fluent-bit,tier!=db',
      '-o',
      'json',
    ]).items;
    expect(names(JSON.parse(contentOf(r, before)) as Item[])).toEqual(names(real));
    expect(real.length).toBeGreaterThan(0);
  });

  it('a table as kubectl prints it, per cluster when several', async () => {
    const r = await bot.harness.run('victor', `get deploy -n ${NS}`);
    const lines = codeOf(r.last?.message.text).split('\n');
    expect(lines[0]).toMatch(/^CLUSTER\s+NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
    expect(lines.slice(1).some((l) => l.startsWith('apps') && l.includes(DEPLOY))).toBe(true);
    // infra has no such namespace: the answer says so rather than pretending it is empty.
    expect(r.last?.message.title).toContain('There is no namespace coxswain-ops-workloads on infra.');
  });

  it('nodes and PVCs', async () => {
    const nodes = await bot.harness.run('victor', 'get nodes --cluster apps -o wide');
    expect(codeOf(nodes.texts[0])).toMatch(/apps-01\s+Ready/);
    const pvc = await bot.harness.run('victor', `get pvc -n ${NS} --cluster apps`);
    expect(codeOf(pvc.texts[0])).toMatch(/data\s+Pending\s+.*RWO/);
  });

  it('bad input is a sentence and nothing is read', async () => {
    expect((await bot.harness.run('victor', 'get secrets')).texts[0]).toContain(
      '<kind> must be one of pods, deploy, sts, ds, nodes, pvc.',
    );
    expect((await bot.harness.run('victor', 'get pods -n Bad_NS')).texts[0]).toContain(
      'must be a Kubernetes name',
    );
    expect((await bot.harness.run('victor', 'get pods -n no-such-ns --cluster apps')).texts[0]).toBe(
      'There is no namespace no-such-ns on apps.',
    );
    expect((await bot.harness.run('victor', 'get pods -l "a in (b"')).texts[0]).toContain(
      'That label selector does not parse',
    );
  });
});

describe('describe and events', () => {
  it('describe deploy/NAME: replicas, containers, events; finds the namespace itself', async () => {
    const r = await bot.harness.run('victor', `describe deploy/${DEPLOY} --cluster apps -n ${NS}`);
    const text = codeOf(r.texts[0]);
    expect(text).toContain('Kind:        Deployment');
    expect(text).toContain('Replicas:    1 desired');
    expect(text).toContain('main: image registry.invalid/pause:1');
    expect(text).toMatch(/ScalingReplicaSet/);
  });

  it('describe refuses Secrets, unknown kinds and ambiguous names in a sentence', async () => {
    expect((await bot.harness.run('victor', 'describe secret/x')).texts[0]).toBe(
      'coxswain never reads or shows Secrets or ConfigMaps.',
    );
    expect((await bot.harness.run('victor', 'describe frob/x')).texts[0]).toContain(
      'I don\'t know the kind "frob"',
    );
    expect((await bot.harness.run('victor', `describe deploy/${DEPLOY} --cluster apps`)).texts[0]).toContain(
      'Say which with -n',
    );
    expect((await bot.harness.run('victor', 'describe deploy/Not_A_Name')).texts[0]).toContain(
      'is not a Kubernetes name',
    );
  });

  it('events --for KIND/NAME: the events of that object', async () => {
    const pods = kubectlJson<{ items: Item[] }>(env, 'apps', [
      'get',
      'pods',
      '-n',
      NS,
      '-l',
      `app=${DEPLOY}`,
      '-o',
      'json',
    ]);
    const pod = pods.items[0]!.metadata.name;
    await until(async () => {
      const r = await bot.harness.run('victor', `events -n ${NS} --for pod/${pod} --cluster apps`);
      return (r.last?.message.text ?? '').includes('Scheduled');
    });
    const r = await bot.harness.run('victor', `events -n ${NS} --for pod/${pod} --cluster apps -o json`);
    const events = JSON.parse(codeOf(r.texts[0])) as { involvedObject: { name: string } }[];
    expect(events.every((e) => e.involvedObject.name === pod)).toBe(true);
  });
});

describe('logs', () => {
  const podOf = () =>
    kubectlJson<{ items: Item[] }>(env, 'apps', [
      'get',
      'pods',
      '-n',
      NS,
      '-l',
      `app=${DEPLOY}`,
      '-o',
      'json',
    ]).items[0]!.metadata.name;
  /** The lines kwok serves from test/stack/kwok/<file> (CRI format: time, stream, tag, text). */
  const served = (file: string) =>
    readFileSync(new URL(`../../stack/kwok/${file}`, import.meta.url), 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => line.split(' ').slice(3).join(' '));

  it('reads the real log through the API server from kwok: one container, its last lines', async () => {
    const pod = podOf();
    const r = await bot.harness.run('olivia', `logs ${pod} -n ${NS} -c side --tail 2 --cluster apps`);
    expect(r.last?.message.title).toBe(`Logs of ${NS}/${pod} on apps, container side, last 2 lines`);
    expect(codeOf(r.last?.message.text)).toBe(
      ['side new line 2: sidecar healthy', 'side new line 3: api_key=[redacted] rotated'].join('\n'),
    );
    expect(served('side.log')).toHaveLength(3);
  });

  it('--since keeps the lines stamped inside the window (the fixture stamps them in 2099), --previous reads the last instance', async () => {
    const pod = podOf();
    const since = await bot.harness.run('olivia', `logs ${pod} -n ${NS} -c side --since 1h --cluster apps`);
    expect(codeOf(since.last?.message.text).split('\n')).toEqual([
      'side new line 2: sidecar healthy',
      'side new line 3: api_key=[redacted] rotated',
    ]);
    const previous = await bot.harness.run(
      'olivia',
      `logs ${pod} -n ${NS} -c main --previous --cluster apps`,
    );
    expect(previous.last?.message.title).toContain('container main, previous instance');
    expect(codeOf(previous.last?.message.text)).toBe(served('previous.log').join('\n'));
  });

  it('a long log goes up as a file, with every secret masked', async () => {
    const pod = podOf();
    const before = bot.uploads.length;
    await bot.harness.run('olivia', `logs ${pod} -n ${NS} --tail 200 --cluster apps`);
    const upload = bot.uploads[before]!;
    expect(upload.file.name).toBe(`${pod}-main.log`);
    const lines = upload.file.content.trimEnd().split('\n');
    expect(lines).toHaveLength(served('main.log').length);
    expect(lines[0]).toBe('main old line 001: request served');
    expect(lines[60]).toBe(
      'main old line 061: connecting to postgres://app:[redacted]@db:5432/app with password=[redacted]',
    );
    expect(lines.at(-1)).toBe('main new line 120: authorization: Bearer [redacted] token=[redacted]');
    for (const secret of ['s3cr3t-url-pass', 'hunter2', 'abc.def-not-a-real-token', 't0k3n-value-120'])
      expect(upload.file.content).not.toContain(secret);
    expect(upload.message.text).toBe(`${lines.length} lines, attached as ${pod}-main.log.`);
  });

  it('an unknown pod or container is answered from the cache', async () => {
    expect((await bot.harness.run('olivia', 'logs no-such-pod --cluster apps')).texts[0]).toBe(
      'There is no pods/no-such-pod on apps.',
    );
    const pod = kubectlJson<{ items: Item[] }>(env, 'apps', [
      'get',
      'pods',
      '-n',
      NS,
      '-l',
      `app=${DEPLOY}`,
      '-o',
      'json',
    ]).items[0]!.metadata.name;
    expect((await bot.harness.run('olivia', `logs ${pod} -c nope --cluster apps`)).texts[0]).toBe(
      `Pod ${NS}/${pod} has no container nope; its containers are main, side.`,
    );
  });

  it('needs the operator role', async () => {
    expect((await bot.harness.run('victor', 'logs x')).texts[0]).toContain('needs the operator role');
  });
});

describe('rollout restart and scale, as the operator', () => {
  const get = (ns: string) =>
    kubectlJson<Item>(env, 'apps', ['get', 'deploy', DEPLOY, '-n', ns, '-o', 'json']);

  it('rollout restart sets restartedAt on the pod template after confirmation', async () => {
    await until(async () => {
      const r = await bot.harness.run('victor', `get deploy -n ${MON} --cluster apps`);
      return (r.texts[0] ?? '').includes(DEPLOY);
    });
    const asked = await bot.harness.run(
      'olivia',
      `rollout restart deploy/${DEPLOY} -n ${MON} --cluster apps`,
    );
    expect(asked.last?.message.title).toBe('Confirm a dangerous command');
    const done = await bot.harness.click('olivia', asked.last, 'Confirm');
    expect(done.texts.join('\n')).toContain(`Restarting Deployment ${MON}/${DEPLOY} on apps`);
    expect(get(MON).spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(
      new Date(bot.harness.clock.now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    );
  });

  it('scale sets the replicas through the scale subresource', async () => {
    const asked = await bot.harness.run(
      'olivia',
      `scale deploy/${DEPLOY} -n ${MON} --replicas 2 --cluster apps`,
    );
    const done = await bot.harness.click('olivia', asked.last, 'Confirm');
    expect(done.texts.join('\n')).toContain('to 2 replicas');
    expect(get(MON).spec?.replicas).toBe(2);
  });

  it('outside operator.workloadNamespaces the API server refuses, and the answer says so', async () => {
    const asked = await bot.harness.run(
      'olivia',
      `scale deploy/${DEPLOY} -n ${NS} --replicas 3 --cluster apps`,
    );
    const done = await bot.harness.click('olivia', asked.last, 'Confirm');
    expect(done.texts.join('\n')).toContain('the coxswain-operator account may not do that there');
    expect(get(NS).spec?.replicas).toBe(1);
  });

  it('refuses what is not a Deployment, and a bad replica count, before asking', async () => {
    const sts = await bot.harness.run('olivia', 'rollout restart sts/x --cluster apps');
    const done = await bot.harness.click('olivia', sts.last, 'Confirm');
    expect(done.texts.join('\n')).toContain('Only Deployments can be restarted here');
    expect((await bot.harness.run('olivia', `scale deploy/${DEPLOY} --replicas -1`)).texts[0]).toContain(
      '--replicas must be a whole number from 0 to 100',
    );
  });
});

describe('long answers', () => {
  it('get pods -A on a cluster is uploaded as a file with the whole table', async () => {
    const before = bot.uploads.length;
    const r = await bot.harness.run('victor', 'get pods -A --cluster apps');
    const upload = bot.uploads[before];
    const real = kubectlJson<{ items: Item[] }>(env, 'apps', ['get', 'pods', '-A', '-o', 'json']).items;
    expect(real.length).toBeGreaterThan(50);
    expect(upload?.file.name).toBe('pods.txt');
    expect(upload?.destination.channelId).toBe('c1');
    expect(upload?.file.content.split('\n')).toHaveLength(real.length + 1);
    expect(r.answers).toHaveLength(0);
  });
});
