/** `/ops drill` and `/ops phase` through the real router, with the engines on the test stack. */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allGroups } from '../../../commands/index.js';
import type { Role } from '../../../src/auth/config-schema.js';
import { FixedRoleResolver } from '../../../src/auth/roles.js';
import { configSchema } from '../../../src/config/schema.js';
import { loadDrills } from '../../../src/drills/definitions.js';
import { DrillEngine } from '../../../src/drills/engine.js';
import { createMetrics } from '../../../src/metrics.js';
import { loadPhases } from '../../../src/phases/definitions.js';
import { PhaseEngine } from '../../../src/phases/engine.js';
import type { Invocation } from '../../../src/ports.js';
import { Router } from '../../../src/router/router.js';
import type { Services } from '../../../src/services.js';
import type { Store } from '../../../src/store/store.js';
import { escapeChat } from '../../../src/text/escape.js';
import { loadStackEnv } from '../../stack/env.js';
import { RecordingResponder } from '../../support/router-harness.js';
import { testServices } from '../../support/services.js';
import { botDirectory } from '../rbac/identities.js';
import { quietLog, RecordingChat, tempStore } from './helpers.js';

let store: Store;
let services: Services;

beforeAll(async () => {
  const env = loadStackEnv();
  const clusters = botDirectory(env, ['infra', 'apps']);
  store = (await tempStore()).store;
  const chat = new RecordingChat();
  services = testServices({
    config: configSchema.parse({}),
    store,
    drills: new DrillEngine({ store, clusters, chat, drills: loadDrills(), log: quietLog }),
    phases: new PhaseEngine({ store, clusters, chat, phases: loadPhases(), log: quietLog }),
  });
});

afterAll(async () => {
  await store?.close();
});

let n = 0;
async function run(text: string, role: Role = 'admin'): Promise<RecordingResponder> {
  const router = new Router({
    trigger: '/ops',
    groups: allGroups(),
    roles: new FixedRoleResolver(role),
    store,
    services,
    metrics: createMetrics({ defaults: false }),
    log: pino({ level: 'silent' }),
    confirmExpiryMs: 120_000,
    approvalExpiryMs: 900_000,
    approvalsRequired: [],
  });
  const responder = new RecordingResponder();
  const invocation: Invocation = {
    platform: 'test',
    user: { id: 'u1', username: 'alice', groups: [] },
    channel: { id: 'c1', name: 'ops' },
    text,
    requestId: `d${++n}`,
    responder,
  };
  await router.handle(invocation);
  return responder;
}

