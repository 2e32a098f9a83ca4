/**
 * The alerts an alert post shows: its group's alerts as stored, for `incident link-alert` with a
 * link to the post. Here, beside the group's stored shape, so incidents need not know it.
 */
import type { Store } from '../store/store.js';
import type { GroupState } from './group.js';

export interface PostedAlert {
  fingerprint: string;
  alertname: string;
  /** firing or resolved. */
  state: string;
  cluster?: string;
}

/** The alerts of the group an alert post shows; undefined when the bot made no such post. */
export async function alertsOfPost(store: Store, postId: string): Promise<PostedAlert[] | undefined> {
  const post = await store.findAlertPostById(postId);
  if (!post) return undefined;
  const record = await store.getAlertGroup(post.groupKey);
  if (!record) return [];
  const group = record.data as unknown as GroupState;
  return Object.entries(group.alerts).map(([fingerprint, alert]) => {
    const ref: PostedAlert = {
      fingerprint,
      alertname: alert.labels.alertname ?? 'alert',
      state: alert.status,
    };
    if (alert.labels.cluster) ref.cluster = alert.labels.cluster;
    return ref;
  });
}
