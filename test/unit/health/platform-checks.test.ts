import { describe, expect, it } from 'vitest';
import { cephCheck } from '../../../src/health/checks/ceph.js';
import { certManagerCheck } from '../../../src/health/checks/cert-manager.js';
import { cnpgCheck } from '../../../src/health/checks/cnpg.js';
import { externalSecretsCheck } from '../../../src/health/checks/external-secrets.js';
import { fluxCheck } from '../../../src/health/checks/flux.js';
import { linkerdCheck } from '../../../src/health/checks/linkerd.js';
import { veleroCheck } from '../../../src/health/checks/velero.js';
import { volsyncCheck } from '../../../src/health/checks/volsync.js';
import { DAY, deployment, HOUR, input, iso, NOW, notReady, pod, ready } from './fixtures.js';

const kustomization = (name: string, conditions: object[], suspend = false) => ({
  apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  kind: 'Kustomization',
  metadata: { name, namespace: 'flux-system', generation: 1 },
  spec: {
    interval: '10m',
    path: './x',
    prune: true,
    sourceRef: { kind: 'GitRepository', name: 'flux-system' },
    suspend,
  },
  status: { observedGeneration: 1, lastAppliedRevision: 'main@sha1:4f2c1d9e', conditions },
});
const helmRelease = (name: string, conditions: object[]) => ({
  apiVersion: 'helm.toolkit.fluxcd.io/v2',
  kind: 'HelmRelease',
  metadata: { name, namespace: 'flux-system', generation: 1 },
  spec: { interval: '30m', chart: { spec: { chart: name } } },
  status: { observedGeneration: 1, lastAttemptedRevision: '1.18.2', conditions },
});

describe('flux', () => {
  it('is absent without the Flux APIs', () => {
    expect(fluxCheck.run(input({})).status).toBe('absent');
  });

  it('is ok when every Kustomization and HelmRelease is Ready', () => {
    const r = fluxCheck.run(
      input({
        kustomizations: [kustomization('cilium', [ready('ReconciliationSucceeded')])],
        helmreleases: [helmRelease('cilium', [ready('UpgradeSucceeded')])],
      }),
    );
    expect(r.status).toBe('ok');
    expect(r.summary).toBe('1/1 Kustomizations and 1/1 HelmReleases Ready');
  });

  it('fails on Ready=False with the reason and message, warns on suspended and reconciling', () => {
    const r = fluxCheck.run(
      input({
        kustomizations: [
          kustomization('apps', [
            notReady('ReconciliationFailed', 'kustomize build failed: accumulating resources'),
          ]),
          kustomization('paused', [ready()], true),
        ],
        helmreleases: [
          helmRelease('harbor', [
            { type: 'Ready', status: 'Unknown', reason: 'Progressing' },
            { type: 'Reconciling', status: 'True', reason: 'Progressing', message: 'Running upgrade' },
          ]),
        ],
      }),
    );
    expect(r.status).toBe('fail');
    expect(r.findings.map((f) => `${f.status} ${f.subject}: ${f.reason}`)).toEqual([
      'fail Kustomization flux-system/apps: Ready=False (ReconciliationFailed): kustomize build failed: accumulating resources',
      'warn Kustomization flux-system/paused: suspended (not a failure; resume it when intended)',
      'warn HelmRelease flux-system/harbor: reconciling: Reconciling=True (Progressing): Running upgrade',
    ]);
    expect(r.summary).toBe('1/2 Kustomizations and 1/1 HelmReleases Ready; 1 suspended');
  });

  it('fails on Stalled=True even when Ready is unknown', () => {
    const r = fluxCheck.run(
      input(
        {
          helmreleases: [
            helmRelease('x', [
              {
                type: 'Stalled',
                status: 'True',
                reason: 'RetriesExceeded',
                message: 'Failed to upgrade after 3 attempts',
              },
            ]),
          ],
        },
        { served: ['kustomizations'] },
      ),
    );
    expect(r.findings[0]).toMatchObject({
      status: 'fail',
      reason: 'Stalled=True (RetriesExceeded): Failed to upgrade after 3 attempts',
    });
  });
});

