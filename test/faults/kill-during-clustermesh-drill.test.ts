/**
 * `kill -9` of the bot while a clustermesh-resilience drill has infra's clustermesh-apiserver at
 * zero replicas, then a restart on the same SQLite store: the restarted bot rolls the drill back
 * (the kind's rule for a run orphaned mid-way, drills.yaml), scales the Deployment back to the
 * replicas it recorded, and says so in chat. The bot is a real process (`coxswain --shell`,
 * test/faults/bot-process.ts) on both of the test stack's clusters; its writes impersonate
 * coxswain-operator with the RBAC from deploy/ applied, and kube-controller-manager really
 * removes the pod and empties the Service's Endpoints, then brings both back.
 *
 * How the drill is held at zero: apps is given a metrics endpoint (the stack's real Prometheus)
 * whose simulated agents (test/integration/drills/clustermesh-agents.ts: no Cilium agent can run
 * under kwok) keep reporting infra ready. The drill then waits in its observe phase for them to
 * notice the loss, for up to NOTICE_MS (2 min), so the kill surely lands while the apiserver is
 * down.
 *
 * A restarted bot cannot tell a dead process from another replica still driving the run, so it
 * takes the run over only once nobody has advanced it for 30 s (DrillEngineOptions.staleAfterMs)
 * and its sweep (every drills interval) finds it: this test takes about a minute by design.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scraped, setAgents } from '../integration/drills/clustermesh-agents.js';
import { scaleWrites, waitFor } from '../integration/drills/helpers.js';
import { applyRbac } from '../integration/rbac/identities.js';
import { deploymentReplicas, type Replicas, readyEndpoints } from '../stack/deployment-state.js';
import { loadStackEnv, type StackCluster } from '../stack/env.js';
import { kubectlRun } from '../stack/kubectl.js';
import { BotProcess, writeBotConfig } from './bot-process.js';

const env = loadStackEnv();
const CLUSTERS: StackCluster[] = ['infra', 'apps'];
const NS = 'kube-system';
const APISERVER = 'clustermesh-apiserver';
const run = randomUUID();
const dir = mkdtempSync(join(tmpdir(), 'coxswain-kill-clustermesh-'));
const bots: BotProcess[] = [];
let config: string;

function apiserver(): Replicas {
  return deploymentReplicas(env, 'infra', NS, APISERVER);
}

function apiserverEndpoints(): number {
  return readyEndpoints(env, 'infra', NS, APISERVER);
}

beforeAll(async () => {
  for (const cluster of CLUSTERS) applyRbac(env, cluster);
  // As the seed has it, and as the drill's guard rails want it.
  expect(apiserver()).toEqual({ replicas: 1, readyReplicas: 1 });
  expect(apiserverEndpoints()).toBe(1);
  await setAgents(env, run, 1);
  await scraped(env, run, 1);
  config = writeBotConfig(dir, [
    { name: 'infra', kubeconfig: env.KUBECONFIG_INFRA },
    {
      name: 'apps',
      kubeconfig: env.KUBECONFIG_APPS,
      metrics: { url: env.PROMETHEUS_URL, timeout: '5s', matchers: `run="${run}"` },
    },
  ]);
});

afterAll(async () => {
  for (const bot of bots) await bot.kill9();
  // Whatever happened above, leave the apiserver as the seed had it for the other tests.
  kubectlRun(env, 'infra', ['scale', 'deployment', APISERVER, '-n', NS, '--replicas=1']);
  kubectlRun(env, 'infra', ['rollout', 'status', `deployment/${APISERVER}`, '-n', NS, '--timeout=60s']);
  await waitFor('the Service endpoints back', () => (apiserverEndpoints() === 1 ? true : undefined));
});

describe('kill -9 during a clustermesh-resilience drill', () => {
  it('the restarted bot rolls the drill back on the same store: the apiserver is back at its replicas, and chat says so', async () => {
    const first = new BotProcess(config, dir);
    bots.push(first);
    await first.confirm('drill run clustermesh-resilience', 'Confirm');
    await first.waitFor(
      /Scaled clustermesh-apiserver `kube-system\/clustermesh-apiserver` to 0 replicas as coxswain-operator/,
    );
    await first.waitFor(/The clustermesh-apiserver has no Ready replicas and its Service no ready endpoints/);
    expect(apiserver().replicas).toBe(0);
    expect(apiserverEndpoints()).toBe(0);

    // The scale-down was written before the note above was printed; any scale write from here on
    // is somebody else's (same clock: the stack runs on this machine).
    const killedAt = Date.now();
    await first.kill9();
    // The bot is gone mid-drill: the apiserver stays at zero until somebody rolls back.
    expect(apiserver().replicas).toBe(0);

    const second = new BotProcess(config, dir);
    bots.push(second);
    await second.waitFor(/coxswain restarted mid-drill; rolling back\./, 90_000);
    await second.waitFor(
      /Scaled clustermesh-apiserver `kube-system\/clustermesh-apiserver` back to 1 replicas as coxswain-operator\./,
      30_000,
    );
    expect(apiserver().replicas).toBe(1);
    await waitFor('the apiserver Ready behind its Service again', () =>
      apiserver().readyReplicas === 1 && apiserverEndpoints() === 1 ? true : undefined,
    );

    // The second process wrote the scale-up itself, through the scale subresource, as the operator.
    const restores = scaleWrites(env.AUDIT_LOG_INFRA, APISERVER, killedAt);
    expect(restores).toHaveLength(1);
    expect(restores[0]?.impersonatedUser?.username).toBe('system:serviceaccount:coxswain:coxswain-operator');
    expect(restores[0]?.responseStatus?.code).toBe(200);

    // The run's outcome is in chat, and in the store: a later `drill status` shows it.
    const from = second.type('drill status');
    await second.waitFor(/clustermesh-resilience[\s\S]*rolled[- ]back/i, 30_000, from);
    await second.stop();
  }, 240_000);
});
