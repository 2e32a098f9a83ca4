/**
 * The phase tests' stand-in for Flux's kustomize-controller, which the stack does not run: when a
 * Kustomization is not suspended and carries a reconcile.fluxcd.io/requestedAt it has not handled,
 * it sets status.lastHandledReconcileAt to it, observedGeneration to the generation and the Ready
 * condition to True, what Flux does after a successful reconcile. It records the order it handled
 * them in. Before it reports Ready, `apply` (when given) brings up what the Kustomization applies,
 * as kustomize-controller would. Admin credentials; everything else in the tests goes to the real
 * API servers.
 */
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { REQUESTED_AT } from '../../../src/phases/flux-objects.js';
import { kubeconfigFor, type StackCluster, type StackEnv } from '../../stack/env.js';
import { kubectl } from '../../stack/kubectl.js';

/** The Kustomizations of the storage-backup phase, on both clusters of the stack's seed. */
export const STORAGE = ['rook-ceph', 'openebs', 'volsync', 'velero'];

/** Leaves the storage-backup phase's Kustomizations unsuspended, as the seed has them, for the next file. */
export function unsuspendStorage(env: StackEnv): void {
  for (const cluster of ['infra', 'apps'] as StackCluster[])
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
}

export interface Kustomization {
  metadata: { name: string; generation: number; annotations?: Record<string, string> };
  spec: { suspend?: boolean; dependsOn?: { name: string }[] };
  status?: { lastHandledReconcileAt?: string; observedGeneration?: number };
}

export class FluxControllerPlay {
  readonly handled: string[] = [];
  enabled = true;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly apis = new Map<StackCluster, CustomObjectsApi>();

  constructor(
    env: StackEnv,
    private readonly apply?: (cluster: StackCluster, kustomization: string) => Promise<void>,
  ) {
    for (const cluster of ['infra', 'apps'] as StackCluster[]) {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigFor(env, cluster));
      this.apis.set(cluster, kc.makeApiClient(CustomObjectsApi));
    }
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.enabled || this.busy) return;
      this.busy = true;
      Promise.all((['infra', 'apps'] as StackCluster[]).map((c) => this.pass(c)))
        .catch(() => undefined)
        .finally(() => {
          this.busy = false;
        });
    }, 200);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async pass(cluster: StackCluster): Promise<void> {
    const api = this.apis.get(cluster) as CustomObjectsApi;
    const where = {
      group: 'kustomize.toolkit.fluxcd.io',
      version: 'v1',
      namespace: 'flux-system',
      plural: 'kustomizations',
    };
    const list = (await api.listNamespacedCustomObject(where)) as { items: Kustomization[] };
    for (const k of list.items) {
      const requested = k.metadata.annotations?.[REQUESTED_AT];
      if (!requested || k.spec.suspend === true || k.status?.lastHandledReconcileAt === requested) continue;
      await this.apply?.(cluster, k.metadata.name);
      const body = {
        status: {
          observedGeneration: k.metadata.generation,
          lastHandledReconcileAt: requested,
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'ReconciliationSucceeded',
              message: 'Applied revision: main@sha1:test',
              lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            },
          ],
        },
      };
      await api.patchNamespacedCustomObjectStatus(
        { ...where, name: k.metadata.name, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      this.handled.push(`${cluster}/${k.metadata.name}`);
    }
  }
}
