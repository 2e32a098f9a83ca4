/**
 * The rest of issue 21's health checks on the test stack's real API servers: the monitoring stack
 * (its workloads as the seed names them, and a VMAlertmanager's operator status), external-dns,
 * Linkerd's trust anchor (the seeded ConfigMap linkerd-identity-trust-roots) and issuer (a
 * cert-manager Certificate), and the bot's own kubeconfig credential. Healthy on the seed; each
 * failing state is real where the stack can make it (a Deployment the scheduler cannot place, an
 * anchor that expires in three days, a threshold above the credential's lifetime) and patched into
 * status where only a controller could (the VM operator and cert-manager do not run here).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentResult } from '../../../src/health/types.js';
import { selfSignedPem } from '../../support/self-signed.js';
import { component, counter, engine, eventually, getJson, k, patchStatus, reader } from './support.js';

const readers = [reader('infra'), reader('apps')];
const health = engine(readers);
const restore: (() => void)[] = [];
const DAY = 86_400_000;

const lines = (c: ComponentResult) => c.findings.map((f) => `${f.status} ${f.subject}: ${f.reason}`);
const check = async (cluster: 'infra' | 'apps', name: 'monitoring' | 'external-dns' | 'linkerd') =>
  component(await health.check({ cluster, components: [name], wide: true }), cluster, name);
const healthy = async () => {
  const reports = await health.check({ components: ['monitoring', 'external-dns', 'linkerd'] });
  return reports.every((r) => r.components.every((c) => c.status === 'ok'));
};

/** A Deployment the scheduler cannot place any more: Recreate drops the old pods first, so none is ready. */
function unschedulable(cluster: 'infra' | 'apps', namespace: string, name: string): void {
  const before = getJson<{ spec: { strategy: unknown } }>(cluster, [
    'get',
    'deployment',
    name,
    '-n',
    namespace,
  ]);
  restore.push(() =>
    k(cluster, [
      'patch',
      'deployment',
      name,
      '-n',
      namespace,
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: { strategy: before.spec.strategy, template: { spec: { nodeSelector: null } } },
      }),
    ]),
  );
  k(cluster, [
    'patch',
    'deployment',
    name,
    '-n',
    namespace,
    '--type=merge',
    '-p',
    JSON.stringify({
      spec: {
        strategy: { type: 'Recreate', rollingUpdate: null },
        template: { spec: { nodeSelector: { 'coxswain.dev/no-such-node': 'true' } } },
      },
    }),
  ]);
}

const ISSUER = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'linkerd-identity-issuer', namespace: 'linkerd' },
  spec: {
    secretName: 'linkerd-identity-issuer',
    isCA: true,
    commonName: 'identity.linkerd.cluster.local',
    issuerRef: { name: 'linkerd-trust-anchor', kind: 'Issuer' },
  },
};
const VMALERTMANAGER = {
  apiVersion: 'operator.victoriametrics.com/v1beta1',
  kind: 'VMAlertmanager',
  metadata: { name: 'alertmanager', namespace: 'monitoring' },
  spec: { replicaCount: 1 },
};
// Half an hour short of 300 days: the check rounds what is left to whole seconds, so a notAfter
// exactly 300 days ahead, read within half a second, printed `300d` (a CI run failed on it).
const ISSUER_LIFETIME_LEFT = 300 * DAY - 30 * 60_000;
const issuerStatus = (notAfterMs: number) => ({
  notAfter: new Date(notAfterMs).toISOString().replace(/\.\d+Z/, 'Z'),
  renewalTime: new Date(notAfterMs - 20 * DAY).toISOString().replace(/\.\d+Z/, 'Z'),
  conditions: [
    {
      type: 'Ready',
      status: 'True',
      reason: 'Ready',
      message: 'Certificate is up to date and has not expired',
    },
  ],
});

