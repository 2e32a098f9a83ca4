/**
 * The health engine: runs the checks of every configured cluster in parallel from the readers'
 * caches. A cluster that does not answer becomes an "unreachable" report with its error; it never
 * fails the whole answer and never hides the other clusters.
 */
import type { ClusterMetrics } from '../prometheus/query.js';
import { checksFor } from './checks/index.js';
import { type ClusterMeshRemotes, remoteReadiness } from './clustermesh-remotes.js';
import { type MeshReport, meshReport } from './mesh.js';
import { errorText } from './objects.js';
import type {
  ClusterReader,
  ClusterReport,
  Component,
  ComponentResult,
  ExpiryThresholds,
  KindSpec,
  KindState,
} from './types.js';

export interface HealthEngineOptions {
  readers: readonly ClusterReader[];
  rpoMs: number;
  veleroRpoMs?: number;
  certificateWarningMs: number;
  /** Linkerd's trust anchor and issuer (default: warn under 30 days, fail under 7, as health.linkerdIdentity). */
  identityExpiry?: ExpiryThresholds;
  /** The bot's own kubeconfig credential warns when it expires sooner (default 7 days, as health.credentialWarning). */
  credentialWarningMs?: number;
  /** A cold read that takes longer than this shows progress first. */
  progressAfterMs: number;
  /** Per cluster; beyond it the cluster is reported unreachable. */
  timeoutMs: number;
  /** Each cluster's metrics endpoint (clusters[].metrics), by cluster name; a cluster without one has none. */
  metrics?: ReadonlyMap<string, ClusterMetrics>;
  now?: () => number;
}

export interface HealthQuery {
  cluster?: string;
  components?: readonly Component[];
  wide?: boolean;
}

const DAY = 86_400_000;
export const DEFAULT_IDENTITY_EXPIRY: ExpiryThresholds = { warnMs: 30 * DAY, failMs: 7 * DAY };
export const DEFAULT_CREDENTIAL_WARNING_MS = 7 * DAY;

export class UnknownClusterError extends Error {}

export class HealthEngine {
  constructor(private readonly options: HealthEngineOptions) {}

  get clusters(): string[] {
    return this.options.readers.map((r) => r.cluster);
  }

  get progressAfterMs(): number {
    return this.options.progressAfterMs;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private readers(cluster?: string): readonly ClusterReader[] {
    if (cluster === undefined) return this.options.readers;
    const reader = this.options.readers.find((r) => r.cluster === cluster);
    if (!reader)
      throw new UnknownClusterError(
        `There is no cluster ${cluster} in the config; the clusters are: ${this.clusters.join(', ') || 'none'}.`,
      );
    return [reader];
  }

  /** True when answering the query needs no API request (every cache it reads is filled). */
  isWarm(query: HealthQuery = {}): boolean {
    const kinds = checksFor(query.components).flatMap((c) => c.kinds);
    return this.readers(query.cluster).every((r) => r.warm(kinds));
  }

  async check(query: HealthQuery = {}): Promise<ClusterReport[]> {
    const readers = this.readers(query.cluster);
    return Promise.all(readers.map((reader) => this.checkCluster(reader, query)));
  }

  private async checkCluster(reader: ClusterReader, query: HealthQuery): Promise<ClusterReport> {
    const checks = checksFor(query.components);
    const kinds: KindSpec[] = checks.flatMap((c) => c.kinds);
    const started = this.now();
    const cold = !reader.warm(kinds);
    try {
      // Read beside the API, not after it: the metrics endpoint has its own timeout.
      const [states, clustermeshRemotes] = await Promise.all([
        reader.read(kinds, { timeoutMs: this.options.timeoutMs }),
        checks.some((c) => c.component === 'cilium') ? this.remotes(reader.cluster) : undefined,
      ]);
      const now = this.now();
      const components = checks.map((check) =>
        withForbidden(
          check.run({
            kinds: states,
            now,
            rpoMs:
              check.component === 'velero'
                ? (this.options.veleroRpoMs ?? this.options.rpoMs)
                : this.options.rpoMs,
            certificateWarningMs: this.options.certificateWarningMs,
            identityExpiry: this.options.identityExpiry ?? DEFAULT_IDENTITY_EXPIRY,
            credential: reader.credentialExpiry?.(),
            credentialWarningMs: this.options.credentialWarningMs ?? DEFAULT_CREDENTIAL_WARNING_MS,
            clustermeshRemotes,
            wide: query.wide === true,
          }),
          check.kinds.map((k) => states.get(k.id)),
        ),
      );
      return { cluster: reader.cluster, reachable: true, components, tookMs: this.now() - started, cold };
    } catch (error) {
      return {
        cluster: reader.cluster,
        reachable: false,
        error: errorText(error),
        components: [],
        tookMs: this.now() - started,
        cold,
      };
    }
  }

  /** Cilium ClusterMesh's remote clusters as this cluster's agents report them (its metrics endpoint). */
  private remotes(cluster: string): Promise<ClusterMeshRemotes> {
    return remoteReadiness(this.options.metrics?.get(cluster));
  }

  /** Cross-cluster paths: Linkerd Links and their gateways, mirrored services, ClusterMesh. */
  async mesh(): Promise<MeshReport> {
    return meshReport(this.options.readers, this.options.timeoutMs, (cluster) => this.remotes(cluster));
  }
}

/** A check that could not read some of its kinds says so: at least a warning, never a silent ok. */
function withForbidden(result: ComponentResult, states: (KindState | undefined)[]): ComponentResult {
  const forbidden = states.flatMap((s) => (s && !s.served && s.forbidden ? [s.forbidden] : []));
  if (forbidden.length === 0) return result;
  const findings = [
    ...result.findings,
    ...forbidden.map((what) => ({
      status: 'warn' as const,
      subject: what,
      reason: `the bot may not list ${what}: grant its ClusterRole get, list and watch on it`,
    })),
  ];
  return { ...result, status: result.status === 'fail' ? 'fail' : 'warn', findings };
}
