/**
 * The bot's identities on the test stack, made the way production makes them: the RBAC from
 * deploy/ (the same YAML `kubectl apply -f deploy/rbac/` takes), and a bearer token for the
 * `coxswain` service account minted with `kubectl create token`. Nothing here is admin except
 * the setup itself.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import {
  createClusterDirectory,
  createClusterOps,
  DEFAULT_OPERATOR,
} from '../../../adapters/kube/operator-client.js';
import type { ClusterDirectory, ClusterOps } from '../../../src/kube/cluster-ops.js';
import type { StackCluster, StackEnv } from '../../stack/env.js';
import { kubectl } from '../../stack/kubectl.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** deploy/rbac/ is the apps cluster's (where the bot runs); deploy/infra/ the remote cluster's. */
export function rbacFile(cluster: StackCluster): string {
  return cluster === 'apps' ? join(root, 'deploy', 'rbac') : join(root, 'deploy', 'infra', 'rbac.yaml');
}

export function applyRbac(env: StackEnv, cluster: StackCluster): void {
  kubectl(env, cluster, ['apply', '--server-side', '--force-conflicts', '-f', rbacFile(cluster)]);
}

export function mintToken(env: StackEnv, cluster: StackCluster, account = 'coxswain'): string {
  return kubectl(env, cluster, [
    'create',
    'token',
    account,
    '-n',
    DEFAULT_OPERATOR.namespace,
    '--duration',
    '2h',
  ]).trim();
}

/** A KubeConfig that authenticates as the bot's service account and nothing more. */
export function botKubeConfig(env: StackEnv, cluster: StackCluster, token: string): KubeConfig {
  const server = cluster === 'apps' ? env.KUBE_APISERVER_URL_APPS : env.KUBE_APISERVER_URL_INFRA;
  const caFile = cluster === 'apps' ? env.KUBE_CA_APPS : env.KUBE_CA_INFRA;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: cluster, server, caFile, skipTLSVerify: false }],
    users: [{ name: 'coxswain', token }],
    contexts: [{ name: cluster, cluster, user: 'coxswain' }],
    currentContext: cluster,
  });
  return kc;
}

/** Applies the RBAC and returns the bot's view of one cluster. */
export function botOps(env: StackEnv, cluster: StackCluster): { ops: ClusterOps; kc: KubeConfig } {
  applyRbac(env, cluster);
  const kc = botKubeConfig(env, cluster, mintToken(env, cluster));
  return { ops: createClusterOps(cluster, kc), kc };
}

export function botDirectory(env: StackEnv, clusters: StackCluster[]): ClusterDirectory {
  const configs: Record<string, KubeConfig> = {};
  for (const cluster of clusters) {
    applyRbac(env, cluster);
    configs[cluster] = botKubeConfig(env, cluster, mintToken(env, cluster));
  }
  return createClusterDirectory(configs);
}

export interface AuditEvent {
  verb?: string;
  objectRef?: { resource?: string; subresource?: string; name?: string; namespace?: string };
  user?: { username?: string };
  impersonatedUser?: { username?: string; extra?: Record<string, string[]> };
  responseStatus?: { code?: number };
  stage?: string;
  requestReceivedTimestamp?: string;
}

/** The kube-apiserver audit events (ResponseComplete) that match, newest first. */
export function auditEvents(file: string, match: (e: AuditEvent) => boolean): AuditEvent[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((e) => e.stage === 'ResponseComplete' && match(e))
    .reverse();
}
