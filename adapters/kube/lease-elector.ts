/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: try to
 * acquire or renew every retry period; a lease whose record has not changed for its duration
 * (by this process's own clock, so clock skew between replicas does not matter) may be taken over.
 * A leader that cannot renew within the lease duration steps down before anyone else can take over.
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { LeaderElector } from '../../src/leader/election.js';

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

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export class LeaseElector implements LeaderElector {
  private readonly api: CoordinationV1Api;
  private leader = false;
  private readonly listeners: ((leader: boolean) => void)[] = [];
  private timer?: NodeJS.Timeout;
  private running = false;
  private loop?: Promise<void>;
  /** The last record seen and when (local clock) it last changed. */
  private observed?: { holder: string; renew: string; at: number };
  private lastRenew = 0;

  constructor(private readonly options: LeaseElectorOptions) {
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  }

  get identity(): string {
    return this.options.identity;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  isLeader(): boolean {
    return this.leader;
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
        const lease = await this.api.readNamespacedLease({
          name: this.options.name,
          namespace: this.options.namespace,
        });
        if (lease.spec?.holderIdentity === this.identity) {
          lease.spec = {
            ...lease.spec,
            holderIdentity: undefined,
            leaseDurationSeconds: 1,
            renewTime: new Date(),
          };
          await this.api.replaceNamespacedLease({
            name: this.options.name,
            namespace: this.options.namespace,
            body: lease,
          });
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

  private record(): NonNullable<V1Lease['spec']> {
    const now = new Date(this.now());
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.options.leaseDurationMs / 1000)),
      renewTime: now,
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace } = this.options;
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      const now = new Date(this.now());
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: { ...this.record(), acquireTime: now, leaseTransitions: 0 },
          },
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
    const renew = spec.renewTime ? new Date(spec.renewTime).toISOString() : '';
    if (!this.observed || this.observed.holder !== holder || this.observed.renew !== renew)
      this.observed = { holder, renew, at: this.now() };
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    const expired = holder === '' || this.observed.at + durationMs <= this.now();
    if (holder !== this.identity && !expired) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (holder === this.identity ? 0 : 1);
    lease.spec = {
      ...spec,
      ...this.record(),
      acquireTime: holder === this.identity ? spec.acquireTime : new Date(this.now()),
      leaseTransitions: transitions,
    };
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
    } catch (error) {
      if (statusOf(error) === 409) return false; // someone else renewed or took it in between
      throw error;
    }
    this.lastRenew = this.now();
    return true;
  }
}
