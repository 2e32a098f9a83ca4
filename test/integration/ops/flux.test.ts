/**
 * `/ops flux` on the real API servers: get from the watch caches, reconcile/suspend/resume patch
 * real Kustomization and HelmRelease objects as coxswain-operator after the invoker confirms, and
 * the API server's RBAC refusal comes back as a sentence. Flux controllers do not run here: the
 * objects are as the seed (or this test) applied them, and nothing reconciles them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { deleteNamespaceAndWait, kubectl, kubectlJson, kubectlRun } from '../../stack/kubectl.js';
import { type StackBot, stackBot } from './stack-bot.js';

const KS = 'coxswain-ops-flux-test';
const OUTSIDE = 'coxswain-ops-flux-outside';

interface FluxObject {
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  spec: { suspend?: boolean };
}

let env: StackEnv;
let bot: StackBot;

beforeAll(async () => {
  env = loadStackEnv();
  bot = await stackBot(env);
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
        path: './test',
        prune: true,
        sourceRef: { kind: 'GitRepository', name: 'flux-system' },
      },
    }),
  );
  // A HelmRelease in a namespace none of the operator's roles cover.
  kubectlRun(env, 'apps', ['create', 'namespace', OUTSIDE]);
  kubectl(
    env,
    'apps',
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: 'outside', namespace: OUTSIDE },
      spec: {
        interval: '10m',
        chart: {
          spec: { chart: 'x', sourceRef: { kind: 'HelmRepository', name: 'x', namespace: 'flux-system' } },
        },
      },
    }),
  );
}, 120_000);

afterAll(async () => {
  if (!env) return;
  kubectlRun(env, 'apps', ['delete', 'kustomization', KS, '-n', 'flux-system', '--ignore-not-found']);
  await deleteNamespaceAndWait(env, 'apps', OUTSIDE);
  await bot?.close();
});

const ks = (): FluxObject =>
  kubectlJson<FluxObject>(env, 'apps', ['get', 'kustomization', KS, '-n', 'flux-system', '-o', 'json']);

function codeOf(text: string | undefined): string {
  return (text ?? '').split('\n').slice(1, -1).join('\n');
}

describe('flux get', () => {
  it('lists the Kustomizations the API server has, from the caches', async () => {
    const r = await bot.harness.run('victor', 'flux get ks --cluster apps -o json');
    const rows = JSON.parse(codeOf(r.texts[0])) as { cluster: string; name: string; namespace: string }[];
    const real = kubectlJson<{ items: FluxObject[] }>(env, 'apps', [
      'get',
      'kustomizations',
      '-A',
      '-o',
      'json',
    ]);
    expect(rows.map((x) => `${x.namespace}/${x.name}`).sort()).toEqual(
      real.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort(),
    );
    expect(rows.every((x) => x.cluster === 'apps')).toBe(true);
  });

  it('lists sources with their kinds, one namespace', async () => {
    const r = await bot.harness.run('victor', 'flux get sources -n flux-system --cluster apps -o yaml');
    expect(r.texts[0]).toMatch(/kind: GitRepository\n\s+namespace: flux-system\n\s+name: flux-system/);
    expect(r.texts[0]).toContain('kind: HelmRepository');
  });

  it('shows a table with ready and suspended columns', async () => {
    const r = await bot.harness.run('victor', `flux get ks -n flux-system --cluster apps`);
    expect(r.texts[0]).toContain('| cluster | kind | name | ready | suspended | revision | message |');
    expect(r.texts[0]).toContain(`| apps | Kustomization | flux-system/${KS} |`);
  });
});

describe('flux reconcile, suspend, resume', () => {
  it('reconcile asks to confirm, then sets the request annotation as the operator', async () => {
    const asked = await bot.harness.run('olivia', `flux reconcile ks ${KS} --cluster apps`);
    expect(asked.last?.message.title).toBe('Confirm a dangerous command');
    expect(ks().metadata.annotations?.['reconcile.fluxcd.io/requestedAt']).toBeUndefined();
    const done = await bot.harness.click('olivia', asked.last, 'Confirm');
    expect(done.texts.join('\n')).toContain(
      `Requested a reconcile of Kustomization flux-system/${KS} on apps`,
    );
    expect(ks().metadata.annotations?.['reconcile.fluxcd.io/requestedAt']).toBe(
      new Date(bot.harness.clock.now).toISOString(),
    );
  });

  it('suspend then resume flip spec.suspend on the real object', async () => {
    const suspend = await bot.harness.run('olivia', `flux suspend ks ${KS} --cluster apps`);
    await bot.harness.click('olivia', suspend.last, 'Confirm');
    expect(ks().spec.suspend).toBe(true);
    // The cache sees the change through its watch before resume looks at it.
    await waitUntil(async () => {
      const r = await bot.harness.run('victor', `flux get ks -n flux-system --cluster apps -o json`);
      const rows = JSON.parse(codeOf(r.texts[0])) as { name: string; suspended: boolean }[];
      return rows.find((x) => x.name === KS)?.suspended === true;
    });
    const resume = await bot.harness.run('olivia', `flux resume ks ${KS} --cluster apps`);
    const done = await bot.harness.click('olivia', resume.last, 'Confirm');
    expect(done.texts.join('\n')).toContain('Resumed');
    expect(ks().spec.suspend).toBe(false);
  });

  it('a name that does not exist is answered from the cache, nothing written', async () => {
    const asked = await bot.harness.run('olivia', 'flux reconcile ks no-such-ks --cluster apps');
    const done = await bot.harness.click('olivia', asked.last, 'Confirm');
    expect(done.texts.join('\n')).toContain('There is no Kustomization flux-system/no-such-ks on apps');
    // The Confirm click is audited too (as a button), so the command is among the last two rows.
    const entries = await bot.harness.store.listAudit({ username: 'olivia', limit: 2 });
    expect(entries.map((e) => e.command)).toContain('flux reconcile');
  });

  it('the API server refuses the operator outside its namespaces, and the answer says so', async () => {
    const asked = await bot.harness.run('olivia', `flux suspend hr outside -n ${OUTSIDE} --cluster apps`);
    const done = await bot.harness.click('olivia', asked.last, 'Confirm');
    expect(done.texts.join('\n')).toContain('the coxswain-operator account may not do that there');
    const hr = kubectlJson<FluxObject>(env, 'apps', [
      'get',
      'helmrelease',
      'outside',
      '-n',
      OUTSIDE,
      '-o',
      'json',
    ]);
    expect(hr.spec.suspend).toBeUndefined();
  });

  it('a viewer may read but not reconcile', async () => {
    const r = await bot.harness.run('victor', `flux reconcile ks ${KS} --cluster apps`);
    expect(r.texts[0]).toContain('needs the operator role');
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}