beforeAll(async () => {
  // cert-manager and the VM operator do not run: create their objects and set status as they would.
  k('infra', ['apply', '-f', '-'], JSON.stringify(ISSUER));
  patchStatus(
    'infra',
    'certificates.cert-manager.io',
    'linkerd-identity-issuer',
    'linkerd',
    issuerStatus(Date.now() + ISSUER_LIFETIME_LEFT),
  );
  k('infra', ['apply', '-f', '-'], JSON.stringify(VMALERTMANAGER));
  patchStatus('infra', 'vmalertmanagers.operator.victoriametrics.com', 'alertmanager', 'monitoring', {
    updateStatus: 'operational',
  });
  await eventually('a settled stack', healthy, 90_000).catch(() => undefined);
}, 120_000);
afterAll(() => {
  k('infra', [
    'delete',
    'certificates.cert-manager.io',
    'linkerd-identity-issuer',
    '-n',
    'linkerd',
    '--ignore-not-found',
  ]);
  k('infra', [
    'delete',
    'vmalertmanagers.operator.victoriametrics.com',
    'alertmanager',
    '-n',
    'monitoring',
    '--ignore-not-found',
  ]);
  for (const r of readers) r.stop();
});
afterEach(async () => {
  for (const undo of restore.splice(0).reverse()) undo();
  await eventually('the healthy seed again', healthy, 90_000);
});

describe('on the healthy seed', () => {
  it('the monitoring stack, external-dns and the Linkerd identity certificates are ok, each listed', async () => {
    const monitoring = await check('infra', 'monitoring');
    expect(monitoring.status).toBe('ok');
    expect(lines(monitoring)).toEqual(
      expect.arrayContaining([
        'ok VMAlertmanager monitoring/alertmanager: operational',
        'ok VictoriaMetrics: deployment monitoring/vmselect-vmcluster: 1/1 ready',
        'ok VMAgent: deployment monitoring/vmagent: 1/1 ready',
      ]),
    );
    expect((await check('apps', 'monitoring')).status).toBe('ok');
    for (const cluster of ['infra', 'apps'] as const) {
      const dns = await check(cluster, 'external-dns');
      expect(lines(dns)).toEqual(['ok external-dns: deployment external-dns/external-dns: 1/1 ready']);
    }
    const linkerd = await check('infra', 'linkerd');
    expect(linkerd.status).toBe('ok');
    expect(lines(linkerd)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ok trust anchor CN=root\.linkerd\.cluster\.local: expires in \d+d/),
        expect.stringMatching(/^ok issuer: expires in 299d23h/),
      ]),
    );
    // apps has no cert-manager Certificate for its issuer: the summary says its expiry is unknown.
    expect((await check('apps', 'linkerd')).summary).toContain('issuer expiry unknown');
  });

  it("the bot's own client certificate is ok at the default threshold and warns at one above its lifetime", async () => {
    const [infra] = await engine([readers[0] as (typeof readers)[0]], { credentialWarningMs: 7 * DAY }).check(
      {
        components: ['credentials'],
        wide: true,
      },
    );
    expect(infra?.components[0]?.status).toBe('ok');
    expect(infra?.components[0]?.findings[0]?.subject).toBe("the bot's client certificate");
    const [strict] = await engine([readers[0] as (typeof readers)[0]], {
      credentialWarningMs: 365 * DAY,
    }).check({
      components: ['credentials'],
    });
    expect(strict?.components[0]?.status).toBe('warn');
    expect(strict?.components[0]?.findings[0]?.reason).toMatch(/: renew it and restart the bot$/);
  });
});

describe('reading the trust roots', () => {
  it('lists and watches only the one ConfigMap in linkerd, never ConfigMaps cluster-wide', async () => {
    const count = counter();
    const infra = reader('infra', { onRequest: count.onRequest });
    try {
      await engine([infra]).check({ components: ['linkerd'] });
      await eventually('the watch started', async () =>
        count.requests.some((r) => r.verb === 'watch' && r.path.endsWith('/configmaps')),
      );
      const configMaps = count.requests.filter((r) => r.path.endsWith('/configmaps'));
      expect(new Set(configMaps.map((r) => `${r.verb} ${r.path}`))).toEqual(
        new Set([
          'list /api/v1/namespaces/linkerd/configmaps',
          'watch /api/v1/namespaces/linkerd/configmaps',
        ]),
      );
    } finally {
      infra.stop();
    }
  });
});

