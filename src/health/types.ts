/**
 * The health engine's vocabulary: what a check reads (kinds of objects, trimmed to the fields it
 * uses), what it answers (ok / warn / fail / absent with a reason) and the port through which the
 * engine reads a cluster. The kube adapter implements the port with watch-fed caches.
 */
import type { ClusterMeshRemotes } from './clustermesh-remotes.js';

export type Status = 'ok' | 'warn' | 'fail' | 'absent';

export const COMPONENTS = [
  'nodes',
  'workloads',
  'flux',
  'cilium',
  'linkerd',
  'ceph',
  'cnpg',
  'velero',
  'volsync',
  'cert-manager',
  'external-secrets',
  'monitoring',
  'external-dns',
  'credentials',
] as const;
export type Component = (typeof COMPONENTS)[number];

/** One finding inside a component: a line of the report. */
export interface Finding {
  status: Exclude<Status, 'absent'>;
  /** What it is about, e.g. `flux-system/cluster-apps` or `node infra-02`; outside text, escaped when rendered. */
  subject: string;
  reason: string;
}

export interface ComponentResult {
  component: Component;
  status: Status;
  /** One line: why this status, e.g. `2 of 14 Kustomizations not Ready`. */
  summary: string;
  /** The problems (warn/fail), and with wide output the healthy things too. */
  findings: Finding[];
}

export interface ClusterReport {
  cluster: string;
  /** Unreachable: the cluster did not answer; `error` says how, `components` is empty. */
  reachable: boolean;
  error?: string;
  components: ComponentResult[];
  /** Milliseconds the check took, and whether it had to fill caches first. */
  tookMs: number;
  cold: boolean;
}

/** A minimal Kubernetes object as the cache keeps it (managedFields and unread fields dropped). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    generation?: number;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string }[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * A kind of object a check reads. `versions` are tried in order (newest first) until the cluster
 * serves one; none served means the component is not installed. `trim` keeps only what checks read.
 */
export interface KindSpec {
  id: string;
  group: string;
  versions: readonly string[];
  plural: string;
  namespaced: boolean;
  /**
   * One named object instead of the whole kind: listed and watched in its namespace with a
   * `metadata.name` field selector, so RBAC can grant exactly that object (resourceNames).
   */
  only?: { namespace: string; name: string };
  trim: (object: KubeObject) => KubeObject;
}

/** What a kind looks like in a snapshot: its objects, or absent when the cluster does not serve it. */
export type KindState =
  | { served: true; objects: readonly KubeObject[] }
  /** `forbidden`: the bot's account may not list it (RBAC), so nobody knows whether it is installed. */
  | { served: false; forbidden?: string };

/** The port: one cluster's objects, read through caches. */
export interface ClusterReader {
  readonly cluster: string;
  /**
   * Makes sure the caches of these kinds are filled (starting watches on first use) and returns
   * their contents. Rejects when the cluster does not answer.
   */
  read(kinds: readonly KindSpec[], options?: { timeoutMs?: number }): Promise<Map<string, KindState>>;
  /** True when every one of these kinds is already cached (a warm read makes no API request). */
  warm(kinds: readonly KindSpec[]): boolean;
  /** The expiry of the credential this reader uses, when it has one it can read (not for every kind of login). */
  credentialExpiry?(): CredentialExpiry | undefined;
  stop(): void;
}

/** What a check receives. */
export interface CheckInput {
  kinds: Map<string, KindState>;
  now: number;
  rpoMs: number;
  certificateWarningMs: number;
  /** Linkerd's trust anchor and issuer: warn below the first, fail below the second. */
  identityExpiry: ExpiryThresholds;
  /** The credential the bot reads this cluster with, when it can tell when it expires. */
  credential?: CredentialExpiry | undefined;
  /** Warn when the bot's own credential expires sooner than this. */
  credentialWarningMs: number;
  /** Cilium ClusterMesh's remote clusters as the agents report them (read from metrics when configured). */
  clustermeshRemotes?: ClusterMeshRemotes | undefined;
  wide: boolean;
}

export interface ExpiryThresholds {
  warnMs: number;
  failMs: number;
}

/** When the bot's own credential for a cluster stops working: a token's `exp` or a client certificate's notAfter. */
export interface CredentialExpiry {
  kind: 'token' | 'client certificate';
  expiresAt: number;
}

export interface Check {
  component: Component;
  kinds: readonly KindSpec[];
  run(input: CheckInput): ComponentResult;
}