describe('linkerd', () => {
  const controlPlane = ['linkerd-destination', 'linkerd-identity', 'linkerd-proxy-injector'].map((n) =>
    deployment('linkerd', n, 1, 1),
  );

  it('is absent without a control plane', () => {
    expect(
      linkerdCheck.run(input({ deployments: [deployment('a', 'b', 1, 1)] }, { served: ['pods'] })).status,
    ).toBe('absent');
  });

  it('counts meshed pods and warns on a proxy that is not ready', () => {
    const r = linkerdCheck.run(
      input({
        deployments: controlPlane,
        pods: [
          pod('gitlab', 'web-1', { containers: ['web', 'linkerd-proxy'] }),
          pod('gitlab', 'web-2', { containers: ['web', 'linkerd-proxy'], proxyReady: false }),
          pod('x', 'plain'),
        ],
      }),
    );
    expect(r.summary).toBe(
      'control plane 3/3 ready; 2 meshed pods, 1 proxies not ready; issuer expiry unknown (no Certificate linkerd/linkerd-identity-issuer)',
    );
    expect(r.status).toBe('warn');
  });

  it('fails when a control plane Deployment has no ready replica', () => {
    const r = linkerdCheck.run(
      input(
        { deployments: [deployment('linkerd', 'linkerd-destination', 1, 0), ...controlPlane.slice(1)] },
        { served: ['pods'] },
      ),
    );
    expect(r.findings).toEqual([{ status: 'fail', subject: 'linkerd-destination', reason: '0/1 ready' }]);
  });

  it('fails on a Link whose gateway probe has no endpoints', () => {
    const link = {
      apiVersion: 'multicluster.linkerd.io/v1alpha3',
      kind: 'Link',
      metadata: { name: 'infra', namespace: 'linkerd-multicluster' },
      spec: {
        targetClusterName: 'infra',
        gatewayAddress: '10.25.11.100',
        gatewayPort: '4143',
        probeSpec: { path: '/ready', port: '4191', period: '3s' },
      },
    };
    const probe = (n: number) => ({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'probe-gateway-infra', namespace: 'linkerd-multicluster' },
      subsets: n ? [{ addresses: [{ ip: '10.25.11.100' }], ports: [{ port: 4191 }] }] : [],
    });
    expect(
      linkerdCheck.run(
        input({ deployments: controlPlane, links: [link], endpoints: [probe(1)] }, { served: ['pods'] }),
      ).status,
    ).toBe('ok');
    const down = linkerdCheck.run(
      input({ deployments: controlPlane, links: [link], endpoints: [probe(0)] }, { served: ['pods'] }),
    );
    expect(down.findings).toEqual([
      {
        status: 'fail',
        subject: 'Link linkerd-multicluster/infra',
        reason: 'no gateway endpoints for infra: the path to infra is down',
      },
    ]);
  });
});

const cephCluster = (health: string, details: Record<string, object> = {}, used = 412316860416) => ({
  apiVersion: 'ceph.rook.io/v1',
  kind: 'CephCluster',
  metadata: { name: 'rook-ceph', namespace: 'rook-ceph' },
  spec: { cephVersion: { image: 'quay.io/ceph/ceph:v19.2.3' } },
  status: {
    phase: 'Ready',
    ceph: { health, details, capacity: { bytesTotal: 3000592982016, bytesUsed: used } },
  },
});

