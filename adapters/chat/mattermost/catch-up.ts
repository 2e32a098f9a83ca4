/**
 * Catching up after an outage. The WebSocket only replays what the server still holds for the
 * same connection (a short drop); after a long outage, a server restart or a bot restart the
 * server hands out a new connection id and the posts made meanwhile never arrive as events.
 * So the adapter keeps, in the store, the server time (`create_at`) of the newest post it
 * handled per channel (and under `*` across channels), and at start and after every reconnect
 * the server could not replay it fetches each of its channels' posts since then through the
 * REST API and feeds them through the same path as `posted` events, de-duplicated by post id.
 *
 * A command found this way that is older than `missedCommandMaxAge` is not run: it is answered
 * with a notice asking the person to run it again. A `drill run` typed hours ago must not start
 * when nobody is watching any more. Posts older than LOOK_BACK_MS are not looked at at all.
 */
import type { Post } from '@mattermost/types/posts';
import { formatDuration } from '../../../src/duration.js';

/** Posts from longer ago than this are not fetched at all, however old the stored cursor is. */
export const LOOK_BACK_MS = 24 * 60 * 60 * 1000;
/** The default age beyond which a missed command is answered instead of run. */
export const DEFAULT_MISSED_COMMAND_MAX_AGE_MS = 10 * 60 * 1000;
/** The cursor key for "any channel": the fallback for a channel the bot has no cursor for yet. */
export const ANY_CHANNEL = '*';

/**
 * Where to fetch a channel from: its own cursor, else the newest post handled anywhere (a
 * channel joined, or a DM opened, while the bot was away), never before the look-back floor.
 * Undefined when the bot has never run with this store: there is nothing it could have missed.
 */
export function catchUpSince(
  cursors: Record<string, number>,
  channelId: string,
  now: number,
  lookBackMs = LOOK_BACK_MS,
): number | undefined {
  const from = cursors[channelId] ?? cursors[ANY_CHANNEL];
  if (from === undefined) return undefined;
  return Math.max(from, now - lookBackMs);
}

/**
 * The posts of a `?since=` answer that are new: created after `since` (the server returns every
 * post *changed* since, so edits and reactions to old posts come back too) and not deleted,
 * oldest first so commands run in the order they were typed.
 */
export function newPostsSince(
  list: { order?: string[]; posts?: Record<string, Post> },
  since: number,
): Post[] {
  return Object.values(list.posts ?? {})
    .filter((post) => post.create_at > since && !post.delete_at)
    .sort((a, b) => a.create_at - b.create_at || a.id.localeCompare(b.id));
}

/** Whether a command typed at `createAt` is too old to run now. */
export function tooOldToRun(createAt: number | undefined, now: number, maxAgeMs: number): boolean {
  return createAt !== undefined && createAt > 0 && now - createAt > maxAgeMs;
}

/** What a person is told instead of having an old command run. `who` is the already-escaped mention. */
export function awayNotice(who: string, ageMs: number): string {
  // Whole minutes once it is a minute old; people do not need the seconds of an hour-old message.
  const step = ageMs >= 60_000 ? 60_000 : 1000;
  const age = formatDuration(Math.max(1000, Math.round(ageMs / step) * step));
  return `${who}: this was typed ${age} ago while coxswain was away; run it again if still needed.`;
}

/** A bounded set of ids, oldest forgotten first. */
export class SeenIds {
  private readonly ids = new Set<string>();
  constructor(private readonly limit = 5000) {}

  /** Adds the id; false when it was there already. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.limit) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }

  /** Forgets an id, so the post is taken again when it comes back (a claim that failed). */
  forget(id: string): void {
    this.ids.delete(id);
  }
}
