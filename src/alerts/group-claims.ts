/**
 * Claims on alert groups, so that with several replicas on one PostgreSQL each group is delivered
 * by one replica at a time: a row in the store with a lease, renewed while the work runs and
 * released after, and an in-process lock so a delivery pass and a button click in this process
 * take turns too. A claim released by work that failed part way (or left by a replica that died)
 * comes back to the next claimant as `recovered`, which tells it to look in chat before posting.
 * Its own file because it is the one piece of delivery that is about replicas, not chat.
 */
import type { Logger } from '../log.js';
import type { GroupClaim, Store } from '../store/store.js';
import type { AlertMetrics } from './metrics.js';

/** What a group's work knows about how it got its claim. */
export interface Claimed {
  claim: GroupClaim;
  /** Set by work that failed part way: the claim is left for the next claimant to treat as recovered. */
  unsettled?: boolean;
  /** Set when the work released the claim itself (in the transaction that ended the delivery). */
  released?: boolean;
}

export const NOT_CLAIMED = Symbol('not claimed');
/** How long a button click waits for a group another replica is delivering. */
const CLICK_CLAIM_WAIT_MS = 15_000;

export interface GroupClaimsOptions {
  store: Store;
  log: Logger;
  metrics: AlertMetrics;
  /** This replica's name in the claims. */
  owner: string;
  leaseMs: number;
  now: () => number;
}

export class GroupClaims {
  private readonly locks = new Map<string, Promise<void>>();

  constructor(private readonly options: GroupClaimsOptions) {}

  get leaseMs(): number {
    return this.options.leaseMs;
  }

  /**
   * Runs `work` holding the group's claim in the store (and the in-process lock), renewing it
   * while the work runs and releasing it after. NOT_CLAIMED when another replica holds it and
   * `waitMs` passed without it letting go.
   */
  async withClaim<T>(
    groupKey: string,
    work: (claimed: Claimed) => Promise<T>,
    waitMs = 0,
  ): Promise<T | typeof NOT_CLAIMED> {
    const { store, log, metrics, owner, leaseMs, now } = this.options;
    return this.withGroup(groupKey, async () => {
      const giveUpAt = now() + waitMs;
      let claim = await store.claimAlertGroup(groupKey, owner, now(), leaseMs);
      while (!claim && now() < giveUpAt) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        claim = await store.claimAlertGroup(groupKey, owner, now(), leaseMs);
      }
      if (!claim) return NOT_CLAIMED;
      if (claim === 'recovered') {
        metrics.claims?.inc({ outcome: 'recovered' });
        log.info({ groupKey }, 'took over an alert group a replica left claimed (it died mid-delivery)');
      }
      const renew = setInterval(() => {
        store.renewAlertGroup(groupKey, owner, now(), leaseMs).then(
          (held) => {
            if (!held)
              log.error({ groupKey }, 'lost the claim on an alert group while delivering it (lease expired)');
          },
          (error: unknown) => log.warn({ err: error, groupKey }, 'renewing an alert group claim failed'),
        );
      }, leaseMs / 3);
      renew.unref?.();
      const claimed: Claimed = { claim };
      try {
        return await work(claimed);
      } catch (error) {
        claimed.unsettled = true;
        throw error;
      } finally {
        clearInterval(renew);
        if (!claimed.released)
          await store
            .releaseAlertGroup(groupKey, owner, claimed.unsettled === true)
            .catch((error: unknown) =>
              log.warn(
                { err: error, groupKey },
                'releasing an alert group claim failed; it expires by itself',
              ),
            );
      }
    });
  }

  /** A button click's work on a group: waits a while for a replica that is delivering it. */
  async withClickClaim(groupKey: string, work: () => Promise<boolean>): Promise<boolean> {
    const result = await this.withClaim(groupKey, work, CLICK_CLAIM_WAIT_MS);
    if (result === NOT_CLAIMED)
      throw new Error('another replica is busy updating this alert post; try again in a moment');
    return result;
  }

  /** Serialises work on one group between delivery passes and button clicks. */
  private async withGroup<T>(groupKey: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(groupKey) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => mine);
    this.locks.set(groupKey, chained);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.locks.get(groupKey) === chained) this.locks.delete(groupKey);
    }
  }
}