describe('ceph', () => {
  it('is absent without the API or without a CephCluster', () => {
    expect(cephCheck.run(input({})).status).toBe('absent');
    expect(cephCheck.run(input({}, { served: ['cephclusters', 'pods'] })).summary).toBe(
      'not installed (no CephCluster)',
    );
  });

  it('maps HEALTH_OK, HEALTH_WARN (with the details) and HEALTH_ERR', () => {
    expect(
      cephCheck.run(input({ cephclusters: [cephCluster('HEALTH_OK')] }, { served: ['pods'] })).status,
    ).toBe('ok');
    const warn = cephCheck.run(
      input(
        {
          cephclusters: [
            cephCluster('HEALTH_WARN', { OSD_DOWN: { message: '1 osds down', severity: 'HEALTH_WARN' } }),
          ],
        },
        { served: ['pods'] },
      ),
    );
    expect(warn.status).toBe('warn');
    expect(warn.findings[0]?.reason).toBe('HEALTH_WARN: OSD_DOWN: 1 osds down');
    expect(
      cephCheck.run(input({ cephclusters: [cephCluster('HEALTH_ERR')] }, { served: ['pods'] })).status,
    ).toBe('fail');
  });

  it('warns on nearly full raw capacity and OSD pods not running', () => {
    const r = cephCheck.run(
      input({
        cephclusters: [cephCluster('HEALTH_OK', {}, 2_700_000_000_000)],
        pods: [pod('rook-ceph', 'rook-ceph-osd-0', { labels: { app: 'rook-ceph-osd' }, phase: 'Pending' })],
      }),
    );
    expect(r.findings.map((f) => f.reason)).toEqual(['90% of raw capacity used', 'phase Pending']);
    expect(r.summary).toBe('HEALTH_OK; 0/1 OSD pods running');
  });
});

const pg = (status: Record<string, unknown>) => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: { name: 'postgres', namespace: 'databases' },
  spec: { instances: 3, storage: { size: '50Gi' } },
  status: {
    phase: 'Cluster in healthy state',
    instances: 3,
    readyInstances: 3,
    currentPrimary: 'postgres-1',
    targetPrimary: 'postgres-1',
    instancesStatus: { healthy: ['postgres-1', 'postgres-2', 'postgres-3'] },
    conditions: [ready('ClusterIsReady')],
    ...status,
  },
});

describe('cnpg', () => {
  it('is ok when healthy, naming the primary', () => {
    const r = cnpgCheck.run(input({ cnpgclusters: [pg({})] }, { wide: true }));
    expect(r.status).toBe('ok');
    expect(r.findings[0]?.reason).toBe(
      '3/3 instances ready, primary postgres-1, phase "Cluster in healthy state"',
    );
  });

  it('warns on an instance not ready, naming it', () => {
    const r = cnpgCheck.run(
      input({
        cnpgclusters: [
          pg({
            readyInstances: 2,
            phase: 'Waiting for the instances to become active',
            instancesStatus: { healthy: ['postgres-1', 'postgres-2'], failed: ['postgres-3'] },
          }),
        ],
      }),
    );
    expect(r.status).toBe('warn');
    expect(r.findings[0]?.reason).toBe(
      '2/3 instances ready, primary postgres-1, phase "Waiting for the instances to become active"; postgres-3 failed',
    );
  });

  it('fails with no ready instance and warns during a switchover', () => {
    expect(cnpgCheck.run(input({ cnpgclusters: [pg({ readyInstances: 0 })] })).status).toBe('fail');
    const s = cnpgCheck.run(
      input({ cnpgclusters: [pg({ targetPrimary: 'postgres-2', phase: 'Switchover in progress' })] }),
    );
    expect(s.findings[0]?.reason).toMatch(/^switchover to postgres-2 in progress/);
  });
});

const backup = (name: string, schedule: string, phase: string, completedAgoMs: number) => ({
  apiVersion: 'velero.io/v1',
  kind: 'Backup',
  metadata: {
    name,
    namespace: 'velero',
    labels: { 'velero.io/schedule-name': schedule },
    creationTimestamp: iso(NOW - completedAgoMs - HOUR),
  },
  spec: { includedNamespaces: ['*'], ttl: '168h0m0s' },
  status: {
    phase,
    startTimestamp: iso(NOW - completedAgoMs - HOUR),
    completionTimestamp: iso(NOW - completedAgoMs),
    errors: 0,
  },
});
const schedule = (name: string) => ({
  apiVersion: 'velero.io/v1',
  kind: 'Schedule',
  metadata: { name, namespace: 'velero' },
  spec: { schedule: '0 2 * * *', template: { ttl: '168h0m0s' } },
  status: { phase: 'Enabled', lastBackup: iso(NOW - 5 * HOUR) },
});

