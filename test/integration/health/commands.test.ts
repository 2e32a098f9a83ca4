/** `/ops health` and `/ops mesh` through the real router, on the test stack. */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allGroups } from '../../../commands/index.js';
import { FixedRoleResolver } from '../../../src/auth/roles.js';
import { configSchema } from '../../../src/config/schema.js';
import type { HealthEngine } from '../../../src/health/engine.js';
import type { ClusterReader } from '../../../src/health/types.js';
import { createMetrics } from '../../../src/metrics.js';
import type { Invocation } from '../../../src/ports.js';
import { Router } from '../../../src/router/router.js';
import { SqlStore } from '../../../src/store/sql-store.js';
import { SqliteDriver } from '../../../src/store/sqlite-driver.js';
import { RecordingResponder } from '../../support/router-harness.js';
import { testServices } from '../../support/services.js';
import { engine, reader } from './support.js';

let store: SqlStore;
let readers: ClusterReader[] = [];

beforeAll(async () => {
  store = new SqlStore(new SqliteDriver(':memory:'));
  await store.migrate();
});
afterAll(async () => {
  for (const r of readers) r.stop();
  await store.close();
});

function router(health: HealthEngine | undefined): Router {
  const config = configSchema.parse({});
  const services = testServices({ config, store, health: health ?? null });
  return new Router({
    trigger: '/ops',
    groups: allGroups(),
    roles: new FixedRoleResolver('viewer'),
    store,
    services,
    metrics: createMetrics({ defaults: false }),
    log: pino({ level: 'silent' }),
    confirmExpiryMs: 120_000,
    approvalExpiryMs: 900_000,
    approvalsRequired: [],
  });
}

let n = 0;
async function run(r: Router, text: string): Promise<RecordingResponder> {
  const responder = new RecordingResponder();
  const invocation: Invocation = {
    platform: 'test',
    user: { id: 'u1', username: 'victor', groups: [] },
    channel: { id: 'c1', name: 'ops' },
    text,
    requestId: `h${++n}`,
    responder,
  };
  await r.handle(invocation);
  return responder;
}

describe('/ops health and /ops mesh', () => {
  it('a cold check slower than the progress threshold posts progress first, then updates that post', async () => {
    readers = [reader('infra'), reader('apps')];
    const r = router(engine(readers, { progressAfterMs: 0 }));
    const answer = await run(r, 'health');
    expect(answer.answers.map((a) => a.visibility)).toEqual(['ephemeral', 'update']);
    expect(answer.answers[0]?.message.text).toMatch(/^Checking infra and apps: filling the caches/);
    expect(answer.answers[1]?.ref).toEqual(answer.answers[0]?.ref);
    const report = answer.answers[1]?.message;
    expect(report?.title).toBe('Platform health');
    expect(report?.severity, report?.text).toBe('ok');
    expect(report?.text).toContain('#### infra: ok');
    expect(report?.text).toContain('#### apps: ok');
  });

  it('a warm check answers once, for the cluster and component asked', async () => {
    const r = router(engine(readers, { progressAfterMs: 2000 }));
    const answer = await run(r, 'health --cluster infra --component ceph -o wide');
    expect(answer.answers).toHaveLength(1);
    const text = answer.answers[0]?.message.text ?? '';
    expect(answer.answers[0]?.visibility).toBe('ephemeral');
    expect(text).toContain('#### infra: ok _(cached');
    expect(text).toContain('- ceph: ok — HEALTH\\_OK; 3/3 OSD pods running');
    expect(text).toContain('  - ok CephCluster rook-ceph/rook-ceph: HEALTH\\_OK, phase Ready');
    expect(text).not.toContain('apps');
  });

  it('names the configured clusters when asked for another', async () => {
    const answer = await run(router(engine(readers)), 'health --cluster prod');
    expect(answer.texts).toEqual(['There is no cluster prod in the config; the clusters are: infra, apps.']);
  });

  it('says how to configure clusters when there are none', async () => {
    const answer = await run(router(undefined), 'health');
    expect(answer.texts[0]).toMatch(/^No cluster is configured/);
  });

  it('mesh states which cross-cluster paths are up', async () => {
    const answer = await run(router(engine(readers)), 'mesh');
    const message = answer.answers.at(-1)?.message;
    expect(message?.title).toBe('Cross-cluster mesh');
    expect(message?.text.split('\n')[0]).toBe('Up: apps → infra. Down: none.');
    expect(message?.text).toContain('mirrored: databases/postgres-rw-infra (1 endpoint)');
    expect(message?.text).toContain('- infra: ok — clustermesh-apiserver 1/1 ready');
  });
});
