/**
 * The health checks issue 21 added, on the test stack's real API servers with the bot's own
 * read-only account: Cilium BGP sessions, LB-IPAM pools and the ClusterMesh apiserver's address,
 * Flux sources, CloudNativePG backup freshness. Healthy on the seed; each failing state is made by
 * patching status as its controller would report it (Cilium's BGP control plane and LB-IPAM,
 * source-controller, the CNPG operator do not run here), then restored.
 */
import { describe, expect, it } from 'vitest';
import { component, eventually, getJson, patchStatus, problems, seededHealth } from './support.js';

const { health, restore } = seededHealth(['cilium', 'flux', 'cnpg']);
const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d+Z/, 'Z');

describe('the new checks on the healthy seed', () => {
  it('list every BGP session, LB-IPAM pool, the ClusterMesh address, the Flux sources and the backups ok', async () => {
    const [infra] = await health.check({
      cluster: 'infra',
      components: ['cilium', 'flux', 'cnpg'],
      wide: true,
    });
    const lines = (name: string) =>
      infra?.components
        .find((c) => c.component === name)
        ?.findings.map((f) => `${f.status} ${f.subject}: ${f.reason}`) ?? [];
    expect(infra?.components.map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
    expect(lines('cilium')).toEqual(
      expect.arrayContaining([
        'ok BGP infra-01: 1 session established',
        'ok BGP infra-02: 1 session established',
        'ok BGP infra-03: 1 session established',
        'ok LB-IPAM pool infra-pool: no conflict',
      ]),
    );
    expect(
      lines('cilium').some((l) => /^ok clustermesh-apiserver: reachable at \d+\.\d+\.\d+\.\d+$/.test(l)),
    ).toBe(true);
    expect(lines('flux')).toEqual(
      expect.arrayContaining([
        'ok GitRepository flux-system/flux-system: Ready',
        'ok HelmRepository flux-system/cilium: Ready',
      ]),
    );
    expect(lines('cnpg')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^ok backups of databases\/postgres \(postgres-daily\): newest completed \d+h(\d+m)?(\d+s)? ago, scheduled every 1d$/,
        ),
      ]),
    );
  });
});

describe('the new checks fail with the reason', () => {
  it('a BGP session that is not established', async () => {
    const before = getJson<{ status: unknown }>('infra', [
      'get',
      'ciliumbgpnodeconfigs.cilium.io',
      'infra-02',
    ]);
    restore.push(() =>
      patchStatus('infra', 'ciliumbgpnodeconfigs.cilium.io', 'infra-02', undefined, before.status),
    );
    patchStatus('infra', 'ciliumbgpnodeconfigs.cilium.io', 'infra-02', undefined, {
      bgpInstances: [
        {
          name: 'instance-64513',
          localASN: 64513,
          peers: [{ name: 'srx320', peerAddress: '10.25.11.1', peerASN: 64512, peeringState: 'active' }],
        },
      ],
    });
    const cilium = await eventually('cilium to fail', async () => {
      const c = component(
        await health.check({ cluster: 'infra', components: ['cilium'] }),
        'infra',
        'cilium',
      );
      return c.status === 'fail' && c;
    });
    expect(problems(cilium)).toEqual(['fail BGP infra-02: peer srx320 active']);
  });

  it('an LB-IPAM pool in conflict', async () => {
    const before = getJson<{ status: unknown }>('apps', [
      'get',
      'ciliumloadbalancerippools.cilium.io',
      'apps-pool',
    ]);
    restore.push(() =>
      patchStatus('apps', 'ciliumloadbalancerippools.cilium.io', 'apps-pool', undefined, before.status),
    );
    patchStatus('apps', 'ciliumloadbalancerippools.cilium.io', 'apps-pool', undefined, {
      conditions: [
        {
          type: 'cilium.io/PoolConflict',
          status: 'True',
          reason: 'cidr_overlap',
          message: 'Pool overlaps with CIDRs of infra-pool',
          lastTransitionTime: at(0),
        },
      ],
    });
    const cilium = await eventually('cilium to fail', async () => {
      const c = component(await health.check({ cluster: 'apps', components: ['cilium'] }), 'apps', 'cilium');
      return c.status === 'fail' && c;
    });
    expect(problems(cilium)).toEqual([
      'fail LB-IPAM pool apps-pool: cilium.io/PoolConflict=True (cidr_overlap): Pool overlaps with CIDRs of infra-pool',
    ]);
  });

  it('a GitRepository serving a stale artifact because fetching fails', async () => {
    const before = getJson<{ status: { conditions: unknown[] } }>('apps', [
      'get',
      'gitrepositories.source.toolkit.fluxcd.io',
      'flux-system',
      '-n',
      'flux-system',
    ]);
    restore.push(() =>
      patchStatus('apps', 'gitrepositories.source.toolkit.fluxcd.io', 'flux-system', 'flux-system', {
        conditions: before.status.conditions,
      }),
    );
    patchStatus('apps', 'gitrepositories.source.toolkit.fluxcd.io', 'flux-system', 'flux-system', {
      conditions: [
        ...before.status.conditions,
        {
          type: 'FetchFailed',
          status: 'True',
          reason: 'GitOperationFailed',
          message: 'failed to checkout and determine revision: unable to clone: connection refused',
          lastTransitionTime: at(0),
        },
      ],
    });
    const flux = await eventually('flux to warn', async () => {
      const c = component(await health.check({ cluster: 'apps', components: ['flux'] }), 'apps', 'flux');
      return c.status === 'warn' && c;
    });
    expect(problems(flux)).toEqual([
      'warn GitRepository flux-system/flux-system: stale: FetchFailed=True (GitOperationFailed): failed to checkout and determine revision: unable to clone: connection refused',
    ]);
  });

  it('a CloudNativePG backup two schedule periods old', async () => {
    const backups = getJson<{
      items: { metadata: { name: string }; status: { phase: string; stoppedAt: string } }[];
    }>('infra', ['get', 'backups.postgresql.cnpg.io', '-n', 'databases']);
    const completed = backups.items.filter((b) => b.status.phase === 'completed');
    expect(completed.length).toBeGreaterThan(0);
    for (const b of completed) {
      restore.push(() =>
        patchStatus('infra', 'backups.postgresql.cnpg.io', b.metadata.name, 'databases', {
          stoppedAt: b.status.stoppedAt,
        }),
      );
      patchStatus('infra', 'backups.postgresql.cnpg.io', b.metadata.name, 'databases', {
        stoppedAt: at(50 * 3_600_000),
      });
    }
    const cnpg = await eventually('cnpg to fail', async () => {
      const c = component(await health.check({ cluster: 'infra', components: ['cnpg'] }), 'infra', 'cnpg');
      return c.status === 'fail' && c;
    });
    expect(problems(cnpg)).toEqual([
      expect.stringMatching(
        /^fail backups of databases\/postgres \(postgres-daily\): newest completed 2d2h\d*m?\d*s? ago, scheduled every 1d$/,
      ),
    ]);
  });
});