describe('velero', () => {
  it('is absent without the API', () => {
    expect(veleroCheck.run(input({})).status).toBe('absent');
  });

  it('is ok when the newest completed backup is within the RPO', () => {
    const r = veleroCheck.run(
      input(
        {
          velerobackups: [
            backup('d-1', 'daily', 'Completed', 28 * HOUR),
            backup('d-0', 'daily', 'Completed', 4 * HOUR),
          ],
          veleroschedules: [schedule('daily')],
        },
        { served: ['backupstoragelocations'] },
      ),
    );
    expect(r.status).toBe('ok');
    expect(r.summary).toBe('newest backup 4h ago');
  });

  it('fails when the newest completed backup is older than the RPO', () => {
    const r = veleroCheck.run(
      input(
        {
          velerobackups: [backup('d-1', 'daily', 'Completed', 28 * HOUR)],
          veleroschedules: [schedule('daily')],
        },
        { served: ['backupstoragelocations'] },
      ),
    );
    expect(r.status).toBe('fail');
    expect(r.findings[0]?.reason).toBe('newest completed backup finished 1d4h ago, older than the RPO');
  });

  it("warns when a schedule's latest backup failed and fails on an unavailable storage location", () => {
    const bsl = {
      metadata: { name: 'default', namespace: 'velero' },
      spec: { provider: 'aws' },
      status: { phase: 'Unavailable', message: 'bucket not found' },
    };
    const r = veleroCheck.run(
      input({
        velerobackups: [
          backup('d-1', 'daily', 'Completed', 2 * HOUR),
          backup('d-0', 'daily', 'PartiallyFailed', HOUR),
        ],
        veleroschedules: [schedule('daily')],
        backupstoragelocations: [bsl],
      }),
    );
    expect(r.findings.map((f) => `${f.status} ${f.subject}: ${f.reason}`)).toEqual([
      'warn Schedule velero/daily: latest backup d-0 PartiallyFailed',
      'fail BackupStorageLocation velero/default: Unavailable: bucket not found',
    ]);
  });
});

const source = (name: string, lastSyncAgoMs: number | undefined, result = 'Successful') => ({
  apiVersion: 'volsync.backube/v1alpha1',
  kind: 'ReplicationSource',
  metadata: { name, namespace: 'databases' },
  spec: { sourcePVC: name, trigger: { schedule: '0 */4 * * *' }, restic: { repository: 'x' } },
  status: {
    ...(lastSyncAgoMs === undefined ? {} : { lastSyncTime: iso(NOW - lastSyncAgoMs) }),
    latestMoverStatus: { result, logs: 'processed' },
    conditions: [{ type: 'Synchronizing', status: 'False', reason: 'WaitingForSchedule' }],
  },
});

describe('volsync', () => {
  it('checks every source against the RPO', () => {
    const r = volsyncCheck.run(
      input({
        replicationsources: [
          source('fresh', 2 * HOUR),
          source('stale', 7 * HOUR),
          source('new', undefined),
          source('flaky', HOUR, 'Failed'),
        ],
      }),
    );
    expect(r.status).toBe('fail');
    expect(r.findings.map((f) => `${f.status} ${f.subject}: ${f.reason}`)).toEqual([
      'fail ReplicationSource databases/stale: last sync 7h ago, older than the RPO of 6h',
      'warn ReplicationSource databases/new: has never synced',
      'warn ReplicationSource databases/flaky: last sync 1h ago, but the latest mover run failed',
    ]);
    expect(r.summary).toBe('4 sources, oldest sync 7h ago (RPO 6h)');
  });

  it('uses the configured RPO', () => {
    expect(
      volsyncCheck.run(input({ replicationsources: [source('a', 7 * HOUR)] }, { rpoMs: 8 * HOUR })).status,
    ).toBe('ok');
  });
});

