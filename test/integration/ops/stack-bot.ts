/**
 * The router wired to the real test stack as the bot runs there: the RBAC from deploy/ applied,
 * reads through watch caches as the bot's read-only account (a minted token), writes as the
 * operator account it impersonates. Only the chat is recorded instead of real (see
 * test/integration/mattermost/ for the same commands through the real Mattermost server).
 */
import { KubeClusterReader } from '../../../adapters/kube/cluster-reader.js';
import { createClusterDirectory } from '../../../adapters/kube/operator-client.js';
import type { ClusterReader as CacheReader } from '../../../src/health/types.js';
import type { Destination, Message } from '../../../src/ports.js';
import type { UploadFile } from '../../../src/services.js';
import type { StackCluster, StackEnv } from '../../stack/env.js';
import { createHarness, type Harness } from '../../support/router-harness.js';
import { applyRbac, botKubeConfig, mintToken } from '../rbac/identities.js';

export interface Upload {
  destination: Destination;
  file: UploadFile;
  message: Message;
}

export interface StackBot {
  harness: Harness;
  /** Files the commands uploaded through the chat port's upload, oldest first. */
  uploads: Upload[];
  caches: Map<string, CacheReader>;
  close(): Promise<void>;
}

export async function stackBot(
  env: StackEnv,
  clusters: StackCluster[] = ['apps', 'infra'],
): Promise<StackBot> {
  const configs = Object.fromEntries(
    clusters.map((cluster) => {
      applyRbac(env, cluster);
      return [cluster, botKubeConfig(env, cluster, mintToken(env, cluster))];
    }),
  );
  const caches = new Map<string, CacheReader>(
    clusters.map((cluster) => [
      cluster,
      new KubeClusterReader(cluster, configs[cluster]!, {
        pageSize: 500,
        watchSeconds: 60,
        absentRecheckMs: 60_000,
        requestTimeoutMs: 10_000,
      }),
    ]),
  );
  const uploads: Upload[] = [];
  const harness = await createHarness({
    config: { clusters: clusters.map((name) => ({ name, inCluster: true })) },
    services: () => ({
      caches,
      clusters: createClusterDirectory(configs),
      upload: async (destination, file, message) => {
        uploads.push({ destination, file, message });
        return { platform: 'test', channelId: destination.channelId, postId: `u${uploads.length}` };
      },
    }),
  });
  return {
    harness,
    uploads,
    caches,
    async close() {
      for (const cache of caches.values()) cache.stop();
      await harness.close();
    },
  };
}
