/**
 * `kill -9` of the bot in the middle of a node-drain drill, then a restart on the same SQLite
 * store: the drill rolls back (the node is uncordoned) and says so in chat. The bot is a real
 * process (`coxswain --shell`, test/faults/bot-process.ts) on the test stack's apps cluster; its
 * writes impersonate coxswain-operator with the RBAC from deploy/rbac applied. The drain is held
 * mid-way by a pod on apps-03 whose PodDisruptionBudget never allows an eviction, so the kill
 * surely lands while apps-03 is cordoned.
 *
 * A restarted bot cannot tell a dead process from another replica still driving the run, so it
 * takes the run over only once nobody has advanced it for 30 s (DrillEngineOptions.staleAfterMs)
 * and its sweep (every drills interval) finds it: this test takes about a minute by design.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRbac } from '../integration/rbac/identities.js';
import { loadStackEnv } from '../stack/env.js';
import { deleteNamespaceAndWait, kubectl, kubectlJson, kubectlRun } from '../stack/kubectl.js';
import { BotProcess, writeBotConfig } from './bot-process.js';

const env = loadStackEnv();
const NS = `coxswain-fault-drill-${Math.random().toString(36).slice(2, 8)}`;
const NODE = 'apps-03';
const dir = mkdtempSync(join(tmpdir(), 'coxswain-kill-drill-'));
const bots: BotProcess[] = [];
let config: string;

function unschedulable(node: string): boolean {
  return (
    kubectlJson<{ spec?: { unschedulable?: boolean } }>(env, 'apps', ['get', 'node', node]).spec
      ?.unschedulable === true
  );
}

beforeAll(() => {
  applyRbac(env, 'apps');
  kubectl(env, 'apps', ['create', 'namespace', NS]);
  const labels = { app: 'stuck' };
  kubectl(
    env,
    'apps',
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'stuck', namespace: NS },
          spec: {
            replicas: 1,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: {
                containers: [{ name: 'c', image: 'registry.invalid/pause:1' }],
                nodeSelector: { 'kubernetes.io/hostname': NODE },
                tolerations: [
                  { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
                ],
              },
            },
          },
        },
        {
          apiVersion: 'policy/v1',
          kind: 'PodDisruptionBudget',
          metadata: { name: 'stuck', namespace: NS },
          spec: { minAvailable: 1, selector: { matchLabels: labels } },
        },
      ],
    }),
  );
  const rolled = kubectlRun(env, 'apps', [
    'rollout',
    'status',
    'deployment/stuck',
    '-n',
    NS,
    '--timeout=90s',
  ]);
  if (rolled.status !== 0) throw new Error(`deployment stuck not ready: ${rolled.stderr}`);
  config = writeBotConfig(dir, [{ name: 'apps', kubeconfig: env.KUBECONFIG_APPS }]);
});

afterAll(async () => {
  for (const bot of bots) await bot.kill9();
  kubectlRun(env, 'apps', ['uncordon', NODE]);
  await deleteNamespaceAndWait(env, 'apps', NS);
});

describe('kill -9 during a drill', () => {
  it('the restarted bot rolls the drill back on the same store: the node is uncordoned, and chat says so', async () => {
    expect(unschedulable(NODE)).toBe(false);
    const first = new BotProcess(config, dir);
    bots.push(first);
    await first.confirm(`drill run node-drain --node ${NODE}`, 'Confirm');
    await first.waitFor(/Cordoned node `apps-03`/);
    await first.waitFor(/refused by its PodDisruptionBudget/);
    expect(unschedulable(NODE)).toBe(true);

    await first.kill9();
    // The bot is gone mid-drill: the node stays cordoned until somebody rolls back.
    expect(unschedulable(NODE)).toBe(true);

    const second = new BotProcess(config, dir);
    bots.push(second);
    await second.waitFor(/coxswain restarted mid-drill; rolling back\./, 90_000);
    await second.waitFor(/Uncordoned node `apps-03`/, 30_000);
    expect(unschedulable(NODE)).toBe(false);
    // The run's outcome is in chat, and in the store: a later `drill status` shows it.
    const from = second.type('drill status');
    await second.waitFor(/node-drain[\s\S]*rolled[- ]back/i, 30_000, from);
    await second.stop();
  });
});
