/**
 * A Lease held by a dead pod, on a real API server: the holder stops renewing without giving the
 * Lease up (its pod was killed). The replica that comes up meanwhile waits out the lease, takes
 * it over, and says so: one warning naming the dead holder and how long it had been silent, and
 * coxswain_leader_takeovers_total. Nothing crashes while it waits.
 */
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../adapters/kube/cluster-reader.js';
import { LeaseElector } from '../../adapters/kube/lease-elector.js';
import { observeLeadership } from '../../src/leader/election.js';
import { createLogger } from '../../src/log.js';
import { loadStackEnv } from '../stack/env.js';

const env = loadStackEnv();
const LEASE_MS = 3000;
const electors: LeaseElector[] = [];

function elector(identity: string, lease: string): LeaseElector {
  const e = new LeaseElector({
    kubeConfig: loadKubeConfig({ name: 'apps', kubeconfig: env.KUBECONFIG_APPS }),
    namespace: 'default',
    name: lease,
    identity,
    leaseDurationMs: LEASE_MS,
    retryPeriodMs: 500,
  });
  electors.push(e);
  return e;
}

afterEach(async () => {
  for (const e of electors.splice(0)) await e.stop();
});

describe('a Lease held by a dead pod', () => {
  it('is taken over after the lease, with a warning naming the dead holder and a metric', async () => {
    const lease = `coxswain-dead-${Date.now()}`;
    const dead = elector('coxswain-7d9f-dead', lease);
    dead.start();
    await expect.poll(() => dead.isLeader(), { timeout: 10_000 }).toBe(true);
    await dead.stop({ release: false }); // killed: no more renewals, the Lease still names it

    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const registry = new Registry();
    const live = elector('coxswain-7d9f-live', lease);
    observeLeadership(live, registry, createLogger({ level: 'info', destination }));
    live.start();
    await expect.poll(() => live.isLeader(), { timeout: LEASE_MS + 5000 }).toBe(true);

    const warning = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l.from);
    expect(warning).toMatchObject({ level: 40, from: 'coxswain-7d9f-dead', identity: 'coxswain-7d9f-live' });
    expect(String(warning?.msg)).toMatch(
      /^took the leader Lease over from coxswain-7d9f-dead, which had not renewed it for \d+s/,
    );
    expect(Number(warning?.staleMs)).toBeGreaterThanOrEqual(LEASE_MS);
    expect(await registry.getSingleMetricAsString('coxswain_leader_takeovers_total')).toContain(
      'coxswain_leader_takeovers_total{identity="coxswain-7d9f-live"} 1',
    );
  });
});
