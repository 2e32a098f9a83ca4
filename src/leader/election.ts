/**
 * Leader election, the port: with several replicas one of them leads (runs cron jobs and other
 * background work) and the others stand by; a single replica or the shell leads itself. The
 * Lease-based implementation lives in adapters/kube/lease-elector.ts.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../log.js';

export interface LeaderElector {
  readonly identity: string;
  start(): Promise<void> | void;
  /** Stops campaigning; a leader gives the lease up so another replica takes over at once. */
  stop(): Promise<void>;
  isLeader(): boolean;
  /** Called on every change of this replica's leadership. */
  onChange(listener: (leader: boolean) => void): void;
  /**
   * When this replica last became the leader by taking over a lease another holder had stopped
   * renewing (its pod died or hung): who, and for how long the lease had not changed.
   */
  lastTakeover?(): { from: string; staleMs: number } | undefined;
}

/** The only replica: leads from start to stop. */
export class SelfLeader implements LeaderElector {
  private leader = false;
  private readonly listeners: ((leader: boolean) => void)[] = [];
  constructor(readonly identity: string) {}
  start(): void {
    this.set(true);
  }
  async stop(): Promise<void> {
    this.set(false);
  }
  isLeader(): boolean {
    return this.leader;
  }
  onChange(listener: (leader: boolean) => void): void {
    this.listeners.push(listener);
  }
  private set(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    for (const l of this.listeners) l(leader);
  }
}

/** Logs every leadership change and exports it: `coxswain_leader` (1 while leading) and a transitions counter. */
export function observeLeadership(elector: LeaderElector, registry: Registry, log: Logger): void {
  const gauge = new Gauge({
    name: 'coxswain_leader',
    help: '1 while this replica is the leader (runs the scheduled jobs), else 0.',
    labelNames: ['identity'],
    registers: [registry],
  });
  const takeovers = new Counter({
    name: 'coxswain_leader_takeovers_total',
    help: 'Times this replica took the Lease over from a holder that had stopped renewing it (a dead or hung pod).',
    labelNames: ['identity'],
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'coxswain_leader_transitions_total',
    help: 'Times this replica became or stopped being the leader.',
    labelNames: ['identity', 'to'],
    registers: [registry],
  });
  gauge.set({ identity: elector.identity }, elector.isLeader() ? 1 : 0);
  elector.onChange((leader) => {
    gauge.set({ identity: elector.identity }, leader ? 1 : 0);
    transitions.inc({ identity: elector.identity, to: leader ? 'leader' : 'follower' });
    const takeover = leader ? elector.lastTakeover?.() : undefined;
    if (takeover) {
      takeovers.inc({ identity: elector.identity });
      log.warn(
        { identity: elector.identity, from: takeover.from, staleMs: takeover.staleMs },
        `took the leader Lease over from ${takeover.from}, which had not renewed it for ${Math.round(takeover.staleMs / 1000)}s (its pod died or hung)`,
      );
    }
    log.info({ identity: elector.identity, leader }, leader ? 'became the leader' : 'no longer the leader');
  });
}