describe('failing, with the reason', () => {
  it('vmselect that the scheduler cannot place fails monitoring', async () => {
    unschedulable('infra', 'monitoring', 'vmselect-vmcluster');
    const result = await eventually(
      'monitoring to fail',
      async () => {
        const c = await check('infra', 'monitoring');
        return c.status === 'fail' && c;
      },
      60_000,
    );
    expect(lines(result)).toContain(
      'fail VictoriaMetrics: deployment monitoring/vmselect-vmcluster: 0/1 ready',
    );
  });

  it('a VMAlertmanager the operator reports failed', async () => {
    restore.push(() =>
      patchStatus('infra', 'vmalertmanagers.operator.victoriametrics.com', 'alertmanager', 'monitoring', {
        updateStatus: 'operational',
        reason: '',
      }),
    );
    patchStatus('infra', 'vmalertmanagers.operator.victoriametrics.com', 'alertmanager', 'monitoring', {
      updateStatus: 'failed',
      reason: 'cannot create statefulset',
    });
    const result = await eventually('monitoring to fail', async () => {
      const c = await check('infra', 'monitoring');
      return c.status === 'fail' && c;
    });
    expect(lines(result)).toContain(
      'fail VMAlertmanager monitoring/alertmanager: failed: cannot create statefulset',
    );
  });

  it('external-dns not ready', async () => {
    unschedulable('apps', 'external-dns', 'external-dns');
    const result = await eventually(
      'external-dns to fail',
      async () => {
        const c = await check('apps', 'external-dns');
        return c.status === 'fail' && c;
      },
      60_000,
    );
    expect(lines(result)).toEqual(['fail external-dns: deployment external-dns/external-dns: 0/1 ready']);
  });

  it('a trust anchor that expires in three days, and an issuer in twenty', async () => {
    const original = getJson<{ data: Record<string, string> }>('infra', [
      'get',
      'configmap',
      'linkerd-identity-trust-roots',
      '-n',
      'linkerd',
    ]).data;
    restore.push(() =>
      k('infra', [
        'patch',
        'configmap',
        'linkerd-identity-trust-roots',
        '-n',
        'linkerd',
        '--type=merge',
        '-p',
        JSON.stringify({ data: original }),
      ]),
    );
    restore.push(() =>
      patchStatus(
        'infra',
        'certificates.cert-manager.io',
        'linkerd-identity-issuer',
        'linkerd',
        issuerStatus(Date.now() + ISSUER_LIFETIME_LEFT),
      ),
    );
    const soon = selfSignedPem('root.linkerd.cluster.local', 3);
    k('infra', [
      'patch',
      'configmap',
      'linkerd-identity-trust-roots',
      '-n',
      'linkerd',
      '--type=merge',
      '-p',
      JSON.stringify({ data: { 'ca-bundle.crt': soon } }),
    ]);
    patchStatus(
      'infra',
      'certificates.cert-manager.io',
      'linkerd-identity-issuer',
      'linkerd',
      issuerStatus(Date.now() + 20 * DAY),
    );
    const result = await eventually('linkerd to fail', async () => {
      const c = await check('infra', 'linkerd');
      return (
        c.status === 'fail' && c.findings.some((f) => f.subject === 'issuer' && f.status === 'warn') && c
      );
    });
    expect(lines(result).filter((l) => !l.startsWith('ok '))).toEqual([
      expect.stringMatching(/^fail trust anchor CN=root\.linkerd\.cluster\.local: expires in (2d2\dh|3d)/),
      expect.stringMatching(/^warn issuer: expires in (19d2\dh|20d)/),
    ]);
  });
});
