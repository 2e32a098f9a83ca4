/**
 * What `incident link-alert` accepts: an alert fingerprint, or a link to an alert post the bot
 * made. A post link stands for every alert of the group that post shows.
 */
import type { GroupState } from '../alerts/group.js';
import type { Store } from '../store/store.js';
import type { AlertRef } from './engine.js';

/**
 * The post id in a link to a post, or undefined when the reference is not a link. Rocket.Chat
 * links carry it as `?msg=<id>`; Mattermost permalinks end with it (`/<team>/pl/<id>`).
 */
export function postIdOfLink(reference: string): string | undefined {
  let url: URL;
  try {
    url = new URL(reference);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const msg = url.searchParams.get('msg');
  if (msg) return msg;
  return url.pathname.split('/').filter(Boolean).pop();
}

/** The alerts of the group an alert post shows; undefined when the bot made no such post. */
export async function alertsOfPost(store: Store, postId: string): Promise<AlertRef[] | undefined> {
  const post = await store.findAlertPostById(postId);
  if (!post) return undefined;
  const record = await store.getAlertGroup(post.groupKey);
  if (!record) return [];
  const group = record.data as unknown as GroupState;
  return Object.entries(group.alerts).map(([fingerprint, alert]) => {
    const ref: AlertRef = { fingerprint, alertname: alert.labels.alertname ?? 'alert', state: alert.status };
    if (alert.labels.cluster) ref.cluster = alert.labels.cluster;
    return ref;
  });
}
