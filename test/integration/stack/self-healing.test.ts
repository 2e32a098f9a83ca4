/**
 * Real servers: the apps kube-apiserver with kube-controller-manager (ReplicaSet controller,
 * disruption controller for PDB accounting), kube-scheduler and kwok, started by
 * test/stack/global-setup.ts. Mutates seeded workloads and restores them (uncordons the node).
 */
import { describe, expect, it } from 'vitest';
import { loadStackEnv } from '../../stack/env.js';
import { kubectl, kubectlJson, kubectlRun } from '../../stack/kubectl.js';
import { waitFor } from './wait.js';

const env = loadStackEnv();

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { phase?: string; conditions?: { type: string; status: string }[] };
}
const podReady = (p: Pod) =>
  !p.metadata.deletionTimestamp &&
  p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const pods = (ns: string, selector: string) =>
  kubectlJson<{ items: Pod[] }>(env, 'apps', ['-n', ns, 'get', 'pods', '-l', selector]).items;

describe('self-healing on kwok nodes (apps)', () => {
  it('replaces a deleted pod of a seeded Deployment with a new Ready pod within seconds', async () => {
    const sel = 'app.kubernetes.io/name=harbor-portal';
    const before = pods('harbor', sel).filter(podReady);
    expect(before).toHaveLength(2);
    const victim = before[0]!.metadata.name;
    const t0 = Date.now();
    kubectl(env, 'apps', ['-n', 'harbor', 'delete', 'pod', victim, '--wait=false']);
    const replacement = await waitFor(
      'a new Ready harbor-portal pod',
      () => {
        const ready = pods('harbor', sel).filter(podReady);
        const fresh = ready.find((p) => !before.some((b) => b.metadata.name === p.metadata.name));
        return ready.length >= 2 && fresh ? fresh : undefined;
      },
      20_000,
    );
    expect(replacement.metadata.name).not.toBe(victim);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it("reschedules a cordoned node's pod, evicted through the Eviction API, onto another node", async () => {
    const ns = 'mattermost';
    const sel = 'app.kubernetes.io/name=mattermost';
    const before = await waitFor('2 Ready mattermost pods', () => {
      const r = pods(ns, sel).filter(podReady);
      return r.length === 2 ? r : undefined;
    });
    const victim = before[0]!;
    const node = victim.spec.nodeName!;
    kubectl(env, 'apps', ['cordon', node]);
    try {
      const eviction = JSON.stringify({
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: victim.metadata.name, namespace: ns },
      });
      // The disruption controller may need a moment to compute disruptionsAllowed (429 until then).
      await waitFor('the eviction to be accepted', () => {
        const r = kubectlRun(
          env,
          'apps',
          ['create', '--raw', `/api/v1/namespaces/${ns}/pods/${victim.metadata.name}/eviction`, '-f', '-'],
          eviction,
        );
        return r.status === 0 ? true : undefined;
      });
      const moved = await waitFor(
        'a replacement mattermost pod Ready on another node',
        () => {
          const ready = pods(ns, sel).filter(podReady);
          const fresh = ready.find((p) => !before.some((b) => b.metadata.name === p.metadata.name));
          return ready.length === 2 && fresh ? fresh : undefined;
        },
        30_000,
      );
      expect(moved.spec.nodeName).not.toBe(node);
      const pdb = kubectlJson<{ status: { currentHealthy: number } }>(env, 'apps', [
        '-n',
        ns,
        'get',
        'pdb',
        'mattermost',
      ]);
      expect(pdb.status.currentHealthy).toBeGreaterThanOrEqual(1);
    } finally {
      kubectl(env, 'apps', ['uncordon', node]);
    }
  });
});