const certificate = (
  name: string,
  notAfterMs: number,
  conditions = [ready('Ready', 'Certificate is up to date and has not expired')],
) => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name, namespace: 'cert-manager' },
  spec: {
    secretName: name,
    dnsNames: ['x.example'],
    issuerRef: { name: 'letsencrypt-production', kind: 'ClusterIssuer' },
  },
  status: { notAfter: iso(notAfterMs), renewalTime: iso(notAfterMs - 30 * DAY), conditions },
});

describe('cert-manager', () => {
  it('is ok with Ready certificates far from expiry, warns within 14 days, fails when expired or not Ready', () => {
    const r = certManagerCheck.run(
      input({
        certificates: [
          certificate('ok', NOW + 60 * DAY),
          certificate('soon', NOW + 10 * DAY),
          certificate('gone', NOW - DAY),
          certificate('broken', NOW + 60 * DAY, [
            notReady('DoesNotExist', 'Issuing certificate as Secret does not exist'),
          ]),
        ],
      }),
    );
    expect(r.findings.map((f) => `${f.status} ${f.subject}: ${f.reason}`)).toEqual([
      'warn Certificate cert-manager/soon: expires in 10d',
      'fail Certificate cert-manager/gone: expired 1d ago',
      'fail Certificate cert-manager/broken: Ready=False (DoesNotExist): Issuing certificate as Secret does not exist',
    ]);
    expect(r.summary).toBe('1/4 certificates Ready and not expiring soon');
  });
});

describe('external-secrets', () => {
  it('fails on an ExternalSecret not synced and on a store not Ready', () => {
    const es = (name: string, cond: object) => ({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name, namespace: 'gitlab' },
      spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'onepassword' } },
      status: { refreshTime: iso(NOW - HOUR), conditions: [cond] },
    });
    const store = {
      metadata: { name: 'onepassword' },
      spec: { provider: {} },
      status: { conditions: [notReady('InvalidProviderConfig', 'unable to validate store')] },
    };
    const r = externalSecretsCheck.run(
      input({
        externalsecrets: [
          es('ok', ready('SecretSynced', 'secret synced')),
          es('bad', notReady('SecretSyncedError', 'could not get secret data from provider')),
        ],
        clustersecretstores: [store],
      }),
    );
    expect(r.findings.map((f) => `${f.status} ${f.subject}: ${f.reason}`)).toEqual([
      'fail ClusterSecretStore onepassword: Ready=False (InvalidProviderConfig): unable to validate store',
      'fail ExternalSecret gitlab/bad: Ready=False (SecretSyncedError): could not get secret data from provider',
    ]);
    expect(r.summary).toBe('1/2 ExternalSecrets synced');
  });

  it('is absent without the API', () => {
    expect(externalSecretsCheck.run(input({})).status).toBe('absent');
  });
});

