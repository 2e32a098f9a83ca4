/**
 * The whole shipped plan, phase after phase, on a platform where none of its objects exist yet:
 * a check that names something a later phase installs cannot pass here, so a plan that deadlocks
 * on a fresh platform (issue 18: storage-backup waiting on Mattermost's VolSync source) fails.
 *
 * Real: both API servers, the bot's own read-only account and the coxswain-operator
 * impersonation for writes (RBAC from deploy/), kube-controller-manager and kwok for workloads.
 * Played (the stack runs none of these controllers, see flux-play.ts and plan-play.ts): Flux's
 * kustomize-controller (a reconcile requested on a Kustomization applies what the plan says it
 * installs, with the status its controller would report, then sets Ready); the helm-controller
 * (each HelmRelease is created already Ready, as after a successful install). The plan is renamed
 * with a unique prefix so it starts from nothing and leaves the seeded platform alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterDirectory } from '../../../src/kube/cluster-ops.js';
import { runChecks } from '../../../src/phases/checks.js';
import { loadPhases, type PhasesFile } from '../../../src/phases/definitions.js';
import { PhaseEngine } from '../../../src/phases/engine.js';
import type { PhaseData } from '../../../src/phases/run-data.js';
import { loadStackEnv, type StackCluster, type StackEnv } from '../../stack/env.js';
import { kubectl, kubectlRun } from '../../stack/kubectl.js';
import { quietLog, RecordingChat, tempStore } from '../drills/helpers.js';
import { botDirectory } from '../rbac/identities.js';
import { FluxControllerPlay } from './flux-play.js';
import { isolate, PlanPlay } from './plan-play.js';

const prefix = `wp${Date.now().toString(36).slice(-6)}`;
let env: StackEnv;
let clusters: ClusterDirectory;
let plan: PhasesFile;
let controller: FluxControllerPlay | undefined;

const apply = (cluster: StackCluster, object: unknown) =>
  kubectl(
    env,
    cluster,
    ['apply', '--server-side', '--field-manager=whole-plan-test', '-f', '-'],
    JSON.stringify(object),
  );
const applyStatus = (cluster: StackCluster, object: unknown) =>
  kubectl(
    env,
    cluster,
    ['apply', '--server-side', '--field-manager=whole-plan-test', '--subresource=status', '-f', '-'],
    JSON.stringify(object),
  );

beforeAll(() => {
  env = loadStackEnv();
  clusters = botDirectory(env, ['infra', 'apps']);
  // A Kustomization the play cannot bring up fails its phase in 3 minutes, not the plan's 10.
  plan = { ...isolate(loadPhases(), prefix), timeout: 180_000 };
  // What Flux bootstrap leaves: every Kustomization of the plan, suspended (phases resume them),
  // and the HelmReleases their charts become once reconciled.
  for (const phase of plan.phases)
    for (const flux of phase.flux)
      for (const cluster of flux.clusters as StackCluster[]) {
        if (flux.kind === 'Kustomization') {
          apply(cluster, {
            apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
            kind: 'Kustomization',
            metadata: { name: flux.name, namespace: flux.namespace },
            spec: {
              interval: '10m',
              path: `./kubernetes/clusters/${cluster}/${flux.name}`,
              prune: true,
              suspend: true,
              sourceRef: { kind: 'GitRepository', name: 'flux-system' },
            },
          });
          continue;
        }
        apply(cluster, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: flux.namespace } });
        const release = {
          apiVersion: 'helm.toolkit.fluxcd.io/v2',
          kind: 'HelmRelease',
          metadata: { name: flux.name, namespace: flux.namespace },
          spec: {
            interval: '1h',
            chart: {
              spec: {
                chart: flux.name,
                sourceRef: { kind: 'HelmRepository', name: flux.name, namespace: 'flux-system' },
              },
            },
          },
        };
        apply(cluster, release);
        applyStatus(cluster, {
          ...release,
          status: {
            observedGeneration: 1,
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'InstallSucceeded',
                message: 'Helm install succeeded',
                lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
              },
            ],
          },
        });
      }
});

afterAll(() => {
  controller?.stop();
  if (!env || !plan) return;
  for (const cluster of ['infra', 'apps'] as StackCluster[]) {
    const names = plan.phases.flatMap((p) =>
      p.flux.filter((f) => f.kind === 'Kustomization' && f.clusters.includes(cluster)).map((f) => f.name),
    );
    kubectlRun(env, cluster, [
      'delete',
      'kustomizations',
      '-n',
      'flux-system',
      '--ignore-not-found',
      ...names,
    ]);
    const clusterScoped = plan.phases.flatMap((p) =>
      p.flux.flatMap((f) => f.installs.filter((o) => o.namespace === undefined && o.plural !== 'namespaces')),
    );
    for (const o of clusterScoped)
      kubectlRun(env, cluster, [
        'delete',
        `${o.plural}.${o.apiVersion.split('/')[0]}`,
        o.name,
        '--ignore-not-found',
      ]);
    const namespaces = kubectlRun(env, cluster, ['get', 'namespaces', '-o', 'name'])
      .stdout.split('\n')
      .filter((n) => n.startsWith(`namespace/${prefix}-`));
    if (namespaces.length) kubectlRun(env, cluster, ['delete', '--wait=false', ...namespaces]);
  }
});

describe('the shipped plan on an empty platform', () => {
  it('runs every phase in order; each passes its checks and no later phase is ready early', async () => {
    // Empty: no object check of any phase passes before the first run.
    const before = await runChecks(
      plan.phases.flatMap((p) => p.checks.filter((c) => 'object' in c)),
      clusters,
      Date.now(),
    );
    expect(before.filter((r) => r.ok)).toEqual([]);
    expect(before.length).toBeGreaterThan(40);

    const playFor = new PlanPlay(env, plan);
    controller = new FluxControllerPlay(env, playFor.apply);
    controller.start();
    const { store } = await tempStore();
    const chat = new RecordingChat();
    const engine = new PhaseEngine({ store, clusters, chat, phases: plan, log: quietLog, tickMs: 150 });
    try {
      const names = plan.phases.map((p) => p.name);
      for (const [i, phase] of plan.phases.entries()) {
        // The phases after this one cannot pass yet: their objects are not installed.
        for (const later of plan.phases.slice(i + 1)) {
          const results = await runChecks(
            later.checks.filter((c) => 'object' in c),
            clusters,
            Date.now(),
          );
          expect(
            results.some((r) => !r.ok),
            `${later.name} before ${phase.name} ran`,
          ).toBe(true);
        }
        const started = await engine.start({
          phase: phase.name,
          actor: 'alice',
          open: (message) => chat.post({ channelId: 'ops' }, message),
        });
        expect(started.ok ? 'started' : started.reason, phase.name).toBe('started');
        if (!started.ok || !started.run) throw new Error(`${phase.name} did not start`);
        const done = await engine.settled(started.run.id);
        const data = done?.data as PhaseData;
        expect(
          {
            phase: phase.name,
            state: done?.state,
            reason: data.reason,
            failed: data.checks?.filter((c) => !c.ok),
            playErrors: playFor.errors,
          },
          names[i],
        ).toEqual({ phase: phase.name, state: 'succeeded', reason: undefined, failed: [], playErrors: [] });
        expect(data.checks?.length).toBe(phase.checks.reduce((n, c) => n + c.clusters.length, 0));
      }
      // Every Kustomization of the plan was reconciled once, each phase's after the one before.
      const kustomizations = plan.phases.flatMap((p) =>
        p.flux
          .filter((f) => f.kind === 'Kustomization')
          .flatMap((f) => f.clusters.map((c) => `${c}/${f.name}`)),
      );
      expect([...controller.handled].filter((h) => h.includes(prefix)).sort()).toEqual(
        [...kustomizations].sort(),
      );
    } finally {
      await engine.stop();
      await store.close();
    }
  }, 600_000);
});
