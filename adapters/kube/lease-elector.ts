/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: try to
 * acquire or renew every retry period; a lease whose record has not changed for its duration
 * (by this process's own clock, so clock skew between replicas does not matter) may be taken over.
 * A leader that cannot renew within the lease duration steps down before anyone else can take over.
 *
 * Raw JSON, not client-node's typed CoordinationV1Api: 2.0.1 serialises MicroTime with
 * milliseconds, which the API server rejects ("cannot parse .715Z as .000000").
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { LeaderElector } from '../../src/leader/election.js';
import { KubeHttp, KubeHttpError } from './http.js';

export interface LeaseElectorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  retryPeriodMs: number;
  now?: () => number;
  onError?: (error: unknown) => void;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const statusOf = (error: unknown) => (error instanceof KubeHttpError ? error.status : undefined);

export class LeaseElector implements LeaderElector {
  private readonly http: KubeHttp;
  private leader = false;
  private readonly listeners: ((leader: boolean) => void)[] = [];
  private timer?: NodeJS.Timeout;
  private running = false;
  private loop?: Promise<void>;
  /** The last record seen and when (local clock) it last changed. */
  private observed?: { holder: string; renew: string; at: number };
  private lastRenew = 0;
  private takeover?: { from: string; staleMs: number };

  constructor(private readonly options: LeaseElectorOptions) {
    this.http = new KubeHttp('lease', options.kubeConfig, {
      userAgent: 'coxswain-leader-election',
      timeoutMs: Math.max(1000, Math.min(options.leaseDurationMs / 2, 10_000)),
    });
  }

  get identity(): string {
    return this.options.identity;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.options.namespace}/leases`;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  isLeader(): boolean {
    return this.leader;
  }

  lastTakeover(): { from: string; staleMs: number } | undefined {
    return this.takeover;
  }

  onChange(listener: (leader: boolean) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const tick = async () => {
      if (!this.running) return;
      this.loop = this.attempt();
      await this.loop;
      if (this.running) this.timer = setTimeout(tick, this.options.retryPeriodMs);
    };
    void tick();
  }

  /** Stops; with `release` (the default) a leader empties the lease so a standby takes over at once. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.loop;
    if (this.leader && options.release !== false) {
      try {
        const lease = (await this.http.request(
          'GET',
          `${this.path}/${this.options.name}`,
        )) as unknown as Lease;
        if (lease.spec?.holderIdentity === this.identity) {
          lease.spec = {
            ...lease.spec,
            holderIdentity: null,
            leaseDurationSeconds: 1,
            renewTime: microTime(this.now()),
          };
          await this.http.request('PUT', `${this.path}/${this.options.name}`, lease);
        }
      } catch (error) {
        this.options.onError?.(error);
      }
    }
    this.set(false);
  }

  private set(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    for (const listener of this.listeners) listener(leader);
  }

  private async attempt(): Promise<void> {
    try {
      this.set(await this.tryAcquireOrRenew());
    } catch (error) {
      this.options.onError?.(error);
      // Could not talk to the API server: keep leading only while the lease cannot have expired.
      if (this.leader && this.now() - this.lastRenew >= this.options.leaseDurationMs) this.set(false);
    }
  }

  private record(): LeaseSpec {
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.options.leaseDurationMs / 1000)),
      renewTime: microTime(this.now()),
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace } = this.options;
    let lease: Lease;
    try {
      lease = (await this.http.request('GET', `${this.path}/${name}`)) as unknown as Lease;
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      try {
        await this.http.request('POST', this.path, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { ...this.record(), acquireTime: microTime(this.now()), leaseTransitions: 0 },
        });
      } catch (createError) {
        if (statusOf(createError) === 409) return false; // another replica created it first
        throw createError;
      }
      this.lastRenew = this.now();
      return true;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const renew = spec.renewTime ?? '';
    if (!this.observed || this.observed.holder !== holder || this.observed.renew !== renew)
      this.observed = { holder, renew, at: this.now() };
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    const expired = holder === '' || this.observed.at + durationMs <= this.now();
    if (holder !== this.identity && !expired) return false;
    const mine = holder === this.identity;
    lease.spec = {
      ...spec,
      ...this.record(),
      acquireTime: mine && spec.acquireTime ? spec.acquireTime : microTime(this.now()),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
    };
    try {
      // The resourceVersion in the body makes this a compare-and-swap: a concurrent change is a 409.
      await this.http.request('PUT', `${this.path}/${name}`, lease);
    } catch (error) {
      if (statusOf(error) === 409) return false;
      throw error;
    }
    this.lastRenew = this.now();
    // A holder other than us that stopped renewing: a dead or hung pod, said once by the feature.
    if (!mine && holder !== '') this.takeover = { from: holder, staleMs: this.now() - this.observed.at };
    return true;
  }
}
