/**
 * `kill -9` of the bot in the middle of a rollout phase run, then a restart on the same SQLite
 * store: the run continues where it stopped and succeeds once, in the same post. The bot is a real
 * process (`coxswain --shell`, test/faults/bot-process.ts) on both of the test stack's clusters;
 * its writes impersonate coxswain-operator with the RBAC from deploy/rbac applied.
 *
 * The stack runs no Flux controllers: test/integration/phases/flux-play.ts plays the
 * kustomize-controller (it marks a requested reconcile handled and the Kustomization Ready). It is
 * held off while the first bot runs, so the run surely waits on its first reconcile when the kill
 * lands, and let go once the second bot is up.
 *
 * A restarted bot cannot tell a dead process from another replica still driving the run, so it
 * takes the run over only once nobody has advanced it for 30 s (the phase engine's staleness
 * window) and its sweep finds it: this test takes about a minute by design.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUESTED_AT } from '../../src/phases/flux-objects.js';
import { FluxControllerPlay, type Kustomization } from '../integration/phases/flux-play.js';
import { applyRbac } from '../integration/rbac/identities.js';
import { loadStackEnv, type StackCluster } from '../stack/env.js';
import { kubectl, kubectlJson } from '../stack/kubectl.js';
import { BotProcess, writeBotConfig } from './bot-process.js';

const env = loadStackEnv();
const CLUSTERS: StackCluster[] = ['infra', 'apps'];
const STORAGE = ['rook-ceph', 'openebs', 'volsync', 'velero'];
const dir = mkdtempSync(join(tmpdir(), 'coxswain-kill-phase-'));
const bots: BotProcess[] = [];
let config: string;
let flux: FluxControllerPlay | undefined;

function kustomization(cluster: StackCluster, name: string): Kustomization {
  return kubectlJson<Kustomization>(env, cluster, ['get', 'kustomization', name, '-n', 'flux-system']);
}

beforeAll(() => {
  for (const cluster of CLUSTERS) applyRbac(env, cluster);
  config = writeBotConfig(
    dir,
    [
      { name: 'infra', kubeconfig: env.KUBECONFIG_INFRA },
      { name: 'apps', kubeconfig: env.KUBECONFIG_APPS },
    ],
    { phases: { interval: '500ms' }, drills: { interval: '500ms' } },
  );
});

afterAll(async () => {
  flux?.stop();
  for (const bot of bots) await bot.kill9();
  // Leave the seeded objects as the other tests expect them: not suspended.
  for (const cluster of CLUSTERS)
    for (const name of STORAGE)
      kubectl(env, cluster, [
        'patch',
        'kustomization',
        name,
        '-n',
        'flux-system',
        '--type=merge',
        '-p',
        '{"spec":{"suspend":false}}',
      ]);
  rmSync(dir, { recursive: true, force: true });
});

describe('kill -9 during a phase run', () => {
  it('the restarted bot continues the run on the same store: every step once, in order, succeeded in the same post', async () => {
    flux = new FluxControllerPlay(env);
    flux.enabled = false;
    flux.start();

    const first = new BotProcess(config, dir);
    bots.push(first);
    // Suspended first, so the run has something to resume.
    await first.confirm('phase pause storage-backup', 'Confirm');
    await first.waitFor(/Phase storage-backup: paused/);
    for (const cluster of CLUSTERS)
      for (const name of STORAGE) expect(kustomization(cluster, name).spec.suspend).toBe(true);

    const from = first.text.length;
    await first.confirm('phase run storage-backup', 'Confirm');
    // The run's post, and the first step resumed and waiting for a reconcile Flux never does.
    const [, postId] = await first.waitFor(
      /\(updated post (\S+)\) \S+ Phase storage-backup: reconciling\n[^\n]*\n◔ infra: Kustomization flux-system\/rook-ceph — resumed, reconcile requested/,
      60_000,
      from,
    );
    await first.kill9();

    // The bot is gone mid-run: the first object is resumed, the rest are still suspended.
    const firstStep = kustomization('infra', 'rook-ceph');
    expect(firstStep.spec.suspend).toBe(false);
    expect(firstStep.status?.lastHandledReconcileAt).not.toBe(firstStep.metadata.annotations?.[REQUESTED_AT]);
    expect(kustomization('apps', 'velero').spec.suspend).toBe(true);

    const second = new BotProcess(config, dir);
    bots.push(second);
    flux.enabled = true;
    // The same run, in the same post, to its end.
    await second.waitFor(
      new RegExp(`\\(updated post ${postId}\\) [^\\n]*Phase storage-backup: succeeded`),
      120_000,
    );
    for (const cluster of CLUSTERS) {
      for (const name of STORAGE) {
        const k = kustomization(cluster, name);
        expect(k.spec.suspend).toBe(false);
        expect(k.status?.lastHandledReconcileAt).toBe(k.metadata.annotations?.[REQUESTED_AT]);
      }
      // Dependencies first, and each object reconciled once: nothing was requested twice.
      const order = flux.handled.filter((h) => h.startsWith(`${cluster}/`));
      expect(order).toEqual(expect.arrayContaining(STORAGE.map((name) => `${cluster}/${name}`)));
      expect(order).toHaveLength(new Set(order).size);
      expect(order.indexOf(`${cluster}/rook-ceph`)).toBeLessThan(order.indexOf(`${cluster}/volsync`));
      expect(order.indexOf(`${cluster}/rook-ceph`)).toBeLessThan(order.indexOf(`${cluster}/velero`));
    }
    // One run, not two: the status shows it succeeded, and before it only the pause.
    const asked = second.type('phase status storage-backup');
    const [status] = await second.waitFor(
      /Phase storage-backup: succeeded[\s\S]*?Earlier:\n[^\n]*\n/,
      30_000,
      asked,
    );
    expect(status.match(/^\w+ by .* at .*: \w+$/gm)).toEqual([
      expect.stringMatching(/^pause by .*: paused$/),
    ]);
    await second.stop();
  }, 240_000);
});
