/**
 * Exactly one post per group and channel, even when a retry follows a crash: before the chat call
 * that makes a group's post, the intent is stored with the post's deterministic key
 * (post-key.ts), and the post carries the key. A retry that finds an intent without a post id
 * (the process died between the chat call and the store write) looks the key up in chat first
 * and takes the post it finds instead of posting again. Its own file because this recovery is
 * the subtle part of delivery, and it reads best on its own.
 */
import type { Destination, PostRef } from '../ports.js';
import type { AlertPost } from '../store/store.js';
import type { DeliveryContext } from './delivery-context.js';
import type { GroupState } from './group.js';
import { postKey } from './post-key.js';
import type { RouteTarget } from './routing.js';

/**
 * Makes the group's post in a channel, exactly once: the intent (with the post's key) is stored
 * before the chat call; an intent found here means an earlier attempt died after it, so the
 * post is looked up by its key before posting again.
 */
export async function postGroupOnce(
  dc: DeliveryContext,
  group: GroupState,
  target: RouteTarget,
  destination: Destination,
  intent: AlertPost | undefined,
): Promise<void> {
  const { chat, store, metrics, log } = dc.options;
  const key = intent?.postKey ?? postKey(group.groupKey, destination.channelId);
  const intentAt = intent?.intentAt ?? dc.now();
  let ref: PostRef | undefined;
  if (intent) {
    ref = await dc.call(async () => chat.findPost?.(destination, key, intentAt));
    if (ref) {
      metrics.posts.inc({ outcome: 'recovered' });
      log.info(
        { groupKey: group.groupKey, channelId: destination.channelId, postId: ref.postId },
        'found the post an earlier attempt made before it died; not posting again',
      );
    }
  } else {
    await store.recordAlertPostIntent({
      groupKey: group.groupKey,
      platform: chat.platform,
      channelId: destination.channelId,
      postKey: key,
      intentAt,
    });
  }
  if (!ref) {
    const message = dc.render(group, target);
    ref = await dc.call(() => chat.post(destination, message, { key }));
    metrics.posts.inc({ outcome: 'posted' });
  }
  const saved = await store.saveAlertPost({
    groupKey: group.groupKey,
    platform: chat.platform,
    channelId: destination.channelId,
    postId: ref.postId,
    postKey: key,
    intentAt,
  });
  if (!saved)
    // Cannot happen under the group claim; if it does, say which post is left over.
    log.error(
      { groupKey: group.groupKey, channelId: destination.channelId, postId: ref.postId },
      'the group already had a post in this channel; this one is left over and will not be updated',
    );
}