describe('/ops drill', () => {
  it('lists the drills with their objectives', async () => {
    const text = (await run('drill list', 'viewer')).answers[0]?.message.text ?? '';
    expect(text).toContain('| pod-kill |');
    expect(text).toMatch(/^\| node-drain \| .* \| 5m \| monthly \|$/m);
    expect(text).toMatch(/^\| cnpg-failover \| .* \| 1m \| weekly \|$/m);
    expect(text).toMatch(/^\| mesh-gateway \| .* \| 1m \(chosen\) \| monthly \(chosen\) \|$/m);
    expect(text).toMatch(/^\| backup-restore \| .* \| 4h \| monthly \|$/m);
    // A PVC is the plan's Tier 1 (weekly); its recovery time is not in the plan.
    expect(text).toMatch(/^\| volsync-restore \| .* \| 30m \(chosen\) \| weekly \|$/m);
    // The plan's ClusterMesh test gives neither a recovery time nor a tier.
    expect(text).toMatch(/^\| clustermesh-resilience \| .* \| 2m \(chosen\) \| monthly \(chosen\) \|$/m);
    // An application lost on one cluster is the plan's Tier 2 (monthly); its failover time is not in the plan.
    expect(text).toMatch(/^\| app-failover \| .* \| 1m \(chosen\) \| monthly \|$/m);
  });

  it('plans the clustermesh-resilience drill from the live cluster, saying what it cannot watch', async () => {
    const plan = (await run('drill plan clustermesh-resilience', 'operator')).answers[0]?.message;
    expect(plan?.title).toBe('Drill clustermesh-resilience: plan (nothing changed)');
    expect(plan?.text).toContain(
      `1. ${escapeChat('scale the clustermesh-apiserver Deployment kube-system/clustermesh-apiserver on infra from 1 to 0 replicas (scale subresource)')}`,
    );
    // No metrics endpoint is configured here: the plan says the agents' view is not known.
    expect(plan?.text).toContain(
      `2. ${escapeChat('no other cluster has a metrics endpoint (clusters[].metrics): only the apiserver and its Service endpoints are watched; whether the agents lose infra is not known')}`,
    );
    expect(plan?.text).toContain(
      `3. ${escapeChat('scale it back to 1 and measure until its Service has ready endpoints again; objective 2m')}`,
    );
    expect(plan?.severity).toBe('info');
    expect(await store.listRuns({ kind: 'drill' })).toHaveLength(0);
  });

  it('plans the volsync-restore drill from the live ReplicationSource; a missing source volume refuses', async () => {
    const plan = (await run('drill plan volsync-restore', 'operator')).answers[0]?.message;
    expect(plan?.text).toContain('ReplicationSource harbor/harbor-registry-data');
    expect(plan?.text).toContain('restic repository harbor-registry-data-volsync-secret');
    // The stack seeds the ReplicationSource but not the volume it backs up: nothing to size by.
    expect(plan?.text).toContain(
      `It would be refused now:\n- ${escapeChat('The volume ReplicationSource harbor/harbor-registry-data backs up (PVC harbor-registry-data) is not there to size the scratch PVC by.')}`,
    );
    const none = (await run('drill plan volsync-restore --source nosuch', 'operator')).answers[0]?.message;
    expect(none?.text).toContain('There is no VolSync ReplicationSource harbor/nosuch on apps.');
  });

  it('plans a node drain from the live cluster, changing nothing', async () => {
    const message = (await run('drill plan node-drain --node apps-02', 'operator')).answers[0]?.message;
    expect(message?.title).toBe('Drill node-drain: plan (nothing changed)');
    expect(message?.text).toMatch(/^1\. cordon node apps-02 on apps/);
    expect(message?.text).toContain('through the Eviction API');
  });

  it('plans the mesh-gateway and backup-restore drills from the live clusters, changing nothing', async () => {
    const mesh = (await run('drill plan mesh-gateway', 'operator')).answers[0]?.message;
    expect(mesh?.title).toBe('Drill mesh-gateway: plan (nothing changed)');
    // Plan lines are escaped for chat (they carry names read from the cluster).
    expect(mesh?.text).toContain(
      `1. ${escapeChat('scale the gateway Deployment linkerd-multicluster/linkerd-gateway on infra from 1 to 0 replicas (scale subresource)')}`,
    );
    expect(mesh?.text).toContain('apps:databases/postgres-rw-infra');
    expect(mesh?.severity).toBe('info');
    const restore = (await run('drill plan backup-restore --namespace gitlab', 'operator')).answers[0]
      ?.message;
    expect(restore?.text).toMatch(
      /^1\. create a Velero Restore in velero on apps from Backup apps-daily-\S+, restoring namespace gitlab into coxswain-drill-restore/,
    );
    expect(restore?.severity).toBe('info');
    const missing = (await run('drill plan backup-restore --backup nosuch', 'operator')).answers[0]?.message;
    expect(missing?.text).toContain('There is no Velero Backup velero/nosuch on apps.');
    expect(await store.listRuns({ kind: 'drill' })).toHaveLength(0);
  });

  it('a dry run checks the guard rails and shows the plan; a real run asks for confirmation first', async () => {
    const dry = (await run('drill run pod-kill --dry-run')).answers[0]?.message;
    expect(dry?.title).toBe('Drill pod-kill: dry run, nothing changed');
    expect(dry?.text).toContain('delete one of the 2 Ready pods of Deployment harbor/harbor-core on apps');
    const real = (await run('drill run pod-kill')).answers[0]?.message;
    expect(real?.title).toBe('Confirm a dangerous command');
    expect(await store.listRuns({ kind: 'drill' })).toHaveLength(0);
  });

  it('an operator may plan but not run a drill', async () => {
    const answer = (await run('drill run pod-kill --dry-run', 'operator')).answers[0]?.message.text ?? '';
    expect(answer).not.toContain('dry run, nothing changed');
    expect(await store.listRuns({ kind: 'drill' })).toHaveLength(0);
  });
});

describe('/ops phase', () => {
  it('lists the phases in order with their dependencies', async () => {
    const text = (await run('phase list', 'viewer')).answers[0]?.message.text ?? '';
    const names = [...text.matchAll(/^\| \d \| ([a-z-]+) \|/gm)].map((m) => m[1]);
    expect(names).toEqual([
      'foundation',
      'mesh-observability',
      'storage-backup',
      'platform-services',
      'security-networking',
      'applications-validation',
    ]);
  });

  it('a dry run of a phase lists its Flux objects in dependency order and changes nothing', async () => {
    const message = (await run('phase run storage-backup --dry-run')).answers[0]?.message;
    expect(message?.title).toBe('Phase storage-backup: dry run, nothing changed');
    const lines = message?.text.split('\n') ?? [];
    const at = (s: string) => lines.findIndex((l) => l.includes(s));
    expect(at('infra: Kustomization flux-system/rook-ceph')).toBeGreaterThan(0);
    expect(at('infra: Kustomization flux-system/rook-ceph')).toBeLessThan(
      at('infra: Kustomization flux-system/volsync'),
    );
    expect(await store.listRuns({ kind: 'phase' })).toHaveLength(0);
  });
});
