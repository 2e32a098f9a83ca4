/**
 * The volume the seeded ReplicationSource harbor/harbor-registry-data backs up, as the platform
 * has it. It is not in the seed: the volsync-restore tests create it (the drill sizes its scratch
 * PVC by it) and delete it when they are done.
 */
import type { StackEnv } from '../../stack/env.js';
import { kubectl, kubectlRun } from '../../stack/kubectl.js';

export const SOURCE_VOLUME = 'harbor-registry-data';

export function createSourceVolume(env: StackEnv): void {
  kubectl(
    env,
    'apps',
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: SOURCE_VOLUME, namespace: 'harbor' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'ceph-block',
        resources: { requests: { storage: '20Gi' } },
      },
    }),
  );
}

export function deleteSourceVolume(env: StackEnv): void {
  kubectlRun(env, 'apps', ['delete', 'pvc', SOURCE_VOLUME, '-n', 'harbor', '--wait=false']);
}
