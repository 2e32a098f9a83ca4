/**
 * Bringing posts already made up to date without new rows: every post of a group after a click
 * (acknowledged, silenced), the posts held back in a storm once the outbox has no backlog, and
 * the storm summaries. Its own file because none of this is the per-group pass over new rows
 * (deliver-group.ts): it runs after it, or from a button, and spends what is left of the chat rate.
 */
import type { PostRef } from '../ports.js';
import type { DeliveryContext } from './delivery-context.js';
import type { GroupState } from './group.js';
import type { GroupClaims } from './group-claims.js';
import { renderStorm } from './render.js';
import { clearStale, type StormFolder } from './storm.js';

/** Shows the group's latest state on all its posts (after a click). */
export async function refreshPosts(dc: DeliveryContext, group: GroupState): Promise<void> {
  const { chat, store } = dc.options;
  const targets = await dc.targetsByChannel(group);
  const behind = group.stale?.length ?? 0;
  for (const post of await store.findAlertPosts(group.groupKey)) {
    if (post.platform !== chat.platform || !post.postId) continue;
    const target = targets.get(post.channelId) ?? { channel: post.channelId };
    const ref: PostRef = { platform: post.platform, channelId: post.channelId, postId: post.postId };
    await dc.call(() => chat.update(ref, dc.render(group, target)));
    clearStale(group, post.channelId);
  }
  // Any post held back in a storm now shows the latest state too.
  if ((group.stale?.length ?? 0) !== behind) await dc.save(group);
}

/** Held-back updates per pass: half a second of the chat rate, so new rows wait little. */
export function staleBudget(dc: DeliveryContext): number {
  return Math.max(1, Math.floor(dc.options.alerts.delivery.ratePerSecond / 2));
}

/** Brings the posts that fell behind in a storm up to date, the longest behind first. */
export async function refreshStale(dc: DeliveryContext, claims: GroupClaims, budget: number): Promise<void> {
  const { chat, store, log, metrics } = dc.options;
  for (const groupKey of await store.staleAlertGroups(budget)) {
    try {
      await claims.withClaim(groupKey, async () => {
        const group = await dc.load(groupKey);
        if (!group?.stale) return;
        const targets = await dc.targetsByChannel(group);
        const posts = await store.findAlertPosts(groupKey);
        for (const channelId of [...group.stale]) {
          const post = posts.find(
            (p) => p.platform === chat.platform && p.channelId === channelId && p.postId !== '',
          );
          if (post) {
            const ref: PostRef = { platform: post.platform, channelId, postId: post.postId };
            const target = targets.get(channelId) ?? { channel: channelId };
            await dc.call(() => chat.update(ref, dc.render(group, target)));
            metrics.posts.inc({ outcome: 'updated' });
          }
          clearStale(group, channelId);
          await dc.save(group);
        }
      });
    } catch (error) {
      // Still marked stale, now at the back of the queue, so a post that cannot be updated
      // (deleted in chat, say) does not hold up the others; a later pass tries it again.
      log.warn({ err: error, groupKey }, 'refreshing a post held back in a storm failed; will retry');
      await claims
        .withClaim(groupKey, async () => {
          const group = await dc.load(groupKey);
          if (!group?.stale) return;
          group.staleSince = dc.now();
          await dc.save(group);
        })
        .catch(() => undefined);
    }
  }
}

/** One post (then an update at most once a second) per stormy channel: the coalesced summary. */
export async function flushStorms(dc: DeliveryContext, storms: StormFolder<PostRef>): Promise<void> {
  const { chat, alerts, log, timeZone } = dc.options;
  for (const summary of storms.due()) {
    const message = renderStorm(summary.stats, alerts.storm.threshold, alerts.storm.window, timeZone);
    try {
      const ref = summary.ref;
      if (ref) await dc.call(() => chat.update(ref, message));
      summary.sent(ref ?? (await dc.call(() => chat.post({ channelId: summary.channelId }, message))));
    } catch (error) {
      // The rows behind it are already safe in the store; the summary is tried again next pass.
      log.warn({ err: error, channelId: summary.channelId }, 'storm summary not posted; will retry');
    }
  }
}
