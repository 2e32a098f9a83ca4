/**
 * The deterministic key of one post the alert path makes: the same group, channel and purpose
 * give the same key on every replica and after every restart. The post carries it in chat
 * (Mattermost: `pending_post_id`, which the server de-duplicates for 30 s, and a prop), so a
 * retry after a crash between the chat call and the store write finds the post already made
 * instead of posting it again. Hex only, so every platform accepts it as it is.
 */
import { createHash } from 'node:crypto';

export function postKey(groupKey: string, channelId: string, purpose = 'root'): string {
  const digest = createHash('sha256').update(`${groupKey}\u0000${channelId}\u0000${purpose}`).digest('hex');
  return `cxsw${digest.slice(0, 28)}`;
}
