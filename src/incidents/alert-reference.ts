/**
 * What `incident link-alert` accepts: an alert fingerprint, or a link to an alert post the bot
 * made. A post link stands for every alert of the group that post shows (the alerts feature
 * says which: src/alerts/post-alerts.ts).
 */

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