describe('flux sources', () => {
  const source = (kind: string, name: string, conditions: object[], generation = 1, observed = 1) => ({
    metadata: { name, namespace: 'flux-system', generation },
    spec: { interval: '1m', url: 'ssh://git@github.com/monosense/k8s-gitops' },
    status: {
      observedGeneration: observed,
      conditions: conditions.map((c) => ({ observedGeneration: observed, ...c })),
    },
    kind,
  });
  const lines = (r: ReturnType<typeof fluxCheck.run>) =>
    r.findings.map((f) => `${f.status} ${f.subject}: ${f.reason}`);

  it('are ok when Ready for the current spec and not stale', () => {
    const r = fluxCheck.run(
      input({
        kustomizations: [kustomization('cilium', [ready()])],
        gitrepositories: [source('GitRepository', 'flux-system', [ready()])],
        helmrepositories: [source('HelmRepository', 'cilium', [ready()])],
        ocirepositories: [source('OCIRepository', 'podinfo', [ready()])],
      }),
    );
    expect(r.status).toBe('ok');
    expect(r.summary).toBe('1/1 Kustomizations and 0/0 HelmReleases Ready');
  });

  it('fail when not Ready, warn when fetching failed, the artifact is outdated or the spec not yet reconciled', () => {
    const r = fluxCheck.run(
      input(
        {
          gitrepositories: [
            source('GitRepository', 'flux-system', [
              notReady('GitOperationFailed', 'failed to checkout: auth required'),
            ]),
            source('GitRepository', 'stale', [
              ready(),
              {
                type: 'FetchFailed',
                status: 'True',
                reason: 'GitOperationFailed',
                message: 'connection refused',
              },
            ]),
          ],
          helmrepositories: [source('HelmRepository', 'cilium', [ready()], 3, 2)],
          ocirepositories: [
            source('OCIRepository', 'podinfo', [
              ready(),
              { type: 'ArtifactOutdated', status: 'True', reason: 'NewRevision', message: 'new digest' },
            ]),
          ],
        },
        { served: ['kustomizations', 'helmreleases'] },
      ),
    );
    expect(r.status).toBe('fail');
    expect(lines(r)).toEqual([
      'fail GitRepository flux-system/flux-system: Ready=False (GitOperationFailed): failed to checkout: auth required',
      'warn GitRepository flux-system/stale: stale: FetchFailed=True (GitOperationFailed): connection refused',
      'warn OCIRepository flux-system/podinfo: stale: ArtifactOutdated=True (NewRevision): new digest',
      'warn HelmRepository flux-system/cilium: stale: Ready for generation 2, spec is at 3',
    ]);
    expect(r.summary).toBe('0/0 Kustomizations and 0/0 HelmReleases Ready; 4/4 sources not Ready or stale');
  });
});

describe('cloudnative-pg backup freshness', () => {
  const cluster = {
    metadata: { name: 'postgres', namespace: 'databases' },
    spec: { instances: 3 },
    status: {
      instances: 3,
      readyInstances: 3,
      currentPrimary: 'postgres-1',
      targetPrimary: 'postgres-1',
      phase: 'Cluster in healthy state',
    },
  };
  const schedule = {
    metadata: { name: 'postgres-daily', namespace: 'databases' },
    spec: { cluster: { name: 'postgres' }, schedule: '0 0 2 * * *' },
    status: { lastScheduleTime: iso(NOW - 3 * HOUR), nextScheduleTime: iso(NOW + 21 * HOUR) },
  };
  const backup = (name: string, phase: string, stoppedAgo: number) => ({
    metadata: { name, namespace: 'databases' },
    spec: { cluster: { name: 'postgres' } },
    status: { phase, stoppedAt: iso(NOW - stoppedAgo) },
  });
  const run = (backups: object[]) =>
    cnpgCheck.run(
      input(
        { cnpgclusters: [cluster], cnpgscheduledbackups: [schedule], cnpgbackups: backups as never[] },
        { wide: true },
      ),
    );

  it('is ok when the newest completed backup is younger than the schedule period', () => {
    const r = run([backup('old', 'completed', 3 * DAY), backup('new', 'completed', 3 * HOUR)]);
    expect(r.status).toBe('ok');
    expect(r.findings.at(-1)).toEqual({
      status: 'ok',
      subject: 'backups of databases/postgres (postgres-daily)',
      reason: 'newest completed 3h ago, scheduled every 1d',
    });
  });

  it('warns after one missed period, fails after two or with no completed backup', () => {
    expect(run([backup('a', 'completed', 30 * HOUR), backup('b', 'failed', 3 * HOUR)]).status).toBe('warn');
    const late = run([backup('a', 'completed', 50 * HOUR)]);
    expect(late.status).toBe('fail');
    expect(late.summary).toBe('1/1 clusters healthy; 1 backup schedule behind');
    expect(run([backup('b', 'failed', HOUR)]).findings.at(-1)?.reason).toBe('no completed Backup');
  });
});
